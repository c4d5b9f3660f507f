//! A sampled screen: assembles each message (inflating it when it came
//! compressed), reads its head — `type`, `seq`, `events_applied`,
//! `server_time_ms` — and records event-to-screen latency, frame lag,
//! frames by type and ticks that never arrived one by one.
//!
//! Only `--latency-screens` screens do this; their histograms are shared
//! (one pair for the whole sample) so a sample of 100 costs two
//! histograms, not 200. A message over `limit` bytes is counted as
//! unreadable and not kept, so memory stays bounded whatever arrives.

use std::sync::Arc;
use std::time::Instant;

use hdrhistogram::Histogram;
use parking_lot::Mutex;
use serde::Deserialize;

use super::log::BatchLog;
use crate::ws::inflate::Inflater;
use crate::ws::walker::Payload;

/// Histograms the whole sample records into, µs.
pub struct Shared {
    pub e2s: Mutex<Histogram<u64>>,
    pub lag: Mutex<Histogram<u64>>,
    /// Frames are counted by type only once the run starts (every screen
    /// joined), so ticks a second cover the run's seconds alone.
    pub counting: std::sync::atomic::AtomicBool,
}

/// Frames by `type`, and what the sample saw of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SampleCounts {
    pub hello: u64,
    pub snapshot: u64,
    pub tick: u64,
    pub alert: u64,
    /// Any other `type` (a catch-up frame, say).
    pub other: u64,
    /// Frames that could not be read (too big, not JSON, not inflatable).
    pub unreadable: u64,
    /// Ticks skipped: the sum of every jump in `seq` beyond one.
    pub seq_skipped: u64,
    /// Payload bytes as received, and as text (inflated).
    pub wire_bytes: u64,
    pub text_bytes: u64,
}

impl std::ops::AddAssign for SampleCounts {
    fn add_assign(&mut self, o: SampleCounts) {
        self.hello += o.hello;
        self.snapshot += o.snapshot;
        self.tick += o.tick;
        self.alert += o.alert;
        self.other += o.other;
        self.unreadable += o.unreadable;
        self.seq_skipped += o.seq_skipped;
        self.wire_bytes += o.wire_bytes;
        self.text_bytes += o.text_bytes;
    }
}

impl SampleCounts {
    pub fn frames(&self) -> u64 {
        self.hello + self.snapshot + self.tick + self.alert + self.other
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Hello,
    Snapshot,
    Tick,
    Alert,
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct Head {
    #[serde(rename = "type")]
    kind: Kind,
    seq: Option<u64>,
    events_applied: Option<u64>,
    server_time_ms: Option<i64>,
}

pub struct Sample {
    msg: Vec<u8>,
    over: bool,
    limit: usize,
    inflater: Option<Inflater>,
    log: Arc<BatchLog>,
    cursor: usize,
    last_seq: Option<u64>,
    shared: Arc<Shared>,
    pub counts: SampleCounts,
}

impl Sample {
    /// `deflate`: `Some(server_no_context_takeover)` when it was accepted.
    pub fn new(
        log: Arc<BatchLog>,
        shared: Arc<Shared>,
        deflate: Option<bool>,
        limit: usize,
    ) -> Sample {
        Sample {
            msg: Vec::new(),
            over: false,
            limit,
            inflater: deflate.map(|fresh| Inflater::new(fresh, limit * 4)),
            log,
            cursor: 0,
            last_seq: None,
            shared,
            counts: SampleCounts::default(),
        }
    }

    fn record(&mut self, head: Head, at: Instant) {
        // A screen's opening frames count whenever they come; the rest
        // from the run's start.
        let opening = matches!(head.kind, Kind::Hello | Kind::Snapshot);
        let mut joining = SampleCounts::default();
        let c = if opening
            || self
                .shared
                .counting
                .load(std::sync::atomic::Ordering::Relaxed)
        {
            &mut self.counts
        } else {
            &mut joining
        };
        match head.kind {
            Kind::Hello => c.hello += 1,
            Kind::Snapshot => c.snapshot += 1,
            Kind::Tick => c.tick += 1,
            Kind::Alert => c.alert += 1,
            Kind::Other => c.other += 1,
        }
        if let Some(seq) = head.seq {
            if let (Some(last), false) = (self.last_seq, matches!(head.kind, Kind::Snapshot)) {
                c.seq_skipped += seq.saturating_sub(last + 1);
            }
            self.last_seq = Some(seq);
        }
        if let Some(server) = head.server_time_ms {
            let lag_ms = (now_ms() - server).max(0) as u64;
            self.shared.lag.lock().saturating_record(lag_ms * 1000);
        }
        if let Some(applied) = head.events_applied {
            let mut e2s = None;
            self.log.covered(&mut self.cursor, applied, |sent| {
                let us = at.saturating_duration_since(sent).as_micros().max(1) as u64;
                e2s.get_or_insert_with(|| self.shared.e2s.lock())
                    .saturating_record(us);
            });
        }
    }
}

impl Payload for Sample {
    fn data(&mut self, chunk: &[u8]) {
        if self.over || self.msg.len() + chunk.len() > self.limit {
            self.over = true;
            return;
        }
        let need = self.msg.len() + chunk.len();
        if need > self.msg.capacity() {
            // Grow as a Vec would, but never past the limit.
            let target = (self.msg.capacity() * 2).max(need).min(self.limit);
            self.msg.reserve_exact(target - self.msg.len());
        }
        self.msg.extend_from_slice(chunk);
    }

    fn end(&mut self, compressed: bool) {
        let at = Instant::now();
        let msg = std::mem::take(&mut self.msg);
        self.counts.wire_bytes += msg.len() as u64;
        let head = if self.over {
            None
        } else if compressed {
            match self.inflater.as_mut().map(|i| i.inflate(&msg)) {
                Some(Ok(text)) => {
                    self.counts.text_bytes += text.len() as u64;
                    serde_json::from_slice::<Head>(text).ok()
                }
                _ => None,
            }
        } else {
            self.counts.text_bytes += msg.len() as u64;
            serde_json::from_slice::<Head>(&msg).ok()
        };
        self.over = false;
        // Keep the buffer for the next message unless it grew past a snapshot's size.
        self.msg = msg;
        self.msg.clear();
        if self.msg.capacity() > 256 * 1024 {
            self.msg = Vec::new();
        }
        match head {
            Some(head) => self.record(head, at),
            None => self.counts.unreadable += 1,
        }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
#[path = "sampled_tests.rs"]
mod tests;
