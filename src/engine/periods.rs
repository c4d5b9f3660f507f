//! The days around the sale (docs/api.md, The days around the sale):
//! orders, refunds, traffic and spend stamped in `[starts − before,
//! starts)` count in `pre`, those in `[ends, ends + after)` in `post`, and
//! — once either period is configured — those outside all three in
//! `outside`; none of them reach the sale's totals, rows, windows or
//! timeline.
//!
//! Only events outside the sale come here: the apply loop asks
//! [`diverted`] (two compares against the sale's edges, then a flag) before
//! anything else, so an event inside the sale pays nothing more. Days are
//! the sale's time zone's calendar days, counted from the period's first
//! day; buyers are exact (128-bit hashes, as the sale's), per period and
//! per day.

use chrono::TimeZone;

use super::sharded::ShardedSet;
use crate::config::Sale;

/// Which side of the sale an event stamped outside it falls on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Pre,
    Post,
    /// Outside the sale and both periods.
    Outside,
}

/// Whether an event at `ts_ms` is kept out of the sale's figures: it lies
/// outside the sale and the sale watches its days around.
#[inline]
pub fn diverted(sale: &Sale, ts_ms: i64) -> bool {
    (ts_ms < sale.starts_ms || ts_ms >= sale.ends_ms) && sale.observes()
}

/// The side of an event outside the sale.
pub fn side(sale: &Sale, ts_ms: i64) -> Side {
    let inside = |span: Option<(i64, i64)>| span.is_some_and(|(a, b)| ts_ms >= a && ts_ms < b);
    if inside(sale.pre_span()) {
        Side::Pre
    } else if inside(sale.post_span()) {
        Side::Post
    } else {
        Side::Outside
    }
}

/// Orders of one day, one channel or one SKU.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Line {
    pub gmv: i64,
    pub orders: u64,
    pub units: u64,
    /// Distinct buyers (days only; 0 on channel and SKU lines).
    pub buyers: u64,
}

impl Line {
    fn add(&mut self, gmv: i64, units: u64) {
        self.gmv = self.gmv.saturating_add(gmv);
        self.orders += 1;
        self.units = self.units.saturating_add(units);
    }
}

/// Everything counted in one period.
#[derive(Debug, Clone, Default)]
pub struct Period {
    pub gmv: i64,
    pub refunds: i64,
    pub orders: u64,
    pub refund_count: u64,
    pub units: u64,
    pub refund_units: u64,
    pub buyers: u64,
    pub visitors: u64,
    /// Minor units.
    pub spend: i64,
    /// By day since the period's first day (in the sale's time zone).
    pub days: Vec<Line>,
    /// By channel index; `units`/`gmv` of SKUs by SKU index (orders there
    /// count order lines).
    pub channels: Vec<Line>,
    /// By store index (for each store's burst reference).
    pub stores: Vec<Line>,
    pub skus: Vec<Line>,
    pub(crate) buyer_set: ShardedSet<u128>,
    /// Buyer hashes mixed with their day (a bijection per day).
    pub(crate) day_buyers: ShardedSet<u128>,
}

/// One order as the period sees it.
pub struct PeriodOrder<'a> {
    pub day: usize,
    pub gmv: i64,
    pub units: u64,
    pub channel: usize,
    pub store: usize,
    pub buyer: Option<u128>,
    /// `(SKU index, amount, units)` per item.
    pub items: &'a [(usize, i64, u64)],
}

/// A buyer hash mixed with its day: distinct days give distinct keys.
fn day_key(buyer: u128, day: usize) -> u128 {
    buyer ^ (day as u128 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)
}

fn slot(rows: &mut Vec<Line>, i: usize) -> &mut Line {
    if rows.len() <= i {
        rows.resize(i + 1, Line::default());
    }
    &mut rows[i]
}

impl Period {
    pub fn add_order(&mut self, o: &PeriodOrder<'_>) {
        self.gmv = self.gmv.saturating_add(o.gmv);
        self.orders += 1;
        self.units = self.units.saturating_add(o.units);
        slot(&mut self.channels, o.channel).add(o.gmv, o.units);
        slot(&mut self.stores, o.store).add(o.gmv, o.units);
        for &(k, amount, units) in o.items {
            slot(&mut self.skus, k).add(amount, units);
        }
        let day = slot(&mut self.days, o.day);
        day.add(o.gmv, o.units);
        if let Some(b) = o.buyer {
            if self.day_buyers.insert(day_key(b, o.day)) {
                day.buyers += 1;
            }
            if self.buyer_set.insert(b) {
                self.buyers += 1;
            }
        }
    }

    pub fn add_refund(&mut self, amount: i64, units: u64) {
        self.refunds = self.refunds.saturating_add(amount);
        self.refund_count += 1;
        self.refund_units = self.refund_units.saturating_add(units);
    }
}

/// The pre and post periods and what fell outside both.
#[derive(Debug, Clone, Default)]
pub struct Periods {
    pub pre: Period,
    pub post: Period,
    /// Orders and refunds outside the sale and both periods: accepted,
    /// counted only here.
    pub outside: Period,
}

impl Periods {
    pub fn of(&mut self, side: Side) -> &mut Period {
        match side {
            Side::Pre => &mut self.pre,
            Side::Post => &mut self.post,
            Side::Outside => &mut self.outside,
        }
    }
}

/// Day `ts_ms` falls on, counted from the local day `from_ms` falls on
/// (0 for days before it, which only `outside` sees).
pub fn day_index(sale: &Sale, from_ms: i64, ts_ms: i64) -> usize {
    let date = |ms: i64| {
        sale.timezone
            .timestamp_millis_opt(ms)
            .single()
            .map(|d| d.date_naive())
    };
    match (date(from_ms), date(ts_ms)) {
        (Some(a), Some(b)) => usize::try_from((b - a).num_days()).unwrap_or(0),
        _ => 0,
    }
}

/// The start of `side`'s period (where its day 0 begins).
pub fn first_ms(sale: &Sale, side: Side) -> i64 {
    match side {
        Side::Pre => sale.pre_span().map_or(sale.starts_ms, |s| s.0),
        Side::Post => sale.ends_ms,
        Side::Outside => i64::MIN / 2,
    }
}
