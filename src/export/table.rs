//! The CSV files: UTF-8 with a BOM so Excel shows Chinese names, amounts in
//! major units with the currency's decimals, fractions as decimals.

use super::facts::Facts;
use crate::views::{RowFigures, StockWarning};

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

/// The cells of [`FIGURES`] for a channel or store row; `m` formats money.
fn figure_cells(r: &RowFigures, m: impl Fn(i64) -> String) -> Vec<String> {
    vec![
        m(r.gmv),
        m(r.refunds),
        m(r.net_gmv),
        r.orders.to_string(),
        r.units.to_string(),
        r.buyers.to_string(),
        opt(r.target.map(&m)),
        frac(r.completion),
        m(r.profit),
        opt(r.profit_target.map(&m)),
        frac(r.profit_completion),
    ]
}

pub fn stores(f: &Facts) -> Vec<u8> {
    let m = |v: i64| f.currency.format_major(v);
    let mut c = Csv::new(&[&["id", "name", "channel"], FIGURES].concat());
    for r in &f.stores {
        c.row(
            [
                vec![r.id.clone(), r.name.clone(), r.channel.clone()],
                figure_cells(&r.figures, m),
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
        c.row(
            [
                vec![r.id.clone(), r.name.clone()],
                figure_cells(&r.figures, m),
            ]
            .concat(),
        );
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
            opt(r.warning.map(StockWarning::as_str)),
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
            a.rule.as_str().to_string(),
            a.scope.to_string(),
            a.severity.as_str().to_string(),
            a.summary.clone(),
        ]);
    }
    c.finish()
}
