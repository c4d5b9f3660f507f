//! One tick of the hub: version the rows, pick the due topics, build their
//! frames within a CPU budget, publish.
//!
//! The engine's lock is the one ingest's apply takes, so the tick task
//! never holds it long: one short read to update the row versions
//! (`versions`), then the due topics' frames in chunks, each chunk under
//! its own read of at most about [`CHUNK`] (each frame's figures and its
//! `stream` note still come from one read). When the tick's build budget
//! ([`BUDGET_SHARE`] of `tick_ms`) is spent, the topics left over are
//! built first next tick — their screens see a lower rate, and the frame's
//! `every_ms` says so. Which topics are due is each topic's `rate`.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use super::payload::Payload;

use super::alert_ring;
use super::build::{self, FrameAt};
use super::filter::Filter;
use super::frame::{Frame, Tick};
use super::hub::{Hub, Published, Topic, encode};
use super::rate::Fanout;

/// Most time one chunk of frame builds holds the engine's lock.
pub const CHUNK: Duration = Duration::from_millis(1);
/// The share of a tick its frame builds may take, in percent.
pub const BUDGET_SHARE: u64 = 40;

/// How long a tick's frame builds may take, and one chunk of them.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub tick: Duration,
    pub chunk: Duration,
}

/// The build budget of one tick of `tick_ms`.
pub fn budget(tick_ms: u64) -> Budget {
    Budget {
        tick: Duration::from_millis(tick_ms * BUDGET_SHARE / 100),
        chunk: CHUNK,
    }
}

/// A topic due this tick.
struct Due {
    filter: Filter,
    topic: Arc<Topic>,
    since: u64,
}

impl Hub {
    /// Runs tick `seq + 1`: `fired` are the alert frames since the last
    /// tick (they ride on this one).
    pub(super) fn tick_once(&self, fired: Vec<Payload>, budget: Budget) {
        let inner = &self.inner;
        let started = Instant::now();
        let cfg = inner.engine.config().clone();
        let tick_ms = cfg.server.tick_ms;
        // Read whether or not anyone watches, so a recovery while nobody
        // did is not announced to the next screen as news.
        let health = self.storage_health();
        inner.topics.retain(|_, t| t.clients.load(Relaxed) > 0);
        inner.stats.topics.store(inner.topics.len() as u64, Relaxed);
        // Top SKUs and stock warnings about once a second (they scan every SKU).
        let sku_every = (1000 / tick_ms.max(1)).max(1);
        let seq = inner.engine.read(|st, now| {
            let seq = inner.seq.load(Relaxed) + 1;
            let mut v = inner.versions.write();
            v.update(st, now, seq, seq.is_multiple_of(sku_every));
            v.storage.set(health, seq);
            // Under the lock with the versions, so a catch-up labelled
            // `seq` finds this tick's alert frames (see `catch_up`).
            inner.ring.lock().push(seq, fired);
            // Moved on under the lock, after the versions: see `snapshot`.
            inner.seq.store(seq, Relaxed);
            seq
        });
        inner.stats.ticks.fetch_add(1, Relaxed);

        let mut due = self.due(seq);
        self.report_rates();
        if due.is_empty() {
            return;
        }
        // Topics the budget left over first, the longest waiting first.
        due.sort_by_key(|d| (!d.topic.rate.lock().carried(), d.since));
        let stream = inner.stream.get();
        let mut built = 0;
        while built < due.len() {
            if built > 0 && started.elapsed() >= budget.tick {
                break;
            }
            let (ticks, note) = inner.engine.read(|st, now| {
                let v = inner.versions.read();
                let chunk = Instant::now();
                let mut ticks = Vec::new();
                for d in &due[built..] {
                    let every = d.topic.rate.lock().stride().max(seq - d.since);
                    let at = FrameAt {
                        seq,
                        since: d.since,
                        every_ms: every * tick_ms,
                    };
                    ticks.push(build::tick(st, &cfg, &v, now, &d.filter, at));
                    if chunk.elapsed() >= budget.chunk {
                        break;
                    }
                }
                // Under the same lock as the figures (see `stream`).
                (ticks, stream.map(|s| s.note(now)))
            });
            for (d, mut tick) in due[built..].iter().zip(ticks) {
                tick.stamp.stream.clone_from(&note);
                self.publish(d, tick, seq);
                built += 1;
            }
        }
        for d in &due[built..] {
            d.topic.rate.lock().carry();
        }
        inner
            .stats
            .topics_deferred
            .fetch_add((due.len() - built) as u64, Relaxed);
        inner
            .stats
            .last_build_us
            .store(started.elapsed().as_micros() as u64, Relaxed);
    }

    /// The topics to publish at `seq`, judging each due one's rate by how
    /// its screens got on sending its previous frame.
    fn due(&self, seq: u64) -> Vec<Due> {
        let mut due = Vec::new();
        for e in self.inner.topics.iter() {
            let topic = e.value();
            let mut rate = topic.rate.lock();
            let took = || topic.tx.borrow().fanout.took();
            if rate.due(seq, took) {
                due.push(Due {
                    filter: e.key().clone(),
                    topic: topic.clone(),
                    since: rate.last(),
                });
            }
        }
        due
    }

    /// Serialises `tick` once and replaces its topic's frame.
    fn publish(&self, d: &Due, mut tick: Tick, seq: u64) {
        let inner = &self.inner;
        let ring = inner.ring.lock().since(d.since, seq);
        let alerts = match ring {
            alert_ring::Since::Frames(f) => f,
            alert_ring::Since::TooOld => {
                tick.alerts = Some(inner.alerts.recent(build::SNAPSHOT_ALERTS));
                Arc::from([])
            }
        };
        let bytes = encode(&Frame::Tick(&tick));
        if d.filter.is_all() {
            inner
                .stats
                .last_tick_bytes
                .store(bytes.len() as u64, Relaxed);
        }
        d.topic.rate.lock().published(seq);
        d.topic.tx.send_replace(Published {
            seq,
            since: d.since,
            every_ms: tick.every_ms,
            tick: bytes,
            alerts,
            fanout: Arc::new(Fanout::new(d.topic.clients.load(Relaxed))),
        });
    }

    /// The rate gauges: topics slowed, the largest stride, frames offered.
    fn report_rates(&self) {
        let inner = &self.inner;
        let tick_ms = inner.engine.config().server.tick_ms.max(1);
        let (mut slowed, mut max, mut offered) = (0, 1, 0u64);
        for e in inner.topics.iter() {
            let stride = e.value().rate.lock().stride();
            slowed += u64::from(stride > 1);
            max = max.max(stride);
            let screens = e.value().clients.load(Relaxed) as u64;
            offered += screens * 1_000_000 / (stride * tick_ms);
        }
        let stats = &inner.stats;
        stats.topics_slowed.store(slowed, Relaxed);
        stats.max_stride.store(max, Relaxed);
        stats.offered_milli_fps.store(offered, Relaxed);
    }
}

#[cfg(test)]
impl Hub {
    /// One tick now, as the tick task would, with no budget limit (for
    /// the frames' unit tests).
    pub(super) fn tick_now(&self) {
        let all = Duration::from_secs(3600);
        self.tick_once(
            Vec::new(),
            Budget {
                tick: all,
                chunk: all,
            },
        );
    }

    /// One tick now with alert frames riding on it and a build budget.
    pub(super) fn tick_with(&self, fired: Vec<Payload>, budget: Budget) {
        self.tick_once(fired, budget);
    }
}
