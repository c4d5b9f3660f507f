//! [`Keys`]: the idempotency keys, and which of them are new since the last
//! checkpoint.
//!
//! The key set is the one structure that grows with every event (16 bytes
//! each; 60 M after a minute at a million events a second). Writing it whole
//! into every checkpoint made each checkpoint cost seconds of CPU and a
//! gigabyte of disk, stolen from ingest. Keys are only ever added, so a
//! checkpoint writes just the keys added since the previous one (a key
//! file, `storage::keys`) and the set is the union of those files on start.
//! With storage attached, `Keys` remembers each new key until the next
//! checkpoint takes them ([`Keys::take_new`]).

use super::sharded::ShardedSet;

#[derive(Debug, Clone, Default)]
pub struct Keys {
    set: ShardedSet<u128>,
    /// Keys added since the last `take_new`, when tracking.
    new: Vec<u128>,
    tracking: bool,
}

impl Keys {
    /// Records `key`; true when it was not there before.
    #[inline]
    pub fn insert(&mut self, key: u128) -> bool {
        let fresh = self.set.insert(key);
        if fresh && self.tracking {
            self.new.push(key);
        }
        fresh
    }

    /// Adds keys from a key file (not tracked: they are on disk already).
    pub fn load(&mut self, keys: impl IntoIterator<Item = u128>) {
        for k in keys {
            self.set.insert(k);
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
        self.set.len()
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
        k.load([3, 4]);
        assert!(!k.insert(3));
        assert!(k.insert(5));
        let taken = k.take_new();
        assert_eq!(taken, vec![2, 5]);
        assert!(k.insert(6));
        k.untake(taken);
        assert_eq!(k.take_new(), vec![2, 5, 6]);
        assert_eq!(k.len(), 6);
    }
}
