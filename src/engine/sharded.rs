//! Hash sets and maps split into 64 shards by key.
//!
//! Buyers and (store, buyer) pairs grow to millions of entries in a big
//! sale (the idempotency keys, larger still, have their own table in `keys`). A single hash table doubles all at once, and rehashing 16 M
//! keys under the engine lock stalls ingest for hundreds of milliseconds
//! (seen as a 1.2 s worst-case request in the load test). Split 64 ways,
//! each resize moves 1/64 of the keys, so the longest pause shrinks by the
//! same factor while the total work stays the same.

use std::hash::Hash;

use rustc_hash::{FxHashMap, FxHashSet};

const SHARDS: usize = 64;

/// A key that knows its shard. Keys are hashes or packed indices; the
/// multiply spreads packed indices (whose high bits are a scope number).
pub trait ShardKey: Hash + Eq + Copy {
    fn shard(&self) -> usize;
}

impl ShardKey for u128 {
    fn shard(&self) -> usize {
        ((*self as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize
    }
}

impl ShardKey for u64 {
    fn shard(&self) -> usize {
        (self.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize
    }
}

#[derive(Debug, Clone)]
pub struct ShardedSet<K: Hash + Eq> {
    shards: Vec<FxHashSet<K>>,
}

impl<K: ShardKey> Default for ShardedSet<K> {
    fn default() -> Self {
        ShardedSet {
            shards: (0..SHARDS).map(|_| FxHashSet::default()).collect(),
        }
    }
}

impl<K: ShardKey> ShardedSet<K> {
    #[allow(clippy::len_without_is_empty)] // counted, never tested for emptiness
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.len()).sum()
    }

    /// True when `k` was not there before.
    pub fn insert(&mut self, k: K) -> bool {
        self.shards[k.shard()].insert(k)
    }

    /// The shards, for a checkpoint (see `from_shards`).
    pub(crate) fn into_shards(self) -> Vec<FxHashSet<K>> {
        self.shards
    }

    /// A set from shards as a checkpoint kept them: taken as they are when
    /// they are split as this build splits keys (no rehash of millions of
    /// buyers at start-up), else every key inserted again.
    pub(crate) fn from_shards(shards: Vec<FxHashSet<K>>) -> Self {
        if placed(&shards, |s| s.iter()) {
            return ShardedSet { shards };
        }
        let mut out = Self::default();
        for k in shards.into_iter().flatten() {
            out.insert(k);
        }
        out
    }
}

/// Whether `shards` are exactly this build's split: `SHARDS` of them, each
/// key in its own shard.
fn placed<'a, S: 'a, K: ShardKey + 'a, I: Iterator<Item = &'a K>>(
    shards: &'a [S],
    keys: impl Fn(&'a S) -> I,
) -> bool {
    shards.len() == SHARDS
        && shards
            .iter()
            .enumerate()
            .all(|(i, s)| keys(s).all(|k| k.shard() == i))
}

#[derive(Debug, Clone)]
pub struct ShardedMap<K: Hash + Eq, V> {
    shards: Vec<FxHashMap<K, V>>,
    len: usize,
}

impl<K: ShardKey, V> Default for ShardedMap<K, V> {
    fn default() -> Self {
        ShardedMap {
            shards: (0..SHARDS).map(|_| FxHashMap::default()).collect(),
            len: 0,
        }
    }
}

impl<K: ShardKey, V: Copy> ShardedMap<K, V> {
    /// The value of `k`, inserting `make()` first if absent.
    pub fn get_or_insert_with(&mut self, k: K, make: impl FnOnce() -> V) -> V {
        let shard = &mut self.shards[k.shard()];
        let before = shard.len();
        let v = *shard.entry(k).or_insert_with(make);
        self.len += shard.len() - before;
        v
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// The shards, for a checkpoint (see `from_shards`).
    pub(crate) fn into_shards(self) -> Vec<FxHashMap<K, V>> {
        self.shards
    }

    /// A map from shards as a checkpoint kept them, like
    /// [`ShardedSet::from_shards`].
    pub(crate) fn from_shards(shards: Vec<FxHashMap<K, V>>) -> Self {
        if placed(&shards, |s| s.keys()) {
            let len = shards.iter().map(|s| s.len()).sum();
            return ShardedMap { shards, len };
        }
        let mut out = Self::default();
        for (k, v) in shards.into_iter().flatten() {
            out.get_or_insert_with(k, || v);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_across_shards() {
        let mut s = ShardedSet::<u64>::default();
        for i in 0..10_000u64 {
            assert!(s.insert(i << 32 | 7));
        }
        assert!(!s.insert(5u64 << 32 | 7));
        let used = s.shards.iter().filter(|x| !x.is_empty()).count();
        assert!(used > 32, "packed keys spread over shards: {used}");
        let mut m = ShardedMap::<u128, u32>::default();
        assert_eq!(m.get_or_insert_with(9, || 1), 1);
        assert_eq!(m.get_or_insert_with(9, || 2), 1);
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn shards_from_elsewhere_are_split_again() {
        let mut m = ShardedMap::<u128, u32>::default();
        for i in 0..1000u128 {
            m.get_or_insert_with(i * 0x1_0000_0001, || i as u32);
        }
        let shards = m.clone().into_shards();
        let same = ShardedMap::from_shards(shards.clone());
        assert_eq!(same.len(), 1000);
        // Eight shards holding everything, as a build splitting otherwise
        // might have written them: each key still found, none twice.
        let mut eight: Vec<FxHashMap<u128, u32>> = vec![FxHashMap::default(); 8];
        for (i, (k, v)) in shards.into_iter().flatten().enumerate() {
            eight[i % 8].insert(k, v);
        }
        let mut again = ShardedMap::from_shards(eight);
        assert_eq!(again.len(), 1000);
        for i in 0..1000u128 {
            assert_eq!(again.get_or_insert_with(i * 0x1_0000_0001, || 0), i as u32);
        }
        let set = ShardedSet::from_shards(vec![(0..100u64).collect()]);
        assert_eq!(set.clone().into_shards().len(), SHARDS);
        assert!(!set.clone().insert(42), "re-split keys are found");
    }
}
