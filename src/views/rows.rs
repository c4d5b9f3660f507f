//! Channel, store and SKU rows, sorted and limited (docs/api.md, Reading).
//!
//! Sorting picks the top `limit` by key first (`select_nth_unstable`) and
//! builds rows only for those, so `?limit=20` over a million SKUs copies 20
//! names, not a million.

use serde::Serialize;

use super::efficiency::{Efficiency, ReachFigures, channel_budget};
use super::figures::completion;
use super::summary::WindowSet;
use crate::config::Config;
use crate::engine::{Counters, Scope as EngineScope, Sku, State};

/// The figures channel and store rows share, flattened into both (on the
/// wire they are plain fields of the row).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RowFigures {
    pub gmv: i64,
    pub refunds: i64,
    pub net_gmv: i64,
    pub orders: u64,
    pub units: u64,
    pub buyers: u64,
    pub target: Option<i64>,
    pub completion: Option<f64>,
    pub profit: i64,
    pub profit_target: Option<i64>,
    pub profit_completion: Option<f64>,
    pub windows: WindowSet,
    /// Traffic, spend and their ratios; a channel's budget figures when
    /// it has one (docs/api.md, Efficiency figures).
    #[serde(flatten)]
    pub efficiency: Efficiency,
}

impl RowFigures {
    fn of<const S: usize>(
        scope: &EngineScope<S>,
        target: Option<i64>,
        profit_target: Option<i64>,
        now_ms: i64,
    ) -> RowFigures {
        let c = &scope.counters;
        RowFigures {
            gmv: c.gmv,
            refunds: c.refunds,
            net_gmv: c.gmv - c.refunds,
            orders: c.orders,
            units: c.units,
            buyers: c.buyers,
            target,
            completion: completion(c.gmv, target),
            profit: c.profit,
            profit_target,
            profit_completion: completion(c.profit, profit_target),
            windows: WindowSet::of(&scope.windows, now_ms),
            efficiency: Efficiency::of(&ReachFigures::of(&scope.reach), c.gmv, c.orders),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChannelRow {
    pub id: String,
    pub name: String,
    #[serde(flatten)]
    pub figures: RowFigures,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StoreRow {
    pub id: String,
    pub name: String,
    pub channel: String,
    #[serde(flatten)]
    pub figures: RowFigures,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SkuRow {
    pub id: String,
    pub name: String,
    pub units: u64,
    pub gmv: i64,
    pub refund_units: u64,
    pub target_units: Option<i64>,
    pub completion: Option<f64>,
    pub stock: Option<i64>,
    pub stock_left: Option<i64>,
    pub sellout_eta_s: Option<f64>,
    pub warning: Option<StockWarning>,
    /// Visits of the product page (traffic events naming the SKU).
    pub visitors: u64,
    pub page_views: u64,
}

/// Why a SKU is in the stock warnings (`"out"` or `"low"` on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StockWarning {
    /// Sold out: nothing left.
    Out,
    /// At or under its low line.
    Low,
}

impl StockWarning {
    pub fn as_str(self) -> &'static str {
        match self {
            StockWarning::Out => "out",
            StockWarning::Low => "low",
        }
    }
}

/// Sort keys of channels and stores (descending).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RowSort {
    #[default]
    Gmv,
    Completion,
    Orders,
    Profit,
}

impl RowSort {
    pub fn parse(s: &str) -> Result<RowSort, String> {
        Ok(match s {
            "gmv" => RowSort::Gmv,
            "completion" => RowSort::Completion,
            "orders" => RowSort::Orders,
            "profit" => RowSort::Profit,
            _ => {
                return Err(format!(
                    "sort: must be gmv, completion, orders or profit, got {s:?}"
                ));
            }
        })
    }

    fn key(self, c: &Counters, target: Option<i64>) -> f64 {
        match self {
            RowSort::Gmv => c.gmv as f64,
            RowSort::Completion => completion(c.gmv, target).unwrap_or(f64::NEG_INFINITY),
            RowSort::Orders => c.orders as f64,
            RowSort::Profit => c.profit as f64,
        }
    }
}

/// Sort keys of SKUs: GMV and units descending, sell-out ETA ascending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SkuSort {
    #[default]
    Gmv,
    Units,
    Sellout,
}

impl SkuSort {
    pub fn parse(s: &str) -> Result<SkuSort, String> {
        Ok(match s {
            "gmv" => SkuSort::Gmv,
            "units" => SkuSort::Units,
            "sellout" => SkuSort::Sellout,
            _ => return Err(format!("sort: must be gmv, units or sellout, got {s:?}")),
        })
    }
}

/// Indices of the top `limit` of `n` rows by `key` (higher first), ties by index.
fn top(n: usize, limit: usize, key: impl Fn(usize) -> f64) -> Vec<usize> {
    let mut keyed: Vec<(f64, usize)> = (0..n).map(|i| (key(i), i)).collect();
    let cmp = |a: &(f64, usize), b: &(f64, usize)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
    if limit < keyed.len() && limit > 0 {
        keyed.select_nth_unstable_by(limit - 1, cmp);
    }
    keyed.truncate(limit);
    keyed.sort_unstable_by(cmp);
    keyed.into_iter().map(|(_, i)| i).collect()
}

pub fn channel_rows(
    st: &State,
    cfg: &Config,
    now_ms: i64,
    sort: RowSort,
    limit: usize,
) -> Vec<ChannelRow> {
    let order = top(st.channels.len(), limit, |i| {
        let c = &st.channels[i];
        sort.key(&c.scope.counters, c.target)
    });
    order
        .into_iter()
        .map(|i| channel_row(st, cfg, i, now_ms))
        .collect()
}

/// One channel's row; its budget is the config's (`[[channels]] budget`).
pub fn channel_row(st: &State, cfg: &Config, i: usize, now_ms: i64) -> ChannelRow {
    let ch = &st.channels[i];
    let mut figures = RowFigures::of(&ch.scope, ch.target, ch.profit_target, now_ms);
    figures.efficiency =
        figures
            .efficiency
            .budgeted(&cfg.sale, channel_budget(cfg, &ch.id), now_ms);
    ChannelRow {
        id: ch.id.to_string(),
        name: ch.name.to_string(),
        figures,
    }
}

/// One store's row.
pub fn store_row(st: &State, i: usize, now_ms: i64) -> StoreRow {
    let s = &st.stores[i];
    StoreRow {
        id: s.id.to_string(),
        name: s.name.to_string(),
        channel: st.channels[s.channel as usize].id.to_string(),
        figures: RowFigures::of(&s.scope, s.target, s.profit_target, now_ms),
    }
}

pub fn store_rows(st: &State, now_ms: i64, sort: RowSort, limit: usize) -> Vec<StoreRow> {
    let order = top(st.stores.len(), limit, |i| {
        let s = &st.stores[i];
        sort.key(&s.scope.counters, s.target)
    });
    order
        .into_iter()
        .map(|i| store_row(st, i, now_ms))
        .collect()
}

/// Seconds until a SKU sells out at its last-5-minutes pace; 0 when out,
/// `None` when its stock is not tracked or it sold nothing lately.
fn sellout_eta(k: &Sku, now_ms: i64) -> Option<f64> {
    k.stock?;
    if k.stock_left <= 0 {
        return Some(0.0);
    }
    let sold = k.units_last_5m(now_ms);
    (sold > 0).then(|| (k.stock_left as f64 * 300.0 / f64::from(sold)).round())
}

fn warning(k: &Sku) -> Option<StockWarning> {
    k.stock?;
    if k.stock_left <= 0 {
        Some(StockWarning::Out)
    } else if k.low_line().is_some_and(|low| k.stock_left <= low) {
        Some(StockWarning::Low)
    } else {
        None
    }
}

/// SKUs out of stock, low, or selling out within `eta_limit_s`: most
/// urgent first (out, then soonest sell-out, then low), at most `limit`.
/// Decided on the counters alone; rows are built only for those shown, so
/// a million-SKU catalogue costs one pass over numbers, not a million rows.
pub fn stock_warning_rows(st: &State, now_ms: i64, eta_limit_s: f64, limit: usize) -> Vec<SkuRow> {
    let mut hits: Vec<(u8, f64, usize)> = st
        .skus
        .iter()
        .enumerate()
        .filter(|(_, k)| k.stock.is_some())
        .filter_map(|(i, k)| {
            let eta = sellout_eta(k, now_ms);
            match (warning(k), eta) {
                (Some(StockWarning::Out), _) => Some((0, 0.0, i)),
                (_, Some(eta)) if eta <= eta_limit_s => Some((1, eta, i)),
                (Some(_), Some(eta)) => Some((1, eta, i)),
                (Some(_), None) => Some((2, 0.0, i)),
                _ => None,
            }
        })
        .collect();
    hits.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(a.1.total_cmp(&b.1))
            .then_with(|| st.skus[a.2].id.cmp(&st.skus[b.2].id))
    });
    hits.into_iter()
        .take(limit)
        .map(|(_, _, i)| sku_row(st, i, now_ms))
        .collect()
}

/// One SKU's row.
pub fn sku_row(st: &State, i: usize, now_ms: i64) -> SkuRow {
    let k = &st.skus[i];
    SkuRow {
        id: k.id.to_string(),
        name: k.name.to_string(),
        units: k.units,
        gmv: k.gmv,
        refund_units: k.refund_units,
        target_units: k.target_units,
        completion: completion(k.units as i64, k.target_units),
        stock: k.stock,
        stock_left: k.stock.map(|_| k.stock_left),
        sellout_eta_s: sellout_eta(k, now_ms),
        warning: warning(k),
        visitors: k.visitors,
        page_views: k.page_views,
    }
}

pub fn sku_rows(st: &State, now_ms: i64, sort: SkuSort, limit: usize) -> Vec<SkuRow> {
    let order = top(st.skus.len(), limit, |i| {
        let k = &st.skus[i];
        match sort {
            SkuSort::Gmv => k.gmv as f64,
            SkuSort::Units => k.units as f64,
            // Soonest first; SKUs with no ETA last.
            SkuSort::Sellout => sellout_eta(k, now_ms).map_or(f64::NEG_INFINITY, |eta| -eta),
        }
    });
    order.into_iter().map(|i| sku_row(st, i, now_ms)).collect()
}
