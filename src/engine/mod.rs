//! The engine: every counter of the sale, in memory, changed only by `apply`.
//!
//! Layout: `handle` (the shared [`Engine`]); `state` (the rows,
//! idempotency, buyers, the apply loop) with `admit` (ids resolved, caps),
//! `intern` (ids to dense indices), `orders` (orders, refunds, stock),
//! `efficiency` (traffic, spend, an order's region and campaign) and
//! `observe` (events in the days around the sale) — the apply loop's
//! parts, one file each; `keys` (the idempotency keys, written to disk
//! incrementally); `entity` (channel, store, SKU, region and campaign
//! rows); `scope` (totals, windows, timeline); `reach` (traffic and
//! spend); `prices` (a SKU's hours); `periods` (the days around the sale);
//! `peaks` (each channel's and store's busiest second); `timeline`
//! (per-minute chunks); `ring` (time-bucket rings); `sharded` (the big
//! hash sets, split so none stalls ingest when it grows); `notes` (the
//! war-room log's notes).

mod admit;
mod efficiency;
mod entity;
mod handle;
mod intern;
mod keys;
mod metrics;
mod notes;
mod observe;
mod orders;
mod peaks;
mod periods;
mod prices;
mod reach;
mod ring;
mod scope;
mod sharded;
mod state;
mod timeline;

pub use admit::{Caps, Refused};
pub use entity::{Campaign, Channel, Region, SERIES_SECS, Sku, Store};
pub use handle::Engine;
pub use notes::{Note, Notes};
pub use peaks::Peaks;
pub use periods::{Line, Period, PeriodOrder, Periods, Side, day_index, diverted, first_ms, side};
// Both areas name their row `Line`; the price one is re-exported by its role.
pub use prices::{Line as PriceLine, PriceHour, SkuPrices};
pub use reach::{Reach, ReachMinute};
pub use ring::{Bucket, Ring, Wv};
pub use scope::{Counters, Scope, Windows};
pub use state::{Applied, OTHER_CHANNEL, State};
pub use timeline::{BadTimeline, CHUNK, Timeline};
// For the checkpoint conversion in `storage::format`, which copies every
// field of the state into storage's own types and back.
pub(crate) use sharded::{ShardedMap, ShardedSet};
pub(crate) use state::BuyerInfo;
