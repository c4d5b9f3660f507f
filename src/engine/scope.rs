//! What is counted for every scope (the sale, a channel, a store).
//!
//! [`Counters`] are the running totals; [`Windows`] the last 1/5/15 minutes
//! by event time (per second for the first `S` seconds, per 10 s for 15
//! minutes); the timeline one bucket per minute of the sale, in chunks of the
//! minutes seen (`timeline`).

use super::reach::Reach;
use super::ring::{Ring, Wv};
use super::timeline::Timeline;

/// Running totals of one scope. Money in minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub gmv: i64,
    pub refunds: i64,
    pub orders: u64,
    pub refund_count: u64,
    pub units: u64,
    pub refund_units: u64,
    /// Σ qty × (price − cost) over items with a cost, orders minus refunds.
    pub profit: i64,
    /// GMV of the items that carry a cost, orders minus refunds.
    pub costed_gmv: i64,
    /// Distinct buyers (exact).
    pub buyers: u64,
}

/// Ten-second buckets kept: 15 minutes.
pub const TENS: usize = 90;

/// Sliding windows of one scope: `S` one-second buckets and 15 minutes of
/// ten-second buckets.
#[derive(Debug, Clone, Default)]
pub struct Windows<const S: usize> {
    pub secs: Ring<Wv, S>,
    pub tens: Ring<Wv, TENS>,
}

impl<const S: usize> Windows<S> {
    pub fn add(&mut self, ts_ms: i64, v: Wv) {
        self.secs.add(ts_ms.div_euclid(1000), v);
        self.tens.add(ts_ms.div_euclid(10_000), v);
    }

    /// The last minute, to the second: seconds `now-59 ..= now`.
    pub fn last_minute(&self, now_ms: i64) -> Wv {
        let s = now_ms.div_euclid(1000);
        self.secs.sum(s - 59, s)
    }

    /// The last `minutes` (≤ 15), to ten seconds: the current ten-second
    /// bucket and the `6 × minutes − 1` before it.
    pub fn last_minutes(&self, now_ms: i64, minutes: i64) -> Wv {
        let t = now_ms.div_euclid(10_000);
        self.tens.sum(t - 6 * minutes + 1, t)
    }
}

/// Counters, windows and a per-minute timeline, and the scope's traffic
/// and spend.
#[derive(Debug, Clone, Default)]
pub struct Scope<const S: usize> {
    pub counters: Counters,
    pub windows: Windows<S>,
    pub timeline: Timeline,
    pub reach: Reach,
}

impl<const S: usize> Scope<S> {
    /// Counts an order's figures: totals, windows (at `window_ms`), and the
    /// timeline minute when the order falls inside the sale.
    pub fn add_order(
        &mut self,
        v: Wv,
        profit: i64,
        costed: i64,
        window_ms: i64,
        minute: Option<u32>,
    ) {
        let c = &mut self.counters;
        c.gmv = c.gmv.saturating_add(v.gmv);
        c.orders += 1;
        c.units = c.units.saturating_add(v.units);
        c.profit = c.profit.saturating_add(profit);
        c.costed_gmv = c.costed_gmv.saturating_add(costed);
        self.windows.add(window_ms, v);
        if let Some(m) = minute {
            self.timeline.add(m, v);
        }
    }

    pub fn add_refund(&mut self, amount: i64, units: u64, profit: i64, costed: i64) {
        let c = &mut self.counters;
        c.refunds = c.refunds.saturating_add(amount);
        c.refund_count += 1;
        c.refund_units = c.refund_units.saturating_add(units);
        c.profit = c.profit.saturating_sub(profit);
        c.costed_gmv = c.costed_gmv.saturating_sub(costed);
    }
}
