//! The impact CSVs (docs/api.md, Export): `shape.csv`, one row per scope
//! (the sale, each channel, the top stores) with its burst and decay, and
//! `periods.csv`, one row per day of the pre period, the sale and the post
//! period. Both are written with their header when empty, so scripts can
//! rely on the files. Money is in major units as in the other CSVs; a
//! figure that is not known (no half-life yet, no reference) is empty.

use super::facts::Facts;
use super::table::{Csv, n, opt, t};
use crate::views::{DayRow, Shape};

pub const SHAPE_COLUMNS: &[&str] = &[
    "scope",
    "id",
    "name",
    "peak_minute_at",
    "peak_minute_gmv",
    "peak_second_at",
    "peak_second_orders",
    "burst",
    "reference",
    "time_to_peak_min",
    "half_life_min",
    "first_hour_share",
];

pub const PERIOD_COLUMNS: &[&str] = &["period", "date", "gmv", "orders", "units", "buyers"];

fn ratio(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.6}")).unwrap_or_default()
}

pub fn shape(f: &Facts) -> Vec<u8> {
    let m = |v: i64| f.currency.format_major(v);
    let mut c = Csv::new(SHAPE_COLUMNS);
    let mut row = |scope: &str, id: &str, name: &str, s: &Shape| {
        c.row(vec![
            t(scope),
            t(id),
            t(name),
            t(&s.peak_minute.at),
            n(m(s.peak_minute.gmv)),
            t(s.peak_second.as_ref().map_or("", |p| p.at.as_str())),
            n(opt(s.peak_second.as_ref().map(|p| p.orders))),
            n(ratio(s.burst)),
            t(s.reference.as_str()),
            n(s.time_to_peak_min),
            n(opt(s.half_life_min)),
            n(ratio(s.first_hour_share)),
        ]);
    };
    if let Some(s) = &f.shapes.sale {
        row("sale", "", "", s);
    }
    for ch in &f.shapes.channels {
        row("channel", &ch.id, &ch.name, &ch.shape);
    }
    for st in &f.shapes.stores {
        row("store", &st.id, &st.name, &st.shape);
    }
    c.finish()
}

pub fn periods(f: &Facts) -> Vec<u8> {
    let m = |v: i64| f.currency.format_major(v);
    let mut c = Csv::new(PERIOD_COLUMNS);
    let p = &f.periods;
    let sides: [(&str, Option<&Vec<DayRow>>); 3] = [
        ("pre", p.pre.as_ref().map(|d| &d.figures.days)),
        ("sale", Some(&p.sale.days)),
        ("post", p.post.as_ref().map(|d| &d.figures.days)),
    ];
    for (name, days) in sides {
        for d in days.into_iter().flatten() {
            c.row(vec![
                t(name),
                t(&d.date),
                n(m(d.gmv)),
                n(d.orders),
                n(d.units),
                n(opt(d.buyers)),
            ]);
        }
    }
    c.finish()
}
