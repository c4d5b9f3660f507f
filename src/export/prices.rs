//! Price and basket trends in the pack (docs/api.md, Export:
//! `sku_prices.csv`): the hours of the top SKUs by GMV, the SKUs sold
//! below their standard margin and the basket per hour, copied out with
//! the rest of the facts and written as CSV.
//!
//! The CSV holds at most [`MAX_PRICE_SKUS`] SKUs (those with hours, by
//! GMV): a sale may hold a million SKUs and a month of hours each, and the
//! review reads the ones that made the sale. `GET /api/v1/skus/{id}/prices`
//! has any other.

use serde::Serialize;

use super::facts::Facts;
use super::table::{Csv, n, opt, t};
use crate::config::Config;
use crate::engine::State;
use crate::views::{self, BelowMargin, Prices, SkuPriceTrend};

/// SKUs in `sku_prices.csv` (and `snapshot.json`'s `prices.skus`) at most.
pub const MAX_PRICE_SKUS: usize = 200;

/// What the pack shows of prices.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PriceFacts {
    /// The below-standard-margin list and the basket, as `GET /api/v1/prices`.
    #[serde(flatten)]
    pub prices: Prices,
    /// The top SKUs' hours, by GMV.
    pub skus: Vec<SkuPriceTrend>,
}

impl PriceFacts {
    pub fn collect(st: &State, cfg: &Config) -> PriceFacts {
        PriceFacts {
            prices: views::prices(st, cfg),
            skus: views::top_price_skus(st, MAX_PRICE_SKUS)
                .into_iter()
                .map(|i| views::sku_prices(st, cfg, i))
                .collect(),
        }
    }

    pub fn below_margin(&self) -> &[BelowMargin] {
        &self.prices.below_margin
    }
}

fn ratio(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.4}")).unwrap_or_default()
}

/// `sku_prices.csv`: one row per SKU and hour it sold in.
pub fn sku_prices(f: &Facts) -> Vec<u8> {
    let m = |v: i64| f.currency.format_major(v);
    let mut c = Csv::new(&[
        "sku",
        "name",
        "hour",
        "at",
        "gmv",
        "units",
        "asp",
        "list_price",
        "discount_depth",
        "profit_per_unit",
        "margin",
        "standard_margin",
    ]);
    for k in &f.prices.skus {
        for h in &k.hours {
            c.row(vec![
                t(&k.id),
                t(&k.name),
                n(h.hour),
                t(&h.at),
                n(m(h.gmv)),
                n(h.units),
                n(opt(h.asp.map(m))),
                n(opt(k.list_price.map(m))),
                n(ratio(h.discount_depth)),
                n(opt(h.profit_per_unit.map(m))),
                n(ratio(h.margin)),
                n(ratio(k.standard_margin)),
            ]);
        }
    }
    c.finish()
}
