//! Price and basket trends (docs/api.md, Prices): a SKU's selling price,
//! discount depth, profit per unit and margin hour by hour; the SKUs sold
//! below their standard margin; AOV and units per order per hour for the
//! sale and each channel.
//!
//! Definitions, once, for the API and the export:
//! - `asp` = GMV ÷ units of the hour (gross: orders only).
//! - `margin` = profit ÷ costed GMV (both net of refunds, as the sale's
//!   `margin`): only items with a cost count; `null` without any.
//! - `profit_per_unit` = `margin` × `asp`: what a unit made at the hour's
//!   margin (profit ÷ units when every unit has a cost and nothing was
//!   refunded in the hour).
//! - `discount_depth` = 1 − `asp` ÷ `list_price`; negative when the SKU sold
//!   above its list price; `null` without a list price.
//! - the basket's `aov` is per order (GMV ÷ orders of the hour): buyers are
//!   not counted per hour, where the summary's `aov` is per buyer.
//!
//! Money in minor units, rounded to the unit; ratios as floats.

use rustc_hash::FxHashMap;
use serde::Serialize;

use super::sale::fmt_time;
use crate::config::{Config, Sale, SkuDef};
use crate::engine::{PriceHour, Sku, State, Timeline};

/// Rows of `below_margin` at most (worst gap first).
pub const MAX_BELOW_MARGIN: usize = 200;

const HOUR_MS: i64 = 3_600_000;

/// `GET /api/v1/skus/{id}/prices`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SkuPriceTrend {
    pub id: String,
    pub name: String,
    pub list_price: Option<i64>,
    pub standard_margin: Option<f64>,
    /// The hours the SKU sold or was refunded in, by rising hour.
    pub hours: Vec<PriceRow>,
}

/// One hour of one SKU.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PriceRow {
    /// Hours since the sale's start.
    pub hour: u32,
    /// The hour's start, RFC 3339 in the sale's zone.
    pub at: String,
    pub gmv: i64,
    pub units: u64,
    pub asp: Option<i64>,
    /// Profit of the items with a cost; `null` when none had one.
    pub profit: Option<i64>,
    pub profit_per_unit: Option<i64>,
    pub margin: Option<f64>,
    pub discount_depth: Option<f64>,
}

/// `GET /api/v1/prices`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Prices {
    pub below_margin: Vec<BelowMargin>,
    pub basket: Basket,
}

/// A SKU whose margin over the sale is below its standard margin.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BelowMargin {
    pub id: String,
    pub name: String,
    pub units: u64,
    pub gmv: i64,
    pub margin: f64,
    pub standard_margin: f64,
    /// `standard_margin − margin`: how far short, in margin points.
    pub gap: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Basket {
    pub sale: Vec<BasketRow>,
    pub channels: Vec<ChannelBasket>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChannelBasket {
    pub id: String,
    pub name: String,
    pub hours: Vec<BasketRow>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BasketRow {
    pub hour: u32,
    pub at: String,
    pub orders: u64,
    pub gmv: i64,
    pub units: u64,
    pub aov: Option<i64>,
    pub units_per_order: Option<f64>,
}

/// The configured SKUs by id (list price and standard margin live in
/// configuration, not in the engine's rows).
fn defs(config: &Config) -> FxHashMap<&str, &SkuDef> {
    config.skus.iter().map(|d| (d.id.as_str(), d)).collect()
}

fn ratio(a: i64, b: i64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// One hour's figures against the SKU's list price.
pub fn price_row(sale: &Sale, hour: u32, v: &PriceHour, list_price: Option<i64>) -> PriceRow {
    let asp = (v.units > 0).then(|| v.gmv as f64 / v.units as f64);
    let margin = ratio(v.profit, v.costed);
    PriceRow {
        hour,
        at: fmt_time(sale.starts_ms + i64::from(hour) * HOUR_MS, sale.timezone),
        gmv: v.gmv,
        units: v.units,
        asp: asp.map(|a| a.round() as i64),
        profit: (v.costed != 0 || v.profit != 0).then_some(v.profit),
        profit_per_unit: asp.zip(margin).map(|(a, m)| (a * m).round() as i64),
        margin,
        discount_depth: asp
            .zip(list_price.filter(|l| *l > 0))
            .map(|(a, l)| 1.0 - a / l as f64),
    }
}

/// A SKU's hours, by index.
pub fn sku_prices(st: &State, config: &Config, i: usize) -> SkuPriceTrend {
    let k = &st.skus[i];
    // Configured SKUs are interned first, in order (`State::new`), so the
    // row at the same index is usually the one; a checkpoint from an
    // earlier config may differ, hence the search.
    let def = config
        .skus
        .get(i)
        .filter(|d| *d.id == *k.id)
        .or_else(|| config.skus.iter().find(|d| *d.id == *k.id));
    let list_price = def.and_then(|d| d.list_price);
    SkuPriceTrend {
        id: k.id.to_string(),
        name: k.name.to_string(),
        list_price,
        standard_margin: def.and_then(|d| d.standard_margin),
        hours: k
            .prices
            .hours()
            .iter()
            .map(|(h, v)| price_row(&config.sale, *h, v, list_price))
            .collect(),
    }
}

/// A SKU's margin over the sale when it falls short of its standard one.
fn below(k: &Sku, def: Option<&&SkuDef>) -> Option<BelowMargin> {
    let standard = def?.standard_margin?;
    let margin = ratio(k.prices.profit, k.prices.costed)?;
    (margin < standard).then(|| BelowMargin {
        id: k.id.to_string(),
        name: k.name.to_string(),
        units: k.units,
        gmv: k.gmv,
        margin,
        standard_margin: standard,
        gap: standard - margin,
    })
}

/// SKUs below their standard margin, worst gap first (then by id), at
/// most [`MAX_BELOW_MARGIN`]. A SKU without cost data (no costed GMV) or
/// without a standard margin is not listed.
pub fn below_margin(st: &State, config: &Config) -> Vec<BelowMargin> {
    let defs = defs(config);
    let mut rows: Vec<BelowMargin> = st
        .skus
        .iter()
        .filter_map(|k| below(k, defs.get(&*k.id)))
        .collect();
    rows.sort_by(|a, b| b.gap.total_cmp(&a.gap).then_with(|| a.id.cmp(&b.id)));
    rows.truncate(MAX_BELOW_MARGIN);
    rows
}

/// A timeline's hours, every hour from the first to the last with orders.
pub fn basket_rows(sale: &Sale, t: &Timeline) -> Vec<BasketRow> {
    let hours = t.end().div_ceil(60);
    (0..hours)
        .map(|h| {
            let v = t.sum(h * 60, h * 60 + 60);
            BasketRow {
                hour: h as u32,
                at: fmt_time(sale.starts_ms + h as i64 * HOUR_MS, sale.timezone),
                orders: v.orders,
                gmv: v.gmv,
                units: v.units,
                aov: ratio(v.gmv, v.orders as i64).map(|a| a.round() as i64),
                units_per_order: ratio(v.units as i64, v.orders as i64),
            }
        })
        .collect()
}

/// Everything of `GET /api/v1/prices`.
pub fn prices(st: &State, config: &Config) -> Prices {
    let sale = &config.sale;
    Prices {
        below_margin: below_margin(st, config),
        basket: Basket {
            sale: basket_rows(sale, &st.sale.timeline),
            channels: st
                .channels
                .iter()
                .map(|c| ChannelBasket {
                    id: c.id.to_string(),
                    name: c.name.to_string(),
                    hours: basket_rows(sale, &c.scope.timeline),
                })
                .collect(),
        },
    }
}

/// The SKUs of `sku_prices.csv`: those with hours, by GMV (then id), at
/// most `limit`.
pub fn top_price_skus(st: &State, limit: usize) -> Vec<usize> {
    let mut ix: Vec<usize> = (0..st.skus.len())
        .filter(|&i| st.skus[i].prices.has_hours())
        .collect();
    ix.sort_by(|&a, &b| {
        let (ka, kb) = (&st.skus[a], &st.skus[b]);
        kb.gmv.cmp(&ka.gmv).then_with(|| ka.id.cmp(&kb.id))
    });
    ix.truncate(limit);
    ix
}
