//! The CSV files: UTF-8 with a BOM so Excel shows Chinese names, amounts in
//! major units with the currency's decimals, fractions as decimals.
//!
//! The files are made for Excel, so a text cell must never be read as a
//! formula: ids and names come from events and the config, and a store id
//! `=HYPERLINK(…)` would otherwise run in the analyst's sheet. Each column
//! is typed ([`Cell`]): text cells starting with `= + - @`, a tab or a
//! carriage return get a leading `'` (OWASP's CSV-injection advice), and
//! every text cell is quoted, so a `;`-separated locale cannot split one
//! into a formula either. Figures are ours and stay bare numbers, negative
//! ones included: the column decides, not the content.

use super::facts::Facts;
use super::table_reach::{CHANNEL_REACH, STORE_REACH, reach_cells};
use crate::views::{RowFigures, StockWarning};

/// One cell, typed by its column.
pub(super) enum Cell {
    /// Text, possibly from outside: defused and quoted.
    Text(String),
    /// A figure warroom formatted (money, counts, fractions), or empty.
    Num(String),
}

/// A text cell.
pub(super) fn t(s: impl ToString) -> Cell {
    Cell::Text(s.to_string())
}

/// A figure cell.
pub(super) fn n(s: impl ToString) -> Cell {
    Cell::Num(s.to_string())
}

/// What a spreadsheet would read as the start of a formula.
const FORMULA_START: &[char] = &['=', '+', '-', '@', '\t', '\r'];

/// `s` as a text cell that no spreadsheet evaluates.
fn defuse(s: String) -> String {
    if s.starts_with(FORMULA_START) {
        format!("'{s}")
    } else {
        s
    }
}

/// A CSV file being written. Writing to memory cannot fail, so this
/// writes the few rules of RFC 4180 it needs itself: text quoted (quotes
/// doubled), figures bare, a line feed after each row.
pub(super) struct Csv {
    buf: String,
}

impl Csv {
    pub(super) fn new(header: &[&str]) -> Csv {
        let mut buf = String::from("\u{feff}");
        buf.push_str(&header.join(","));
        buf.push('\n');
        Csv { buf }
    }

    pub(super) fn row(&mut self, cells: Vec<Cell>) {
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                self.buf.push(',');
            }
            match cell {
                Cell::Text(s) => {
                    self.buf.push('"');
                    self.buf.push_str(&defuse(s).replace('"', "\"\""));
                    self.buf.push('"');
                }
                Cell::Num(s) => self.buf.push_str(&s),
            }
        }
        self.buf.push('\n');
    }

    pub(super) fn finish(self) -> Vec<u8> {
        self.buf.into_bytes()
    }
}

pub(super) fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

fn frac(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.4}")).unwrap_or_default()
}

/// The figure columns channel and store rows share, after id and name.
const FIGURES: &[&str] = &[
    "gmv",
    "refunds",
    "net_gmv",
    "orders",
    "units",
    "buyers",
    "target",
    "completion",
    "profit",
    "profit_target",
    "profit_completion",
];

/// The cells of [`FIGURES`] for a channel or store row; `m` formats money.
fn figure_cells(r: &RowFigures, m: impl Fn(i64) -> String) -> Vec<Cell> {
    vec![
        n(m(r.gmv)),
        n(m(r.refunds)),
        n(m(r.net_gmv)),
        n(r.orders),
        n(r.units),
        n(r.buyers),
        n(opt(r.target.map(&m))),
        n(frac(r.completion)),
        n(m(r.profit)),
        n(opt(r.profit_target.map(&m))),
        n(frac(r.profit_completion)),
    ]
}

pub fn stores(f: &Facts) -> Vec<u8> {
    let m = |v: i64| f.currency.format_major(v);
    let mut c = Csv::new(&[&["id", "name", "channel"], FIGURES, STORE_REACH].concat());
    for r in &f.stores {
        let mut cells = vec![t(&r.id), t(&r.name), t(&r.channel)];
        cells.extend(figure_cells(&r.figures, m));
        cells.extend(reach_cells(&f.reach.store(&r.id), m, false));
        c.row(cells);
    }
    c.finish()
}

pub fn channels(f: &Facts) -> Vec<u8> {
    let m = |v: i64| f.currency.format_major(v);
    let mut c = Csv::new(&[&["id", "name"], FIGURES, CHANNEL_REACH].concat());
    for r in &f.channels {
        let mut cells = vec![t(&r.id), t(&r.name)];
        cells.extend(figure_cells(&r.figures, m));
        cells.extend(reach_cells(&f.reach.channel(&r.id), m, true));
        c.row(cells);
    }
    c.finish()
}

pub fn skus(f: &Facts) -> Vec<u8> {
    let m = |v: i64| f.currency.format_major(v);
    let mut c = Csv::new(&[
        "id",
        "name",
        "units",
        "gmv",
        "refund_units",
        "target_units",
        "completion",
        "stock",
        "stock_left",
        "warning",
        "sold_out_at",
    ]);
    for r in &f.skus {
        let sold_out = f
            .sold_out
            .iter()
            .find(|s| s.id == r.id)
            .map(|s| s.at.clone());
        c.row(vec![
            t(&r.id),
            t(&r.name),
            n(r.units),
            n(m(r.gmv)),
            n(r.refund_units),
            n(opt(r.target_units)),
            n(frac(r.completion)),
            n(opt(r.stock)),
            n(opt(r.stock_left)),
            t(opt(r.warning.map(StockWarning::as_str))),
            t(sold_out.unwrap_or_default()),
        ]);
    }
    c.finish()
}

/// Per minute since the start, with the minute's visitors and spend last;
/// the format a later sale reads as `baseline`.
pub fn timeline(f: &Facts) -> Vec<u8> {
    let m = |v: i64| f.currency.format_major(v);
    let mut c = Csv::new(crate::config::TIMELINE_COLUMNS);
    for (i, r) in f.timeline.iter().enumerate() {
        let reach = f.reach.minutes.get(i).copied().unwrap_or_default();
        c.row(vec![
            n(i),
            t(&r.minute_start),
            n(m(r.gmv)),
            n(r.orders),
            n(r.units),
            n(m(r.cumulative_gmv)),
            n(opt(f.plan_cumulative_gmv.get(i).copied().map(m))),
            n(opt(r.baseline_gmv.map(m))),
            n(reach.visitors),
            n(m(reach.spend)),
        ]);
    }
    c.finish()
}

pub fn alerts(f: &Facts) -> Vec<u8> {
    let mut c = Csv::new(&[
        "fired_at",
        "resolved_at",
        "rule",
        "scope",
        "severity",
        "summary",
    ]);
    for a in &f.alerts {
        c.row(vec![
            t(&a.fired_at),
            t(a.resolved_at.clone().unwrap_or_default()),
            t(a.rule.as_str()),
            t(a.scope.to_string()),
            t(a.severity.as_str()),
            t(&a.summary),
        ]);
    }
    c.finish()
}
