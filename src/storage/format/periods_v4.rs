//! The days around the sale and each channel's and store's busiest second
//! in a checkpoint: [`PeriodsV4`] and [`ShapeV4`], appended to `StateV4`
//! in their own structs (so they can move to a later format as they are).
//!
//! Buyer sets are written as sorted lists, so two nodes holding the same
//! state write the same bytes. Reading checks that every channel and SKU
//! line names a row that exists.

use serde::{Deserialize, Serialize};

use super::FormatError;
use crate::engine::{Line, Peaks, Period, Periods};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LineV4 {
    pub gmv: i64,
    pub orders: u64,
    pub units: u64,
    pub buyers: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PeriodV4 {
    pub gmv: i64,
    pub refunds: i64,
    pub orders: u64,
    pub refund_count: u64,
    pub units: u64,
    pub refund_units: u64,
    pub visitors: u64,
    pub spend: i64,
    pub days: Vec<LineV4>,
    pub channels: Vec<LineV4>,
    pub stores: Vec<LineV4>,
    pub skus: Vec<LineV4>,
    /// Buyer hashes, sorted.
    pub buyers: Vec<u128>,
    /// Buyer hashes mixed with their day, sorted.
    pub day_buyers: Vec<u128>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PeriodsV4 {
    pub pre: PeriodV4,
    pub post: PeriodV4,
    pub outside: PeriodV4,
}

/// `(epoch second, orders)` of each channel's and store's busiest second.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShapeV4 {
    pub channels: Vec<(i64, u64)>,
    pub stores: Vec<(i64, u64)>,
}

impl From<Line> for LineV4 {
    fn from(l: Line) -> LineV4 {
        let Line {
            gmv,
            orders,
            units,
            buyers,
        } = l;
        LineV4 {
            gmv,
            orders,
            units,
            buyers,
        }
    }
}

impl From<LineV4> for Line {
    fn from(l: LineV4) -> Line {
        let LineV4 {
            gmv,
            orders,
            units,
            buyers,
        } = l;
        Line {
            gmv,
            orders,
            units,
            buyers,
        }
    }
}

fn sorted(set: crate::engine::ShardedSet<u128>) -> Vec<u128> {
    let mut v: Vec<u128> = set.into_shards().into_iter().flatten().collect();
    v.sort_unstable();
    v
}

fn lines(v: Vec<Line>) -> Vec<LineV4> {
    v.into_iter().map(LineV4::from).collect()
}

fn unlines(v: Vec<LineV4>) -> Vec<Line> {
    v.into_iter().map(Line::from).collect()
}

impl From<Period> for PeriodV4 {
    fn from(p: Period) -> PeriodV4 {
        let Period {
            gmv,
            refunds,
            orders,
            refund_count,
            units,
            refund_units,
            // The length of `buyer_set`, counted again on load.
            buyers: _,
            visitors,
            spend,
            days,
            channels,
            stores,
            skus,
            buyer_set,
            day_buyers,
        } = p;
        PeriodV4 {
            gmv,
            refunds,
            orders,
            refund_count,
            units,
            refund_units,
            visitors,
            spend,
            days: lines(days),
            channels: lines(channels),
            stores: lines(stores),
            skus: lines(skus),
            buyers: sorted(buyer_set),
            day_buyers: sorted(day_buyers),
        }
    }
}

impl PeriodV4 {
    /// The period, its channel and SKU lines checked against the rows.
    fn into_period(self, rows: (usize, usize, usize), what: &str) -> Result<Period, FormatError> {
        let PeriodV4 {
            gmv,
            refunds,
            orders,
            refund_count,
            units,
            refund_units,
            visitors,
            spend,
            days,
            channels: by_channel,
            stores: by_store,
            skus: by_sku,
            buyers,
            day_buyers,
        } = self;
        let (channels, stores, skus) = rows;
        if by_channel.len() > channels || by_store.len() > stores || by_sku.len() > skus {
            return Err(FormatError::Decode(format!(
                "{what}: {} channel, {} store and {} SKU lines for {channels} channels, {stores} stores and {skus} SKUs",
                by_channel.len(),
                by_store.len(),
                by_sku.len()
            )));
        }
        let mut buyer_set = crate::engine::ShardedSet::default();
        for b in buyers {
            buyer_set.insert(b);
        }
        let mut day_set = crate::engine::ShardedSet::default();
        for b in day_buyers {
            day_set.insert(b);
        }
        Ok(Period {
            gmv,
            refunds,
            orders,
            refund_count,
            units,
            refund_units,
            buyers: buyer_set.len() as u64,
            visitors,
            spend,
            days: unlines(days),
            channels: unlines(by_channel),
            stores: unlines(by_store),
            skus: unlines(by_sku),
            buyer_set,
            day_buyers: day_set,
        })
    }
}

impl From<Periods> for PeriodsV4 {
    fn from(p: Periods) -> PeriodsV4 {
        let Periods { pre, post, outside } = p;
        PeriodsV4 {
            pre: pre.into(),
            post: post.into(),
            outside: outside.into(),
        }
    }
}

impl PeriodsV4 {
    /// The periods, checked against `(channels, stores, SKUs)` rows.
    pub fn into_periods(self, rows: (usize, usize, usize)) -> Result<Periods, FormatError> {
        let PeriodsV4 { pre, post, outside } = self;
        Ok(Periods {
            pre: pre.into_period(rows, "the pre period")?,
            post: post.into_period(rows, "the post period")?,
            outside: outside.into_period(rows, "outside the periods")?,
        })
    }
}

impl From<Peaks> for ShapeV4 {
    fn from(p: Peaks) -> ShapeV4 {
        let Peaks { channels, stores } = p;
        ShapeV4 { channels, stores }
    }
}

impl ShapeV4 {
    pub fn into_peaks(self, channels: usize, stores: usize) -> Result<Peaks, FormatError> {
        let ShapeV4 {
            channels: by_channel,
            stores: by_store,
        } = self;
        if by_channel.len() > channels || by_store.len() > stores {
            return Err(FormatError::Decode(format!(
                "{} channel and {} store peaks for {channels} channels and {stores} stores",
                by_channel.len(),
                by_store.len()
            )));
        }
        Ok(Peaks {
            channels: by_channel,
            stores: by_store,
        })
    }
}
