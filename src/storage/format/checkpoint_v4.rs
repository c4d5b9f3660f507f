//! The body of checkpoint format 4: format 3 plus the sale's efficiency
//! and region figures (docs/api.md, Storage).
//!
//! Added to format 3: every scope's traffic and spend ([`ReachV4`]: totals
//! and visitors and spend per minute, stored by the chunks seen as order
//! timelines are), a SKU's product-page visits, the regions and campaigns
//! (a campaign with its own order timeline and spend), each region's
//! distinct buyers as `(region, buyer)` pairs, and each channel's and
//! store's sales by region. Everything else is format 3's bytes and reuses
//! its types. Timelines are one generic struct here ([`TimelineV4`]), the
//! same bytes as format 3's for orders' minutes.
//!
//! The region maps are hash tables in memory; they are stored as lists in
//! key order, so two cluster nodes holding the same state write the same
//! bytes (as `checkpoint_v2` does for the buyer tables). As with formats 2
//! and 3, change nothing here once released: a new field is a new format.

use serde::{Deserialize, Serialize};

use super::checkpoint_v2::{
    BuyerV2, CountersV2, MapShardsV2, RingV2, SERIES_SECS, STORE_SECS, SetShardsV2, TENS, VELOCITY,
    WindowsV2, WvV2,
};
use super::checkpoint_v3::CHUNK_MINUTES;
use super::notes_v4::NotesV4;
use super::prices_v4::PricesV4;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateV4 {
    pub sale: ScopeV4<SERIES_SECS>,
    pub channels: Vec<ChannelV4>,
    pub stores: Vec<StoreV4>,
    pub skus: Vec<SkuV4>,
    /// By first sight, as the engine interned them.
    pub regions: Vec<RegionV4>,
    pub campaigns: Vec<CampaignV4>,
    /// Buyer hash → buyer index, in the shards the engine kept.
    pub buyers: MapShardsV2,
    /// By buyer index.
    pub buyer_info: Vec<BuyerV2>,
    /// `(channel << 32) | buyer index` for channels from the 65th on.
    pub channel_buyers: SetShardsV2,
    /// `(store << 32) | buyer index` beyond each buyer's first store.
    pub store_buyers: SetShardsV2,
    /// `(region << 32) | buyer index`: each region's distinct buyers.
    pub region_buyers: SetShardsV2,
    /// `(channel << 32) | region` → the channel's sales there, by key.
    pub channel_regions: Vec<(u64, WvV2)>,
    /// `(store << 32) | region` → the store's sales there, by key.
    pub store_regions: Vec<(u64, WvV2)>,
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
    /// The war-room log's notes (`notes_v4`).
    pub notes: NotesV4,
    /// The SKUs' price records (`prices_v4`): appended, a part of its own.
    pub prices: PricesV4,
    /// The days around the sale (`periods_v4`).
    pub periods: super::periods_v4::PeriodsV4,
    /// Each channel's and store's busiest second (`periods_v4`).
    pub shape: super::periods_v4::ShapeV4,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelV4 {
    pub id: Box<str>,
    pub name: Box<str>,
    pub target: Option<i64>,
    pub profit_target: Option<i64>,
    pub scope: ScopeV4<SERIES_SECS>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreV4 {
    pub id: Box<str>,
    pub name: Box<str>,
    /// Index into the channels.
    pub channel: u32,
    pub target: Option<i64>,
    pub profit_target: Option<i64>,
    pub scope: ScopeV4<STORE_SECS>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScopeV4<const S: usize> {
    pub counters: CountersV2,
    pub windows: WindowsV2<S>,
    pub timeline: TimelineV4<WvV2>,
    pub reach: ReachV4,
}

/// Traffic and spend of a scope or campaign.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReachV4 {
    pub visitors: u64,
    pub page_views: u64,
    /// Minor units.
    pub spend: i64,
    pub minutes: TimelineV4<ReachMinuteV4>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ReachMinuteV4 {
    pub visitors: u64,
    pub spend: i64,
}

/// Minutes since the sale's start, by the chunks that hold any (format
/// 3's `TimelineV3`, for any kind of minute).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineV4<T> {
    /// By rising chunk number; minute `m` is slot `m % 32` of chunk
    /// `m / 32`. Chunks not here hold only zeros.
    pub chunks: Vec<ChunkV4<T>>,
    /// One past the last minute counted (0 when none).
    pub end: u32,
}

impl<T> Default for TimelineV4<T> {
    fn default() -> Self {
        TimelineV4 {
            chunks: Vec::new(),
            end: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkV4<T> {
    pub no: u32,
    pub minutes: [T; CHUNK_MINUTES],
}

/// Format 3's SKU row and the product page's visits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkuV4 {
    pub id: Box<str>,
    pub name: Box<str>,
    pub target_units: Option<i64>,
    pub cost: Option<i64>,
    pub stock: Option<i64>,
    pub stock_left: i64,
    pub low_stock: Option<i64>,
    pub units: u64,
    pub gmv: i64,
    pub refund_units: u64,
    pub refunds: i64,
    pub velocity: RingV2<u32, VELOCITY>,
    pub sold_out_at: Option<i64>,
    pub visitors: u64,
    pub page_views: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionV4 {
    /// A division's code, or another region as sent.
    pub id: Box<str>,
    pub gmv: i64,
    pub orders: u64,
    pub units: u64,
    pub buyers: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignV4 {
    pub id: Box<str>,
    /// Index into the channels, when known.
    pub channel: Option<u32>,
    /// The event time the channel was taken from (`i64::MIN`: configured;
    /// `i64::MAX`: none yet).
    pub channel_ts: i64,
    pub gmv: i64,
    pub orders: u64,
    pub units: u64,
    /// Attributed orders per minute.
    pub timeline: TimelineV4<WvV2>,
    pub reach: ReachV4,
}
