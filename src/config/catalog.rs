//! CSV catalogs: the stores and SKUs that operations teams keep in spreadsheets.
//!
//! Columns are those of `[[stores]]` and `[[skus]]`, named in a header row, in
//! any order; `id` is required, the rest optional and may be empty. A UTF-8
//! BOM (Excel's "CSV UTF-8") is accepted. Errors name file, line and column.

use std::path::Path;

use super::build::{amount_text, check_id, ratio};
use super::error::ConfigError;
use super::model::{Baseline, CampaignDef, SkuDef, StoreDef};
use crate::money::Currency;

const STORE_COLUMNS: &[&str] = &["id", "name", "channel", "target", "profit_target"];
const SKU_COLUMNS: &[&str] = &[
    "id",
    "name",
    "stock",
    "target_units",
    "cost",
    "low_stock",
    "list_price",
    "standard_margin",
];
const CAMPAIGN_COLUMNS: &[&str] = &["id", "channel", "budget"];
/// The columns of `timeline.csv` as `warroom export` writes it. A baseline
/// reads only `minute` and `cumulative_gmv`; files from before `visitors`
/// and `spend` were added read the same.
pub const TIMELINE_COLUMNS: &[&str] = &[
    "minute",
    "minute_start",
    "gmv",
    "orders",
    "units",
    "cumulative_gmv",
    "plan_cumulative_gmv",
    "baseline_cumulative_gmv",
    "visitors",
    "spend",
];

/// One data row: its line and its cells by column name.
struct Row<'a> {
    file: &'a str,
    line: usize,
    header: &'a [String],
    record: csv::StringRecord,
}

impl Row<'_> {
    fn get(&self, col: &str) -> Option<&str> {
        let i = self.header.iter().position(|h| h == col)?;
        self.record.get(i).map(str::trim).filter(|s| !s.is_empty())
    }

    fn err(&self, msg: impl Into<String>) -> ConfigError {
        ConfigError::new(self.file, Some(self.line), msg)
    }

    fn id(&self) -> Result<String, ConfigError> {
        let id = self.get("id").unwrap_or("");
        check_id(id).map_err(|e| self.err(format!("column id: {e}")))?;
        Ok(id.to_string())
    }

    fn amount(&self, col: &str, cur: &Currency) -> Result<Option<i64>, ConfigError> {
        self.get(col)
            .map(|t| amount_text(t, cur).map_err(|e| self.err(format!("column {col}: {e}"))))
            .transpose()
    }

    fn ratio(&self, col: &str) -> Result<Option<f64>, ConfigError> {
        self.get(col)
            .map(|t| {
                let n = t.parse::<f64>().map_err(|_| {
                    self.err(format!(
                        "column {col}: must be a share from 0 to 1 such as 0.35, got {t:?}"
                    ))
                })?;
                ratio(n).map_err(|e| self.err(format!("column {col}: {e}")))
            })
            .transpose()
    }

    fn count(&self, col: &str) -> Result<Option<i64>, ConfigError> {
        self.get(col)
            .map(|t| {
                t.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                    self.err(format!(
                        "column {col}: must be a whole number ≥ 0, got {t:?}"
                    ))
                })
            })
            .transpose()
    }
}

/// A catalog file read whole: its label, header and data rows with lines.
struct Sheet {
    file: String,
    header: Vec<String>,
    rows: Vec<(usize, csv::StringRecord)>,
}

fn read_rows(path: &Path, allowed: &[&str]) -> Result<Sheet, ConfigError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| ConfigError::new(&file, None, format!("cannot read catalog: {e}")))?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let record = rdr
        .headers()
        .map_err(|e| ConfigError::new(&file, Some(1), format!("bad header row: {e}")))?;
    // The reader skips blank lines before the header (and its position
    // still says line 1): name the header's own line.
    let header_line = 1 + blank_lines_before_text(bytes);
    let header: Vec<String> = record.iter().map(|h| h.trim().to_string()).collect();
    check_header(&file, header_line, &header)?;
    for h in &header {
        if !allowed.contains(&h.as_str()) {
            return Err(ConfigError::new(
                &file,
                Some(header_line),
                format!(
                    "unknown column {h:?} (expected some of: {})",
                    allowed.join(", ")
                ),
            ));
        }
    }
    // Catalogs are keyed by `id`, a baseline timeline by `minute`.
    let key = if allowed == TIMELINE_COLUMNS {
        "minute"
    } else {
        "id"
    };
    if !header.iter().any(|h| h == key) {
        return Err(ConfigError::new(
            &file,
            Some(header_line),
            format!("the header row has no {key} column"),
        ));
    }
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map(|p| p.line() as usize);
            ConfigError::new(&file, line, format!("bad CSV row: {e}"))
        })?;
        let line = rec.position().map_or(0, |p| p.line() as usize);
        rows.push((line, rec));
    }
    Ok(Sheet { file, header, rows })
}

/// How many empty lines (`\n` or `\r\n`) `bytes` starts with.
fn blank_lines_before_text(bytes: &[u8]) -> usize {
    let mut rest = bytes;
    let mut n = 0;
    loop {
        rest = rest.strip_prefix(b"\r").unwrap_or(rest);
        match rest.strip_prefix(b"\n") {
            Some(r) => {
                rest = r;
                n += 1;
            }
            None => return n,
        }
    }
}

/// A column named twice would leave one of the two cells unread (the
/// first silently wins): refused, naming both columns, 1-based as a
/// spreadsheet counts them.
fn check_header(file: &str, line: usize, header: &[String]) -> Result<(), ConfigError> {
    for (i, h) in header.iter().enumerate() {
        if let Some(first) = header[..i].iter().position(|x| x == h) {
            return Err(ConfigError::new(
                file,
                Some(line),
                format!(
                    "column {}: duplicate column {h:?} (also column {})",
                    i + 1,
                    first + 1
                ),
            ));
        }
    }
    Ok(())
}

/// Reads every row of the sheet at `path` through `build`; each result
/// comes with its line (for duplicate-id errors).
fn read_each<T>(
    path: &Path,
    columns: &[&str],
    mut build: impl FnMut(&Row<'_>) -> Result<T, ConfigError>,
) -> Result<Vec<(usize, T)>, ConfigError> {
    let Sheet { file, header, rows } = read_rows(path, columns)?;
    let mut out = Vec::with_capacity(rows.len());
    for (line, record) in rows {
        let row = Row {
            file: &file,
            line,
            header: &header,
            record,
        };
        out.push((line, build(&row)?));
    }
    Ok(out)
}

/// Reads a stores catalog.
pub fn stores(path: &Path, cur: &Currency) -> Result<Vec<(usize, StoreDef)>, ConfigError> {
    read_each(path, STORE_COLUMNS, |row| {
        let id = row.id()?;
        Ok(StoreDef {
            name: row.get("name").map_or_else(|| id.clone(), str::to_string),
            channel: row.get("channel").map(str::to_string),
            target: row.amount("target", cur)?,
            profit_target: row.amount("profit_target", cur)?,
            id,
        })
    })
}

/// Reads a SKU catalog.
pub fn skus(path: &Path, cur: &Currency) -> Result<Vec<(usize, SkuDef)>, ConfigError> {
    read_each(path, SKU_COLUMNS, |row| {
        let id = row.id()?;
        Ok(SkuDef {
            name: row.get("name").map_or_else(|| id.clone(), str::to_string),
            stock: row.count("stock")?,
            target_units: row.count("target_units")?,
            cost: row.amount("cost", cur)?,
            low_stock: row.count("low_stock")?,
            list_price: row.amount("list_price", cur)?,
            standard_margin: row.ratio("standard_margin")?,
            id,
        })
    })
}

/// Reads a campaigns catalog.
pub fn campaigns(path: &Path, cur: &Currency) -> Result<Vec<(usize, CampaignDef)>, ConfigError> {
    read_each(path, CAMPAIGN_COLUMNS, |row| {
        Ok(CampaignDef {
            id: row.id()?,
            channel: row.get("channel").map(str::to_string),
            budget: row.amount("budget", cur)?,
        })
    })
}

/// Reads a previous sale's `timeline.csv` as a baseline: its cumulative GMV
/// per minute since that sale's start (major units, as exported).
pub fn baseline(path: &Path, cur: &Currency) -> Result<Baseline, ConfigError> {
    let mut cumulative: Vec<i64> = Vec::new();
    read_each(path, TIMELINE_COLUMNS, |row| {
        let minute = row
            .count("minute")?
            .ok_or_else(|| row.err("column minute: required"))? as usize;
        let value = row
            .amount("cumulative_gmv", cur)?
            .ok_or_else(|| row.err("column cumulative_gmv: required"))?;
        if minute != cumulative.len() {
            return Err(row.err(format!(
                "column minute: expected {}, got {minute} (rows must be consecutive from 0)",
                cumulative.len()
            )));
        }
        cumulative.push(value);
        Ok(())
    })?;
    if cumulative.is_empty() {
        return Err(ConfigError::new(
            &path.display().to_string(),
            None,
            "the baseline timeline has no rows",
        ));
    }
    Ok(Baseline {
        path: path.to_path_buf(),
        cumulative,
    })
}
