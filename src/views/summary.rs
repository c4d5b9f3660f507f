//! `GET /api/v1/summary`: the sale's headline figures (docs/api.md, Reading).

use serde::Serialize;

use super::efficiency::{Efficiency, ReachFigures};
use super::figures::{completion, pace, projected_gmv};
use super::periods::{PeriodFigures, period_figures};
use super::sale::{SaleInfo, fmt_time};
use super::shape::{Shape, sale_shape};
use crate::config::{Config, Sale};
use crate::engine::{Counters, State, Windows, Wv};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub sale: SaleInfo,
    pub now: String,
    pub now_ms: i64,
    pub events_applied: u64,
    pub duplicates: u64,
    pub totals: Totals,
    pub windows: WindowSet,
    pub rates: Rates,
    /// The sale's burst and decay, once its peak minute is over
    /// (docs/api.md, Shape).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shape: Option<Shape>,
    /// The days before and after the sale, when configured (docs/api.md,
    /// The days around the sale).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre: Option<PeriodFigures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post: Option<PeriodFigures>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Totals {
    pub gmv: i64,
    pub refunds: i64,
    pub net_gmv: i64,
    pub orders: u64,
    pub refund_count: u64,
    pub units: u64,
    pub refund_units: u64,
    pub buyers: u64,
    pub new_buyers: u64,
    pub aov: Option<i64>,
    pub units_per_order: Option<f64>,
    pub profit: i64,
    pub margin: Option<f64>,
    pub profit_target: Option<i64>,
    pub profit_completion: Option<f64>,
    pub target: Option<i64>,
    pub completion: Option<f64>,
    pub pace: Option<f64>,
    pub projected_gmv: Option<i64>,
    /// Visitors, spend, conversion, ROI, cost-to-sales and, with
    /// `sale.budget`, the budget figures (docs/api.md, Efficiency figures).
    #[serde(flatten)]
    pub efficiency: Efficiency,
    /// With a `baseline`: last sale's cumulative GMV at the same minute
    /// since its start, and how far ahead this sale is (0.12 = 12 %).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_gmv: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vs_baseline: Option<f64>,
}

/// GMV, orders and units over the last 1, 5 and 15 minutes.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct WindowSet {
    #[serde(rename = "1m")]
    pub m1: Wv,
    #[serde(rename = "5m")]
    pub m5: Wv,
    #[serde(rename = "15m")]
    pub m15: Wv,
}

impl WindowSet {
    pub fn of<const S: usize>(w: &Windows<S>, now_ms: i64) -> WindowSet {
        WindowSet {
            m1: w.last_minute(now_ms),
            m5: w.last_minutes(now_ms, 5),
            m15: w.last_minutes(now_ms, 15),
        }
    }
}

/// Orders and GMV per second over the last 10 whole seconds.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Rates {
    pub orders_per_s: f64,
    pub gmv_per_s: f64,
}

/// Average order value: GMV ÷ buyers, or ÷ orders when no buyer ids are sent.
fn aov(c: &Counters) -> Option<i64> {
    let per = if c.buyers > 0 { c.buyers } else { c.orders };
    (per > 0).then(|| (c.gmv as f64 / per as f64).round() as i64)
}

/// The figures of one scope (the sale, or a set of stores or channels)
/// that totals are derived from.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScopeFigures {
    pub counters: Counters,
    pub new_buyers: u64,
    pub target: Option<i64>,
    pub profit_target: Option<i64>,
    pub gmv_15m: i64,
    pub baseline_gmv: Option<i64>,
    pub reach: ReachFigures,
    /// The promotion budget of the scope (summed over channels).
    pub budget: Option<i64>,
}

/// Totals with every derived figure, for any scope.
pub fn totals(sale: &Sale, f: &ScopeFigures, now_ms: i64) -> Totals {
    let c = &f.counters;
    Totals {
        gmv: c.gmv,
        refunds: c.refunds,
        net_gmv: c.gmv - c.refunds,
        orders: c.orders,
        refund_count: c.refund_count,
        units: c.units,
        refund_units: c.refund_units,
        buyers: c.buyers,
        new_buyers: f.new_buyers,
        aov: aov(c),
        units_per_order: (c.orders > 0).then(|| c.units as f64 / c.orders as f64),
        profit: c.profit,
        margin: (c.costed_gmv > 0).then(|| c.profit as f64 / c.costed_gmv as f64),
        profit_target: f.profit_target,
        profit_completion: completion(c.profit, f.profit_target),
        target: f.target,
        completion: completion(c.gmv, f.target),
        pace: pace(sale, f.target, c.gmv, now_ms),
        projected_gmv: projected_gmv(sale, c.gmv, f.gmv_15m, now_ms),
        efficiency: Efficiency::of(&f.reach, c.gmv, c.orders).budgeted(sale, f.budget, now_ms),
        baseline_gmv: f.baseline_gmv,
        vs_baseline: vs_baseline(c.gmv, f.baseline_gmv),
    }
}

/// This sale against the baseline: 0.12 = 12 % ahead.
pub fn vs_baseline(gmv: i64, baseline: Option<i64>) -> Option<f64> {
    baseline
        .filter(|b| *b > 0)
        .map(|b| gmv as f64 / b as f64 - 1.0)
}

/// The baseline's cumulative GMV at the minute since start that `now_ms` is in.
pub fn baseline_now(sale: &Sale, now_ms: i64) -> Option<i64> {
    let b = sale.baseline.as_ref()?;
    (now_ms >= sale.starts_ms)
        .then(|| b.at_minute(((now_ms - sale.starts_ms) / 60_000) as usize))
        .flatten()
}

/// Orders and GMV per second over the 10 whole seconds before `now_ms`.
pub fn rates_of<const S: usize>(w: &Windows<S>, now_ms: i64) -> Rates {
    let s = now_ms.div_euclid(1000);
    let last10 = w.secs.sum(s - 10, s - 1);
    Rates {
        orders_per_s: last10.orders as f64 / 10.0,
        gmv_per_s: last10.gmv as f64 / 10.0,
    }
}

pub fn summary(st: &State, cfg: &Config, now_ms: i64) -> Summary {
    let sale = &cfg.sale;
    let windows = WindowSet::of(&st.sale.windows, now_ms);
    let figures = ScopeFigures {
        counters: st.sale.counters,
        new_buyers: st.new_buyers,
        target: sale.target,
        profit_target: sale.profit_target,
        gmv_15m: windows.m15.gmv,
        baseline_gmv: baseline_now(sale, now_ms),
        reach: ReachFigures::of(&st.sale.reach),
        budget: sale.budget,
    };
    let (pre, post) = period_figures(st, sale);
    Summary {
        sale: SaleInfo::of(sale),
        now: fmt_time(now_ms, sale.timezone),
        now_ms,
        events_applied: st.events_applied,
        duplicates: st.duplicates,
        totals: totals(sale, &figures, now_ms),
        windows,
        rates: rates_of(&st.sale.windows, now_ms),
        shape: sale_shape(st, sale, now_ms),
        pre,
        post,
    }
}
