//! [`Keys`]: the idempotency keys, and which of them are new since the last
//! checkpoint.
//!
//! The key set is the one structure that grows with every event (16 bytes
//! each; 60 M after a minute at a million events a second), so every probe
//! is a cache and TLB miss, and it is probed under the engine lock. Two
//! things make that cheap. The table is open addressing over the keys
//! themselves (they are already xxh3 hashes: no hashing, no control bytes,
//! one cache line per probe), split in 64 shards so a resize moves 1/64 of
//! it. Keys spread evenly, so equal shards would all fill up, and resize,
//! within the same second: each shard grows at its own load, from 55 % to
//! 80 %, which spreads the resizes over a 45 % growth of the set (seen as
//! a 1 s dip to 590 k events/s at 47 M keys in the load test before).
//! [`Keys::touch`] first reads the slots of the next 16 keys together, so
//! their misses overlap instead of queueing one after another (a software
//! prefetch without `unsafe`), then inserts them. And the slots live in
//! anonymous memory marked for transparent huge pages: a resize faults in
//! 2 MB pages instead of 4 KB ones (a 734 k-key shard rehashed in 34 ms
//! with 4 KB pages, 10 ms with huge pages), and random probes miss the TLB
//! less.
//!
//! Keys are only ever added, so a checkpoint writes just the keys added
//! since the previous one (a key file, `storage::keys`) and the set is the
//! union of those files on start. With storage attached, `Keys` remembers
//! each new key until the next checkpoint takes them ([`Keys::take_new`]).

const SHARD_BITS: u32 = 6;

/// A shard's slots, zeroed, in their own anonymous mapping.
struct Slots(memmap2::MmapMut);

impl Slots {
    /// Mappings this large ask for huge pages (2 MB on x86-64).
    const HUGE_FROM: usize = 2 << 20;

    fn zeroed(len: usize) -> Slots {
        let bytes = len * std::mem::size_of::<u128>();
        // Like a `Vec` that cannot get its memory, there is no going on.
        let map = memmap2::MmapMut::map_anon(bytes).expect("memory for the idempotency keys");
        if bytes >= Self::HUGE_FROM {
            // A hint: without transparent huge pages it is simply refused.
            let _ = map.advise(memmap2::Advice::HugePage);
        }
        Slots(map)
    }
}

impl std::ops::Deref for Slots {
    type Target = [u128];
    fn deref(&self) -> &[u128] {
        // Page-aligned and a whole number of keys long: cannot fail.
        bytemuck::cast_slice(&self.0)
    }
}

impl std::ops::DerefMut for Slots {
    fn deref_mut(&mut self) -> &mut [u128] {
        bytemuck::cast_slice_mut(&mut self.0)
    }
}

impl Clone for Slots {
    fn clone(&self) -> Slots {
        let mut copy = Slots::zeroed(self.len());
        copy.copy_from_slice(self);
        copy
    }
}

impl std::fmt::Debug for Slots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Slots({})", self.len())
    }
}

/// One shard: linear probing over `slots`, 0 marking an empty slot (the
/// key 0 itself is kept aside in `Keys::zero`).
#[derive(Debug, Clone)]
struct Table {
    slots: Slots,
    len: usize,
    /// Grows past this many keys per thousand slots.
    load_permille: usize,
}

impl Table {
    /// Shard `i` of `n`: loads staggered from 55 % to 80 %.
    fn new(i: usize, n: usize) -> Table {
        Table {
            slots: Slots::zeroed(64),
            len: 0,
            load_permille: 550 + 250 * i / n,
        }
    }

    #[inline]
    fn home(&self, key: u128) -> usize {
        (key as usize) & (self.slots.len() - 1)
    }

    #[inline]
    fn insert(&mut self, key: u128) -> bool {
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let slot = self.slots[i];
            if slot == key {
                return false;
            }
            if slot == 0 {
                self.slots[i] = key;
                self.len += 1;
                // Grow at most 80 % full: probe runs stay short.
                if self.len * 1000 > self.slots.len() * self.load_permille {
                    self.grow();
                }
                return true;
            }
            i = (i + 1) & mask;
        }
    }

    fn grow(&mut self) {
        self.resize(self.slots.len() * 2);
    }

    /// Room for `n` keys without growing.
    fn reserve(&mut self, n: usize) {
        let mut size = self.slots.len();
        while n * 1000 > size * self.load_permille {
            size *= 2;
        }
        if size > self.slots.len() {
            self.resize(size);
        }
    }

    fn resize(&mut self, size: usize) {
        let old = std::mem::replace(&mut self.slots, Slots::zeroed(size));
        let mask = self.slots.len() - 1;
        for key in old.iter().copied().filter(|&k| k != 0) {
            let mut i = self.home(key);
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = key;
        }
    }
}

#[inline]
fn shard_of(key: u128) -> usize {
    (key >> (128 - SHARD_BITS)) as usize
}

#[derive(Debug, Clone)]
pub struct Keys {
    shards: Vec<Table>,
    zero: bool,
    len: usize,
    /// Keys added since the last `take_new`, when tracking.
    new: Vec<u128>,
    tracking: bool,
}

impl Default for Keys {
    fn default() -> Keys {
        Keys {
            shards: (0..1 << SHARD_BITS)
                .map(|i| Table::new(i, 1 << SHARD_BITS))
                .collect(),
            zero: false,
            len: 0,
            new: Vec::new(),
            tracking: false,
        }
    }
}

impl Keys {
    /// Keys whose slots are read ahead together.
    pub const AHEAD: usize = 16;

    fn add(&mut self, key: u128) -> bool {
        let fresh = if key == 0 {
            !std::mem::replace(&mut self.zero, true)
        } else {
            self.shards[shard_of(key)].insert(key)
        };
        self.len += usize::from(fresh);
        fresh
    }

    /// Records `key`; true when it was not there before.
    pub fn insert(&mut self, key: u128) -> bool {
        let fresh = self.add(key);
        if fresh && self.tracking {
            self.new.push(key);
        }
        fresh
    }

    /// Reads the slots of `keys` (at most [`Keys::AHEAD`] of them) without
    /// changing anything: independent loads, so the CPU waits for all their
    /// misses at once, and the inserts that follow find them in cache.
    pub fn touch(&self, keys: impl Iterator<Item = u128>) {
        let mut touched = 0u128;
        for k in keys.take(Self::AHEAD) {
            let t = &self.shards[shard_of(k)];
            touched ^= t.slots[t.home(k)];
        }
        std::hint::black_box(touched);
    }

    /// Adds keys from a key file (not tracked: they are on disk already).
    pub fn load(&mut self, keys: &[u128]) {
        for group in keys.chunks(Self::AHEAD) {
            self.touch(group.iter().copied());
            for &k in group {
                self.add(k);
            }
        }
    }

    /// Makes room for `more` keys (before loading key files), so the
    /// tables are sized once instead of doubling their way up.
    pub fn reserve(&mut self, more: usize) {
        let per_shard = (self.len + more) / self.shards.len() + 1;
        for t in &mut self.shards {
            t.reserve(per_shard + per_shard / 16);
        }
    }

    /// From now on, remember new keys for the next checkpoint.
    pub fn track(&mut self) {
        self.tracking = true;
    }

    /// The keys added since the last call, oldest first.
    pub fn take_new(&mut self) -> Vec<u128> {
        std::mem::take(&mut self.new)
    }

    /// Gives back keys a failed checkpoint could not write.
    pub fn untake(&mut self, mut keys: Vec<u128>) {
        keys.append(&mut self.new);
        self.new = keys;
    }

    pub fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_only_new_keys_once_asked() {
        let mut k = Keys::default();
        assert!(k.insert(1));
        k.track();
        assert!(k.insert(2));
        assert!(!k.insert(2));
        assert!(!k.insert(1));
        k.load(&[3, 4]);
        assert!(!k.insert(3));
        assert!(k.insert(5));
        let taken = k.take_new();
        assert_eq!(taken, vec![2, 5]);
        assert!(k.insert(6));
        k.untake(taken);
        assert_eq!(k.take_new(), vec![2, 5, 6]);
        assert_eq!(k.len(), 6);
        assert!(
            k.insert(0) && !k.insert(0),
            "the empty-slot marker is a key too"
        );
        assert_eq!(k.len(), 7);
    }

    #[test]
    fn reserve_sizes_the_tables_once() {
        let mut k = Keys::default();
        k.reserve(100_000);
        let sizes: Vec<usize> = k.shards.iter().map(|t| t.slots.len()).collect();
        let mut x = 7u128;
        let keys: Vec<u128> = (0..100_000)
            .map(|_| {
                x = x
                    .wrapping_mul(0x2545_F491_4F6C_DD1D_9E37_79B9_7F4A_7C15)
                    .wrapping_add(1);
                x
            })
            .collect();
        k.load(&keys);
        assert_eq!(k.len(), 100_000);
        let after: Vec<usize> = k.shards.iter().map(|t| t.slots.len()).collect();
        assert_eq!(sizes, after, "no shard grew while loading");
    }

    #[test]
    fn batches_and_growth_agree_with_a_std_set() {
        let mut k = Keys::default();
        let mut reference = std::collections::HashSet::new();
        let mut x = 0x1234_5678_9abc_def0_u128;
        let mut keys = Vec::new();
        for i in 0..200_000u32 {
            // Repeats every so often, and keys sharing a shard and a home.
            if i % 7 == 0 && !keys.is_empty() {
                keys.push(keys[(i as usize * 31) % keys.len()]);
                continue;
            }
            x = x
                .wrapping_mul(0x2545_F491_4F6C_DD1D_9E37_79B9_7F4A_7C15)
                .wrapping_add(1);
            keys.push(if i % 101 == 0 { x & !0xFFFF_u128 } else { x });
        }
        for chunk in keys.chunks(1000) {
            let mut fresh = Vec::new();
            for group in chunk.chunks(Keys::AHEAD) {
                k.touch(group.iter().copied());
                fresh.extend(group.iter().map(|&g| k.insert(g)));
            }
            let expected: Vec<bool> = chunk.iter().map(|&c| reference.insert(c)).collect();
            assert_eq!(fresh, expected);
        }
        assert_eq!(k.len(), reference.len());
        assert!(reference.iter().all(|&r| !k.insert(r)));
    }
}
