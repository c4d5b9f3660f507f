//! `GET /api/v1/summary`: the sale's headline figures (contract §3).

use serde::Serialize;

use super::figures::{completion, pace, projected_gmv};
use super::sale::{SaleInfo, fmt_time};
use crate::config::Config;
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

pub fn summary(st: &State, cfg: &Config, now_ms: i64) -> Summary {
    let sale = &cfg.sale;
    let c = &st.sale.counters;
    let windows = WindowSet::of(&st.sale.windows, now_ms);
    let s = now_ms.div_euclid(1000);
    let last10 = st.sale.windows.secs.sum(s - 10, s - 1);
    Summary {
        sale: SaleInfo::of(sale),
        now: fmt_time(now_ms, sale.timezone),
        now_ms,
        events_applied: st.events_applied,
        duplicates: st.duplicates,
        totals: Totals {
            gmv: c.gmv,
            refunds: c.refunds,
            net_gmv: c.gmv - c.refunds,
            orders: c.orders,
            refund_count: c.refund_count,
            units: c.units,
            refund_units: c.refund_units,
            buyers: st.buyers(),
            new_buyers: st.new_buyers,
            aov: aov(c),
            units_per_order: (c.orders > 0).then(|| c.units as f64 / c.orders as f64),
            profit: c.profit,
            margin: (c.costed_gmv > 0).then(|| c.profit as f64 / c.costed_gmv as f64),
            profit_target: sale.profit_target,
            profit_completion: completion(c.profit, sale.profit_target),
            target: sale.target,
            completion: completion(c.gmv, sale.target),
            pace: pace(sale, c.gmv, now_ms),
            projected_gmv: projected_gmv(sale, c.gmv, windows.m15.gmv, now_ms),
        },
        windows,
        rates: Rates {
            orders_per_s: last10.orders as f64 / 10.0,
            gmv_per_s: last10.gmv as f64 / 10.0,
        },
    }
}
