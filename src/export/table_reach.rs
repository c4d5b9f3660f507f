//! The efficiency and region CSVs (docs/api.md, Export): `regions.csv`,
//! `campaigns.csv`, and the efficiency columns `channels.csv` and
//! `stores.csv` end with.
//!
//! The columns are appended after the existing ones, never between them,
//! so an analyst's sheet that reads columns by position keeps working.
//! Ratios (conversion, ROI, cost-to-sales, budget used, share) carry six
//! decimals, since a conversion rate is often under 1 %; a ratio whose
//! divisor is zero is an empty cell, as are budgets that were not set.

use super::efficiency::Efficiency;
use super::facts::Facts;
use super::table::{Cell, Csv, n, opt, t};

/// The efficiency columns of `channels.csv`, after its figures.
pub const CHANNEL_REACH: &[&str] = &[
    "visitors",
    "page_views",
    "conversion",
    "spend",
    "roi",
    "cost_to_sales",
    "budget",
    "budget_used",
];

/// The efficiency columns of `stores.csv` (stores have no budget).
pub const STORE_REACH: &[&str] = &[
    "visitors",
    "page_views",
    "conversion",
    "spend",
    "roi",
    "cost_to_sales",
];

/// A ratio cell: six decimals, empty when undefined.
fn ratio(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.6}")).unwrap_or_default()
}

/// The cells of [`CHANNEL_REACH`] (with `budget`) or [`STORE_REACH`].
pub fn reach_cells(e: &Efficiency, m: impl Fn(i64) -> String, budget: bool) -> Vec<Cell> {
    let mut cells = vec![
        n(e.visitors),
        n(e.page_views),
        n(ratio(e.conversion)),
        n(m(e.spend)),
        n(ratio(e.roi)),
        n(ratio(e.cost_to_sales)),
    ];
    if budget {
        cells.push(n(opt(e.budget.map(&m))));
        cells.push(n(ratio(e.budget_used)));
    }
    cells
}

/// One row per region, by GMV descending. Written with its header even
/// when no order named a region, so scripts can rely on the file.
pub fn regions(f: &Facts) -> Vec<u8> {
    let m = |v: i64| f.currency.format_major(v);
    let mut c = Csv::new(&[
        "id", "name", "name_en", "gmv", "orders", "units", "buyers", "aov", "share",
    ]);
    for r in &f.regions {
        c.row(vec![
            t(&r.id),
            t(&r.name),
            t(&r.name_en),
            n(m(r.gmv)),
            n(r.orders),
            n(r.units),
            n(r.buyers),
            n(opt(r.aov.map(m))),
            n(ratio(r.share)),
        ]);
    }
    c.finish()
}

/// One row per campaign, by spend descending; header only when none.
pub fn campaigns(f: &Facts) -> Vec<u8> {
    let m = |v: i64| f.currency.format_major(v);
    let mut c = Csv::new(&[
        "id",
        "channel",
        "spend",
        "budget",
        "budget_used",
        "gmv",
        "orders",
        "roi",
        "cost_to_sales",
    ]);
    for r in &f.campaigns {
        c.row(vec![
            t(&r.id),
            t(r.channel.clone().unwrap_or_default()),
            n(m(r.spend)),
            n(opt(r.budget.map(m))),
            n(ratio(r.budget_used)),
            n(m(r.gmv)),
            n(r.orders),
            n(ratio(r.roi)),
            n(ratio(r.cost_to_sales)),
        ]);
    }
    c.finish()
}
