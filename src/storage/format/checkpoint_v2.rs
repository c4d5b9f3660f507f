//! The body of checkpoint format 2: every counter, window, stock level and
//! buyer of the sale, as postcard.
//!
//! These are plain data structs that define the bytes, field for field in
//! the order the first release wrote them (it serialised the engine's
//! `State` itself, so they mirror that struct as it was then): change
//! nothing here, or `WRCP0002` files stop reading. A new engine field goes
//! into a new format (`checkpoint_v3.rs`, with a 2 → 3 conversion), not
//! into these. Postcard writes structs and tuples as their fields in order,
//! integers as varints (`usize` as `u64`), `Option` as a tag byte, a `Vec`
//! or map as its length then its items, and a fixed array as its items.
//!
//! The ring lengths are part of the format: 300 one-second buckets for the
//! sale and channels, 60 for stores, 90 ten-second buckets, 30 of velocity.

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use serde_big_array::BigArray;

/// Per-second buckets of the sale and of each channel.
pub const SERIES_SECS: usize = 300;
/// Per-second buckets of each store.
pub const STORE_SECS: usize = 60;
/// Ten-second buckets (15 minutes).
pub const TENS: usize = 90;
/// Ten-second buckets of a SKU's units (5 minutes).
pub const VELOCITY: usize = 30;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateV2 {
    pub sale: ScopeV2<SERIES_SECS>,
    pub channels: Vec<ChannelV2>,
    pub stores: Vec<StoreV2>,
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
    pub refund_tens: RingV2<WvV2, TENS>,
    pub last_apply_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapShardsV2 {
    #[serde(serialize_with = "map_shards_in_key_order")]
    pub shards: Vec<FxHashMap<u128, u32>>,
    /// Entries over all shards.
    pub len: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetShardsV2 {
    #[serde(serialize_with = "set_shards_in_key_order")]
    pub shards: Vec<FxHashSet<u64>>,
}

// Hash tables are written in key order, not in the order they iterate in.
// That order is the table's history (its capacity, the order of inserts, a
// load from a checkpoint), so two cluster nodes holding the same state —
// one of them restarted from an older checkpoint — would write different
// bytes for it (docs/operations.md, Cluster mode: checkpoints at the same
// sequence are identical). The bytes keep their layout (a map or set is
// its length, then its entries); a reader takes entries in any order, so
// files written before read as ever. Sorting a shard at a time keeps the
// extra memory to one shard's entries, outside the engine lock.
fn map_shards_in_key_order<S: serde::Serializer>(
    shards: &[FxHashMap<u128, u32>],
    s: S,
) -> Result<S::Ok, S::Error> {
    struct Sorted<'a>(&'a FxHashMap<u128, u32>);
    impl Serialize for Sorted<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut entries: Vec<(&u128, &u32)> = self.0.iter().collect();
            entries.sort_unstable_by_key(|(k, _)| **k);
            s.collect_map(entries)
        }
    }
    s.collect_seq(shards.iter().map(Sorted))
}

fn set_shards_in_key_order<S: serde::Serializer>(
    shards: &[FxHashSet<u64>],
    s: S,
) -> Result<S::Ok, S::Error> {
    struct Sorted<'a>(&'a FxHashSet<u64>);
    impl Serialize for Sorted<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut keys: Vec<u64> = self.0.iter().copied().collect();
            keys.sort_unstable();
            s.collect_seq(keys)
        }
    }
    s.collect_seq(shards.iter().map(Sorted))
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BuyerV2 {
    /// `u32::MAX` until the buyer's first order is counted.
    pub first_store: u32,
    pub counted_new: bool,
    /// Bit `c`: counted in channel `c` (for `c` < 64).
    pub channels: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelV2 {
    pub id: Box<str>,
    pub name: Box<str>,
    pub target: Option<i64>,
    pub profit_target: Option<i64>,
    pub scope: ScopeV2<SERIES_SECS>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreV2 {
    pub id: Box<str>,
    pub name: Box<str>,
    /// Index into the channels.
    pub channel: u32,
    pub target: Option<i64>,
    pub profit_target: Option<i64>,
    pub scope: ScopeV2<STORE_SECS>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkuV2 {
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScopeV2<const S: usize> {
    pub counters: CountersV2,
    pub windows: WindowsV2<S>,
    /// One bucket per minute since the sale's start.
    pub timeline: Vec<WvV2>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowsV2<const S: usize> {
    /// One-second buckets.
    pub secs: RingV2<WvV2, S>,
    /// Ten-second buckets.
    pub tens: RingV2<WvV2, TENS>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CountersV2 {
    pub gmv: i64,
    pub refunds: i64,
    pub orders: u64,
    pub refund_count: u64,
    pub units: u64,
    pub refund_units: u64,
    pub profit: i64,
    pub costed_gmv: i64,
    pub buyers: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct WvV2 {
    pub gmv: i64,
    pub orders: u64,
    pub units: u64,
}

/// The newest `N` buckets by absolute index: bucket `i` in slot `i mod N`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "T: Serialize", deserialize = "T: Deserialize<'de>"))]
pub struct RingV2<T, const N: usize> {
    pub head: i64,
    #[serde(with = "BigArray")]
    pub slots: [T; N],
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same buyers held by tables with another history (capacity,
    /// insert order) encode to the same bytes, and read back whole.
    #[test]
    fn hash_tables_encode_the_same_whatever_their_history() {
        let keys: Vec<u64> = (0..500u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        let mut grown = FxHashMap::default();
        let mut sized = FxHashMap::with_capacity_and_hasher(8192, Default::default());
        let (mut set_a, mut set_b) = (FxHashSet::default(), FxHashSet::default());
        for (i, k) in keys.iter().enumerate() {
            grown.insert(u128::from(*k), i as u32);
            set_a.insert(*k);
        }
        for (i, k) in keys.iter().enumerate().rev() {
            sized.insert(u128::from(*k), i as u32);
            set_b.insert(*k);
        }
        set_b.reserve(8192);
        assert_ne!(
            grown.keys().collect::<Vec<_>>(),
            sized.keys().collect::<Vec<_>>(),
            "the tables iterate in different orders"
        );
        let encode = |m: FxHashMap<u128, u32>, s: FxHashSet<u64>| {
            let v = (
                MapShardsV2 {
                    len: m.len() as u64,
                    shards: vec![m],
                },
                SetShardsV2 { shards: vec![s] },
            );
            postcard::to_stdvec(&v).expect("encode")
        };
        let a = encode(grown.clone(), set_a.clone());
        let b = encode(sized, set_b);
        assert_eq!(a, b);
        let (map, set): (MapShardsV2, SetShardsV2) = postcard::from_bytes(&a).expect("decode");
        assert_eq!((map.shards, set.shards), (vec![grown], vec![set_a]));
    }
}
