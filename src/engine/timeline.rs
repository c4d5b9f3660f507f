//! A scope's per-minute timeline, stored in chunks of the minutes it saw.
//!
//! The timeline is indexed by minute since the sale's start, but a scope
//! that sold in three minutes of a month-long sale must not pay for the
//! month: minutes are kept in fixed chunks of [`CHUNK`] minutes, and only
//! the chunks a scope's orders fell in exist (a `Vec` sorted by chunk
//! number). Memory is therefore bounded by what was seen — at most one
//! chunk (768 bytes) per order's distinct half hour — never by the
//! calendar. Adding to the newest chunk (the common case: events arrive in
//! about time order) is O(1); an older minute is a binary search. Nothing
//! is allocated except when a scope first sells in a new chunk.

use super::ring::{Bucket, Wv};

/// Minutes per chunk: half an hour.
pub const CHUNK: usize = 32;

/// One chunk: its number and its minutes.
pub type Chunk<T = Wv> = (u32, Box<[T; CHUNK]>);

/// The highest chunk number whose minutes all fit `u32`.
const LAST_CHUNK: u32 = u32::MAX / CHUNK as u32;

/// Why stored chunks cannot be a timeline.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadTimeline {
    #[error("chunk {chunk} comes after chunk {after} (chunks must rise)")]
    Order { chunk: u32, after: u32 },
    #[error("chunk {chunk} is past the last minute a timeline can hold")]
    TooFar { chunk: u32 },
    #[error("ends at minute {end}, before its chunk {chunk} starts")]
    End { end: u32, chunk: u32 },
}

/// Minutes of `T` (orders' [`Wv`] by default; traffic and spend keep
/// their own, see `reach`).
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline<T = Wv> {
    /// `(chunk number, its minutes)`, sorted by chunk number.
    chunks: Vec<Chunk<T>>,
    /// One past the latest minute added (0 when empty).
    end: u32,
}

impl<T> Default for Timeline<T> {
    fn default() -> Self {
        Timeline {
            chunks: Vec::new(),
            end: 0,
        }
    }
}

impl<T: Bucket + PartialEq> Timeline<T> {
    /// Adds `v` to minute `m`. Inlined: the common case (the newest chunk)
    /// is a compare and an add on the hot path; the rest is out of line.
    #[inline]
    pub fn add(&mut self, m: u32, v: T) {
        let no = m / CHUNK as u32;
        let at = m as usize % CHUNK;
        match self.chunks.last_mut() {
            Some((last, chunk)) if *last == no => chunk[at].add(v),
            _ => self.add_elsewhere(no, at, v),
        }
        self.end = self.end.max(m + 1);
    }

    /// An older chunk, or one not made yet.
    #[cold]
    #[inline(never)]
    fn add_elsewhere(&mut self, no: u32, at: usize, v: T) {
        let i = match self.chunks.binary_search_by_key(&no, |c| c.0) {
            Ok(i) => i,
            Err(i) => {
                self.chunks.insert(i, (no, Box::new([T::default(); CHUNK])));
                i
            }
        };
        self.chunks[i].1[at].add(v);
    }

    /// One past the latest minute with data (0 when empty).
    pub fn end(&self) -> usize {
        self.end as usize
    }

    /// The value of minute `m` (zero when nothing was added there).
    pub fn get(&self, m: usize) -> T {
        let Ok(no) = u32::try_from(m / CHUNK) else {
            return T::default();
        };
        match self.chunks.binary_search_by_key(&no, |c| c.0) {
            Ok(i) => self.chunks[i].1[m % CHUNK],
            Err(_) => T::default(),
        }
    }

    /// Sum of minutes `from..to` (saturating). Walks only the chunks that
    /// exist in the range, so a long empty stretch costs nothing.
    pub fn sum(&self, from: usize, to: usize) -> T {
        let mut acc = T::default();
        if from >= to {
            return acc;
        }
        let first = u32::try_from(from / CHUNK).unwrap_or(u32::MAX);
        let start = self.chunks.partition_point(|c| c.0 < first);
        for (no, chunk) in &self.chunks[start..] {
            let base = *no as usize * CHUNK;
            if base >= to {
                break;
            }
            let lo = from.saturating_sub(base);
            let hi = (to - base).min(CHUNK);
            for v in &chunk[lo..hi] {
                acc.add(*v);
            }
        }
        acc
    }

    /// Chunks held (for sizing figures and tests).
    pub fn chunks(&self) -> usize {
        self.chunks.len()
    }

    /// Its chunks, `(chunk number, its minutes)` by rising number, and
    /// `end()`: what a checkpoint of format 3 stores.
    pub fn into_parts(self) -> (Vec<Chunk<T>>, u32) {
        (self.chunks, self.end)
    }

    /// From [`Timeline::into_parts`]'s output, checked: chunk numbers must
    /// rise, every minute of a chunk must have a number that fits `u32`,
    /// and `end` must lie past the start of the last chunk (a chunk exists
    /// only once a minute in it was added).
    pub fn from_parts(chunks: Vec<Chunk<T>>, end: u32) -> Result<Timeline<T>, BadTimeline> {
        let mut before: Option<u32> = None;
        for (no, _) in &chunks {
            if before.is_some_and(|b| b >= *no) {
                return Err(BadTimeline::Order {
                    chunk: *no,
                    after: before.unwrap_or_default(),
                });
            }
            if *no > LAST_CHUNK {
                return Err(BadTimeline::TooFar { chunk: *no });
            }
            before = Some(*no);
        }
        if let Some(last) = before.filter(|&no| end <= no * CHUNK as u32) {
            return Err(BadTimeline::End { end, chunk: last });
        }
        Ok(Timeline { chunks, end })
    }

    /// Every minute from 0 to `end()`, zeros included: the dense form
    /// checkpoints of format 2 held.
    pub fn to_dense(&self) -> Vec<T> {
        let mut out = vec![T::default(); self.end()];
        for (no, chunk) in &self.chunks {
            let base = *no as usize * CHUNK;
            for (i, v) in chunk.iter().enumerate() {
                if let Some(slot) = out.get_mut(base + i) {
                    *slot = *v;
                }
            }
        }
        out
    }

    /// From the dense form: only the chunks holding something are kept.
    pub fn from_dense(dense: &[T]) -> Timeline<T> {
        let mut t = Timeline::default();
        for (m, v) in dense.iter().enumerate() {
            if *v != T::default() {
                t.add(u32::try_from(m).unwrap_or(u32::MAX), *v);
            }
        }
        // A trailing zero minute still counts towards the length shown.
        t.end = u32::try_from(dense.len()).unwrap_or(u32::MAX);
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wv(gmv: i64) -> Wv {
        Wv {
            gmv,
            orders: 1,
            units: 1,
        }
    }

    #[test]
    fn far_minutes_cost_one_chunk_each() {
        let mut t = Timeline::default();
        t.add(44_000, wv(5));
        t.add(3, wv(1));
        t.add(44_001, wv(2));
        t.add(3, wv(1));
        assert_eq!(t.chunks(), 2);
        assert_eq!(t.end(), 44_002);
        assert_eq!(t.get(3).gmv, 2);
        assert_eq!(t.get(44_000).gmv, 5);
        assert_eq!(t.get(10_000), Wv::default());
        assert_eq!(t.sum(0, 44_002).gmv, 9);
        assert_eq!(t.sum(4, 44_001).gmv, 5);
        assert_eq!(t.sum(44_001, 44_001).gmv, 0);
    }

    #[test]
    fn dense_round_trip() {
        let mut t = Timeline::default();
        for m in [0u32, 31, 32, 100, 99] {
            t.add(m, wv(i64::from(m) + 1));
        }
        let dense = t.to_dense();
        assert_eq!(dense.len(), 101);
        assert_eq!(Timeline::from_dense(&dense), t);
    }

    #[test]
    fn parts_round_trip_and_are_checked() {
        let mut t = Timeline::default();
        for m in [44_000u32, 3, 40, 3] {
            t.add(m, wv(i64::from(m)));
        }
        let (chunks, end) = t.clone().into_parts();
        assert_eq!((chunks.len(), end), (3, 44_001));
        assert_eq!(Timeline::from_parts(chunks.clone(), end), Ok(t));

        let mut swapped = chunks.clone();
        swapped.swap(0, 1);
        assert_eq!(
            Timeline::from_parts(swapped, end),
            Err(BadTimeline::Order { chunk: 0, after: 1 })
        );
        let twice = vec![chunks[0].clone(), chunks[0].clone()];
        assert!(matches!(
            Timeline::from_parts(twice, end),
            Err(BadTimeline::Order { .. })
        ));
        assert_eq!(
            Timeline::from_parts(chunks.clone(), 1375 * 32),
            Err(BadTimeline::End {
                end: 44_000,
                chunk: 1375
            })
        );
        let far = vec![(u32::MAX / 32 + 1, Box::new([Wv::default(); CHUNK]))];
        assert!(matches!(
            Timeline::from_parts(far, u32::MAX),
            Err(BadTimeline::TooFar { .. })
        ));
        assert_eq!(
            Timeline::<Wv>::from_parts(Vec::new(), 7).map(|t| t.end()),
            Ok(7),
            "trailing zero minutes count towards the length"
        );
    }

    #[test]
    fn sums_saturate() {
        let mut t = Timeline::default();
        t.add(0, wv(i64::MAX));
        t.add(40, wv(i64::MAX));
        assert_eq!(t.sum(0, 41).gmv, i64::MAX);
    }
}
