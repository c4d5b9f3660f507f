//! The body of checkpoint format 3: format 2 with each scope's per-minute
//! timeline stored sparse, as the chunks of minutes it saw.
//!
//! Format 2 stored every timeline densely, from the sale's first minute to
//! the scope's last: 50,000 stores first seen on day 30 of a 31-day sale
//! made a checkpoint of 43,000 minutes each (tens of GB while written and
//! again while read). Format 3 stores what the engine keeps
//! (`engine::Timeline`): `(chunk number, its 32 minutes)` for the chunks
//! that exist, and one past the last minute. A checkpoint is therefore
//! bounded by what was seen, like memory: about 100 bytes per half hour a
//! scope sold in, never by the calendar. Chunks mirror the engine's
//! layout, so writing and reading move whole chunks and need no search.
//!
//! Everything else is format 2's bytes and reuses its types (counters,
//! rings, SKUs, buyers); only the structs a timeline is inside have twins
//! here. As with format 2, change nothing here once released: a new field
//! is a new format.

use serde::{Deserialize, Serialize};

use super::checkpoint_v2::{
    BuyerV2, CountersV2, MapShardsV2, RingV2, SERIES_SECS, STORE_SECS, SetShardsV2, SkuV2, TENS,
    WindowsV2, WvV2,
};

/// Minutes per stored chunk: the engine's `CHUNK`, fixed by the format.
pub const CHUNK_MINUTES: usize = 32;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateV3 {
    pub sale: ScopeV3<SERIES_SECS>,
    pub channels: Vec<ChannelV3>,
    pub stores: Vec<StoreV3>,
    pub skus: Vec<SkuV2>,
    /// Buyer hash → buyer index, in the shards the engine kept.
    pub buyers: MapShardsV2,
    /// By buyer index.
    pub buyer_info: Vec<BuyerV2>,
    /// `(channel << 32) | buyer index` for channels from the 65th on.
    pub channel_buyers: SetShardsV2,
    /// `(store << 32) | buyer index` beyond each buyer's first store.
    pub store_buyers: SetShardsV2,
    pub new_buyers: u64,
    pub events_applied: u64,
    /// The idempotency keys the key files up to this checkpoint hold.
    pub checkpoint_keys: u64,
    pub duplicates: u64,
    pub last_event_ms: Option<i64>,
    /// (epoch second, orders) of the busiest second.
    pub peak_second: Option<(i64, u64)>,
    /// Refunds of the last 15 minutes (amount in `gmv`, count in `orders`).
    pub refund_tens: RingV2<WvV2, TENS>,
    pub last_apply_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelV3 {
    pub id: Box<str>,
    pub name: Box<str>,
    pub target: Option<i64>,
    pub profit_target: Option<i64>,
    pub scope: ScopeV3<SERIES_SECS>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreV3 {
    pub id: Box<str>,
    pub name: Box<str>,
    /// Index into the channels.
    pub channel: u32,
    pub target: Option<i64>,
    pub profit_target: Option<i64>,
    pub scope: ScopeV3<STORE_SECS>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScopeV3<const S: usize> {
    pub counters: CountersV2,
    pub windows: WindowsV2<S>,
    pub timeline: TimelineV3,
}

/// A scope's minutes since the sale's start, by the chunks it sold in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TimelineV3 {
    /// By rising chunk number; minute `m` is slot `m % 32` of chunk
    /// `m / 32`. Chunks not here hold only zeros.
    pub chunks: Vec<ChunkV3>,
    /// One past the last minute the scope counted (0 when none).
    pub end: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkV3 {
    pub no: u32,
    pub minutes: [WvV2; CHUNK_MINUTES],
}
