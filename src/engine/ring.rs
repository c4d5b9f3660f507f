//! Fixed-size rings of time buckets: the sliding windows.
//!
//! A ring keeps the newest `N` buckets (seconds, ten-second spans) of some
//! value by absolute bucket index. Adding to a newer bucket clears the ones
//! skipped over; adding to a bucket older than the ring is ignored (the event
//! still counts in totals and the timeline, only not in "the last N minutes").
//! No allocation after creation, O(1) per add.

/// A value that can be summed into a bucket.
pub trait Bucket: Copy + Default {
    fn add(&mut self, other: Self);
}

impl Bucket for u32 {
    fn add(&mut self, other: u32) {
        *self = self.saturating_add(other);
    }
}

/// GMV, orders and units in one bucket (window value). Serialisable for
/// the API's windows (`views`); checkpoints have their own format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Wv {
    pub gmv: i64,
    pub orders: u64,
    pub units: u64,
}

impl Bucket for Wv {
    fn add(&mut self, o: Wv) {
        self.gmv = self.gmv.saturating_add(o.gmv);
        self.orders = self.orders.saturating_add(o.orders);
        self.units = self.units.saturating_add(o.units);
    }
}

/// The newest `N` buckets of `T`. The fields are open to the crate for
/// the checkpoint conversion (`storage::format`), which copies them as
/// they are.
#[derive(Debug, Clone)]
pub struct Ring<T, const N: usize> {
    /// The newest bucket index held.
    pub(crate) head: i64,
    /// Bucket `i` lives in slot `i mod N`.
    pub(crate) slots: [T; N],
}

impl<T: Bucket, const N: usize> Default for Ring<T, N> {
    fn default() -> Self {
        Ring {
            head: i64::MIN / 2,
            slots: [T::default(); N],
        }
    }
}

impl<T: Bucket, const N: usize> Ring<T, N> {
    fn slot(idx: i64) -> usize {
        idx.rem_euclid(N as i64) as usize
    }

    /// Adds `v` to bucket `idx`.
    pub fn add(&mut self, idx: i64, v: T) {
        if idx > self.head {
            if idx - self.head >= N as i64 {
                self.slots.fill(T::default());
            } else {
                for i in self.head + 1..=idx {
                    self.slots[Self::slot(i)] = T::default();
                }
            }
            self.head = idx;
        } else if idx <= self.head - N as i64 {
            return;
        }
        self.slots[Self::slot(idx)].add(v);
    }

    /// Sum of buckets `from..=to` that the ring still holds.
    pub fn sum(&self, from: i64, to: i64) -> T {
        let mut acc = T::default();
        let lo = from.max(self.head - N as i64 + 1);
        let hi = to.min(self.head);
        let mut i = lo;
        while i <= hi {
            acc.add(self.slots[Self::slot(i)]);
            i += 1;
        }
        acc
    }

    /// The value of bucket `idx` (zero when outside the ring).
    pub fn get(&self, idx: i64) -> T {
        self.sum(idx, idx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_buckets() {
        let mut r: Ring<u32, 4> = Ring::default();
        r.add(10, 1);
        r.add(11, 2);
        r.add(11, 3);
        assert_eq!(r.sum(0, 20), 6);
        r.add(13, 10);
        assert_eq!(r.sum(10, 13), 16);
        r.add(14, 100); // 10 falls out
        assert_eq!(r.sum(0, 20), 115);
        assert_eq!(r.get(10), 0);
        r.add(9, 1000); // too old: ignored
        assert_eq!(r.sum(0, 20), 115);
        r.add(12, 7); // late but held
        assert_eq!(r.get(12), 7);
        r.add(100, 1); // far jump clears all
        assert_eq!(r.sum(0, 99), 0);
        assert_eq!(r.get(100), 1);
    }

    #[test]
    fn negative_indices_work() {
        let mut r: Ring<u32, 3> = Ring::default();
        r.add(-5, 1);
        r.add(-4, 1);
        assert_eq!(r.sum(-10, 0), 2);
    }
}
