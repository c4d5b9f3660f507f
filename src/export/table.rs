//! The CSV files: UTF-8 with a BOM so Excel shows Chinese names, amounts in
//! major units with the currency's decimals, fractions as decimals.

use super::facts::Facts;
use crate::money::Currency;

/// Amount in major units with separators and no decimals when whole:
/// "¥100,000,000" — for labels, not for CSV.
pub fn money_label(cur: &Currency, minor: i64) -> String {
    let text = cur.format_major(minor);
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let symbol = match cur.code.as_str() {
        "CNY" | "JPY" => "¥",
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        _ => "",
    };
    let frac = if frac.bytes().all(|b| b == b'0') {
        String::new()
    } else {
        format!(".{frac}")
    };
    format!("{sign}{symbol}{grouped}{frac}")
}

struct Csv {
    w: csv::Writer<Vec<u8>>,
}

impl Csv {
    fn new(header: &[&str]) -> Csv {
        let mut buf = Vec::new();
        buf.extend_from_slice("\u{feff}".as_bytes());
        let mut w = csv::Writer::from_writer(buf);
        let _ = w.write_record(header);
        Csv { w }
    }

    fn row(&mut self, cells: Vec<String>) {
        let _ = self.w.write_record(&cells);
    }

    fn finish(self) -> Vec<u8> {
        self.w.into_inner().unwrap_or_default()
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
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

/// The cells of [`FIGURES`] for a channel or store row (same field names).
macro_rules! figure_cells {
    ($r:expr, $m:expr) => {
        vec![
            $m($r.gmv),
            $m($r.refunds),
            $m($r.net_gmv),
            $r.orders.to_string(),
            $r.units.to_string(),
            $r.buyers.to_string(),
            opt($r.target.map($m)),
            frac($r.completion),
            $m($r.profit),
            opt($r.profit_target.map($m)),
            frac($r.profit_completion),
        ]
    };
}

pub fn stores(f: &Facts) -> Vec<u8> {
    let m = |v: i64| f.currency.format_major(v);
    let mut c = Csv::new(&[&["id", "name", "channel"], FIGURES].concat());
    for r in &f.stores {
        c.row(
            [
                vec![r.id.clone(), r.name.clone(), r.channel.clone()],
                figure_cells!(r, m),
            ]
            .concat(),
        );
    }
    c.finish()
}

pub fn channels(f: &Facts) -> Vec<u8> {
    let m = |v: i64| f.currency.format_major(v);
    let mut c = Csv::new(&[&["id", "name"], FIGURES].concat());
    for r in &f.channels {
        c.row([vec![r.id.clone(), r.name.clone()], figure_cells!(r, m)].concat());
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
            r.id.clone(),
            r.name.clone(),
            r.units.to_string(),
            m(r.gmv),
            r.refund_units.to_string(),
            opt(r.target_units),
            frac(r.completion),
            opt(r.stock),
            opt(r.stock_left),
            opt(r.warning),
            sold_out.unwrap_or_default(),
        ]);
    }
    c.finish()
}

/// Per minute since the start; the format a later sale reads as `baseline`.
pub fn timeline(f: &Facts) -> Vec<u8> {
    let m = |v: i64| f.currency.format_major(v);
    let mut c = Csv::new(crate::config::TIMELINE_COLUMNS);
    for (i, r) in f.timeline.iter().enumerate() {
        c.row(vec![
            i.to_string(),
            r.minute_start.clone(),
            m(r.gmv),
            r.orders.to_string(),
            r.units.to_string(),
            m(r.cumulative_gmv),
            opt(f.plan_cumulative_gmv.get(i).copied().map(m)),
            opt(r.baseline_gmv.map(m)),
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
            a.fired_at.clone(),
            a.resolved_at.clone().unwrap_or_default(),
            a.rule.clone(),
            a.scope.clone(),
            a.severity.clone(),
            a.summary.clone(),
        ]);
    }
    c.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_labels() {
        let cny = Currency::from_code("CNY").expect("CNY");
        assert_eq!(money_label(&cny, 10_000_000_000), "¥100,000,000");
        assert_eq!(money_label(&cny, 123_456), "¥1,234.56");
        assert_eq!(money_label(&cny, -5_000), "-¥50");
    }
}
