//! The batch log: which batch each `events_applied` covers, and when it
//! was sent.
//!
//! The dispatcher logs, for every batch in order, how many events the
//! server will have applied once it and all batches before it are in
//! (`cumulative`, counted from the step's start, on top of `base`: what
//! the server had applied before); workers log when each batch was sent.
//! A screen that receives a frame with `events_applied ≥ base +
//! cumulative` has seen that batch: the time since it was sent is its
//! event-to-screen latency. With several nodes every node applies the same
//! log, so its `events_applied` covers the same batches.

use std::time::Instant;

use parking_lot::Mutex;

/// Per batch, in dispatch order: events applied once it is in, and when it was sent.
#[derive(Default)]
pub struct BatchLog {
    base: u64,
    entries: Mutex<Vec<(u64, Option<Instant>)>>,
}

impl BatchLog {
    /// A log for a server that had applied `base` events before it.
    pub fn with_base(base: u64) -> BatchLog {
        BatchLog {
            base,
            entries: Mutex::default(),
        }
    }

    pub fn push(&self, i: u64, cumulative: u64) {
        let mut e = self.entries.lock();
        debug_assert_eq!(e.len() as u64, i);
        e.push((cumulative, None));
    }

    pub fn mark_sent(&self, i: u64, at: Instant) {
        if let Some(e) = self.entries.lock().get_mut(i as usize) {
            e.1.get_or_insert(at);
        }
    }

    /// Batches logged so far.
    pub fn len(&self) -> u64 {
        self.entries.lock().len() as u64
    }

    /// Calls `f` with the send time of each batch that `applied` now
    /// covers, from `cursor` on.
    pub fn covered(&self, cursor: &mut usize, applied: u64, mut f: impl FnMut(Instant)) {
        let Some(applied) = applied.checked_sub(self.base) else {
            return;
        };
        let e = self.entries.lock();
        while *cursor < e.len() && e[*cursor].0 <= applied {
            if let Some(t) = e[*cursor].1 {
                f(t);
            }
            *cursor += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_applied_before_the_run_cover_nothing() {
        let log = BatchLog::with_base(1_000);
        let t = Instant::now();
        for i in 0..3 {
            log.push(i, (i + 1) * 100);
            log.mark_sent(i, t);
        }
        let (mut cursor, mut seen) = (0, 0);
        log.covered(&mut cursor, 1_000, |_| seen += 1);
        assert_eq!(seen, 0, "the server's earlier events are not ours");
        log.covered(&mut cursor, 1_200, |_| seen += 1);
        assert_eq!((seen, cursor), (2, 2));
        log.covered(&mut cursor, 5_000, |_| seen += 1);
        assert_eq!((seen, cursor, log.len()), (3, 3, 3));
    }
}
