//! [`Progress`]: how far this node has applied the stream, read by
//! ingest (a reply waits for its sequence), the live hub (frames carry the
//! sequence and say when the node is behind), `/readyz`, status and metrics.
//!
//! Written only by the apply loop (`follow`), under the engine lock for the
//! applied sequence, so a checkpoint cut reads a state and the sequence it
//! reflects together.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::Relaxed};

use parking_lot::Mutex;
use tokio::sync::watch;

/// This node's place in the stream, at one instant.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Position {
    /// The last stream sequence applied here.
    pub seq: u64,
    /// Records known to be in the stream after `seq`.
    pub pending: u64,
    /// How old the newest applied record's receive time is while records
    /// are pending; 0 when this node is at the stream's end.
    pub lag_ms: u64,
    /// `lag_ms` is over `[cluster] max_lag_ms`.
    pub behind: bool,
    /// Still catching up after start (not ready).
    pub catching_up: bool,
    /// Why apply stopped (a gap, a record that does not decode), if it did.
    pub halted: Option<String>,
}

/// Shared, lock-free (but for the rare halt reason) progress of one node.
#[derive(Debug)]
pub struct Progress {
    applied: AtomicU64,
    /// Highest sequence known to exist (deliveries' pending counts, acks).
    last: AtomicU64,
    /// Receive stamp (epoch ms) of the newest applied record.
    stamp_ms: AtomicI64,
    catching_up: AtomicBool,
    halted: Mutex<Option<String>>,
    max_lag_ms: u64,
    seq_tx: watch::Sender<u64>,
}

impl Progress {
    pub fn new(start: u64, max_lag_ms: u64) -> Progress {
        Progress {
            applied: AtomicU64::new(start),
            last: AtomicU64::new(start),
            stamp_ms: AtomicI64::new(0),
            catching_up: AtomicBool::new(true),
            halted: Mutex::new(None),
            max_lag_ms,
            seq_tx: watch::channel(start).0,
        }
    }

    /// Where a node that loaded a checkpoint at `seq` goes on from.
    pub fn start_at(&self, seq: u64) {
        self.applied.store(seq, Relaxed);
        self.last.fetch_max(seq, Relaxed);
        self.seq_tx.send_replace(seq);
    }

    /// The last stream sequence applied here.
    pub fn applied(&self) -> u64 {
        self.applied.load(Relaxed)
    }

    /// Called by the apply loop under the engine lock, once `seq` (received
    /// at `stamp_ms`) is applied.
    pub fn set_applied(&self, seq: u64, stamp_ms: i64) {
        self.applied.store(seq, Relaxed);
        self.stamp_ms.store(stamp_ms, Relaxed);
        self.last.fetch_max(seq, Relaxed);
    }

    /// Wakes those waiting for a sequence (outside the engine lock).
    pub fn publish(&self) {
        self.seq_tx.send_replace(self.applied());
    }

    /// The stream holds at least `seq`.
    pub fn saw(&self, seq: u64) {
        self.last.fetch_max(seq, Relaxed);
    }

    pub fn last_known(&self) -> u64 {
        self.last.load(Relaxed)
    }

    pub fn set_caught_up(&self) {
        self.catching_up.store(false, Relaxed);
    }

    pub fn is_catching_up(&self) -> bool {
        self.catching_up.load(Relaxed)
    }

    /// Apply stopped for `reason`; it never resumes by itself.
    pub fn halt(&self, reason: String) {
        *self.halted.lock() = Some(reason);
        // Waiters see the halt at once rather than at their timeout.
        self.seq_tx.send_modify(|_| {});
    }

    pub fn halted(&self) -> Option<String> {
        self.halted.lock().clone()
    }

    /// A receiver that changes each time more is applied (or apply halts).
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.seq_tx.subscribe()
    }

    /// Where this node is, as of `now_ms`.
    pub fn position(&self, now_ms: i64) -> Position {
        let seq = self.applied();
        let pending = self.last_known().saturating_sub(seq);
        let lag_ms = if pending == 0 {
            0
        } else {
            let stamp = self.stamp_ms.load(Relaxed);
            if stamp == 0 {
                0
            } else {
                now_ms.saturating_sub(stamp).max(0) as u64
            }
        };
        Position {
            seq,
            pending,
            lag_ms,
            behind: lag_ms > self.max_lag_ms || self.is_catching_up(),
            catching_up: self.is_catching_up(),
            halted: self.halted(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_counts_only_while_records_are_pending() {
        let p = Progress::new(0, 3_000);
        p.set_caught_up();
        p.set_applied(10, 1_000);
        assert_eq!(p.position(60_000).lag_ms, 0);
        p.saw(12);
        let pos = p.position(5_000);
        assert_eq!((pos.pending, pos.lag_ms, pos.behind), (2, 4_000, true));
        p.set_applied(12, 4_900);
        assert!(!p.position(5_000).behind);
    }
}
