//! The hub: one tick task, one frame per filter per tick, shared bytes.
//!
//! Screens subscribe with a [`Filter`]; equal filters share a topic (a
//! `watch` channel holding the newest serialised tick). The tick task reads
//! the engine once per tick, builds the frame of every topic that has
//! screens, serialises each once, and replaces the topic's value. A screen
//! that is slow to read does not queue frames: it finds only the newest,
//! notices the gap in `seq`, and is sent the topic's snapshot instead
//! (built at most once per tick per topic, however many screens need it).
//! Alert frames ride with the tick after them: one wake-up per screen per
//! tick carries both, instead of one more per alert for 10,000 sockets.
//! The alert side sends typed notices; the hub makes each an `alert`
//! [`Frame`] and serialises it once for every topic. Once the log is
//! attached ([`Hub::watch_storage`]) every tick and snapshot also says
//! whether the figures it shows are stored (`stored`). In cluster mode
//! ([`Hub::watch_stream`]) every tick and snapshot also carries the stream
//! sequence its figures reflect, read in the same engine read (`stream`).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use tokio::sync::watch;

use super::build::{self, Diff, TickContext};
use super::filter::Filter;
use super::frame::{Frame, Tick};
use super::payload::{Payload, WireStats};
use super::stored::{Shown, StorageNote};
use super::stream::Stream;
use crate::alerts::Alerts;
use crate::cluster::Progress;
use crate::engine::Engine;
use crate::shutdown::Shutdown;
use crate::storage::{Health, Log};

/// What a topic publishes each tick: the serialised tick, its sequence
/// number, and the alert frames since the previous tick (sent before it).
#[derive(Debug, Clone)]
pub struct Published {
    pub seq: u64,
    pub tick: Payload,
    pub alerts: Arc<[Payload]>,
}

/// Counters of the live side, for `/metrics` and the README's figures.
#[derive(Debug, Default)]
pub struct LiveStats {
    pub screens: AtomicU64,
    pub frames_sent: AtomicU64,
    pub frames_skipped: AtomicU64,
    pub snapshots_sent: AtomicU64,
    pub snapshots_built: AtomicU64,
    pub last_snapshot_bytes: AtomicU64,
    pub ticks: AtomicU64,
    /// Time to build and serialise the last tick's frames, in µs.
    pub last_build_us: AtomicU64,
    /// Bytes of the last unfiltered tick frame.
    pub last_tick_bytes: AtomicU64,
    pub topics: AtomicU64,
    /// Bytes sent to screens, plain and compressed (`payload`).
    pub wire: WireStats,
}

struct Topic {
    tx: watch::Sender<Published>,
    clients: AtomicUsize,
    /// The newest snapshot and the tick it was built at: built at most once
    /// per tick however many screens (re)join or fall behind at once.
    snapshot: parking_lot::Mutex<Option<(u64, Payload)>>,
}

struct Inner {
    engine: Engine,
    alerts: Alerts,
    topics: DashMap<Filter, Arc<Topic>>,
    seq: AtomicU64,
    stats: LiveStats,
    /// The log behind ingest, read (never written) for its health; set
    /// once it is recovered.
    storage: OnceLock<Log>,
    /// Cluster mode: the stream's progress on this node; set once.
    stream: OnceLock<Stream>,
}

/// Cloneable handle to the live side.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

/// One screen's place on a topic; leaving is counted on drop.
pub struct Subscription {
    hub: Hub,
    topic: Arc<Topic>,
    filter: Filter,
    pub rx: watch::Receiver<Published>,
}

impl Subscription {
    /// The topic's snapshot as of the newest tick, serialised, with its
    /// sequence number; built only if no screen of this topic asked since
    /// that tick.
    pub fn snapshot(&self) -> (u64, Payload) {
        let hub = &self.hub;
        let stats = &hub.inner.stats;
        stats.snapshots_sent.fetch_add(1, Relaxed);
        let mut cached = self.topic.snapshot.lock();
        let seq = hub.seq();
        if let Some((at, bytes)) = cached.as_ref().filter(|(at, _)| *at == seq) {
            return (*at, bytes.clone());
        }
        let engine = &hub.inner.engine;
        let cfg = engine.config().clone();
        let recent = hub.inner.alerts.recent(build::SNAPSHOT_ALERTS);
        let stream = hub.inner.stream.get();
        let mut snap = engine.read(|st, now| {
            let mut snap = build::snapshot(st, &cfg, now, &self.filter, seq, recent);
            // Under the same lock as the figures (see `stream`).
            snap.stamp.stream = stream.map(|s| s.note(now));
            snap
        });
        snap.storage = StorageNote::failing(hub.storage_health());
        let bytes = encode(&Frame::Snapshot(&snap));
        stats.snapshots_built.fetch_add(1, Relaxed);
        stats.last_snapshot_bytes.store(bytes.len() as u64, Relaxed);
        *cached = Some((seq, bytes.clone()));
        (seq, bytes)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.topic.clients.fetch_sub(1, Relaxed);
        self.hub.inner.stats.screens.fetch_sub(1, Relaxed);
    }
}

impl Hub {
    pub fn new(engine: Engine, alerts: Alerts) -> Hub {
        Hub {
            inner: Arc::new(Inner {
                engine,
                alerts,
                topics: DashMap::new(),
                seq: AtomicU64::new(0),
                stats: LiveStats::default(),
                storage: OnceLock::new(),
                stream: OnceLock::new(),
            }),
        }
    }

    pub fn stats(&self) -> &LiveStats {
        &self.inner.stats
    }

    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    pub fn alerts(&self) -> &Alerts {
        &self.inner.alerts
    }

    /// From now on ticks and snapshots say when figures shown are not
    /// yet stored in `log` (set once, when the log is attached to ingest;
    /// a second call is ignored).
    pub fn watch_storage(&self, log: Log) {
        let _ = self.inner.storage.set(log);
    }

    /// Cluster mode: from now on ticks and snapshots carry the stream
    /// sequence their figures reflect (and whether this node is behind), as
    /// `node`; `hello` lists `screens`. Set once; a second call is ignored.
    pub fn watch_stream(&self, progress: Arc<Progress>, node: String, screens: Vec<String>) {
        let _ = self.inner.stream.set(Stream::new(progress, node, screens));
    }

    /// The health of the log watched; `Ok` before one is attached.
    fn storage_health(&self) -> Health {
        self.inner.storage.get().map_or(Health::Ok, Log::health)
    }

    /// The sequence number of the newest tick.
    pub fn seq(&self) -> u64 {
        self.inner.seq.load(Relaxed)
    }

    /// Starts the tick task; it ends when `shutdown` fires.
    pub fn start(&self, shutdown: Shutdown) -> tokio::task::JoinHandle<()> {
        let hub = self.clone();
        let every = Duration::from_millis(self.inner.engine.config().server.tick_ms);
        let mut diff = Diff::default();
        let mut shown = Shown::default();
        let mut alerts = hub.inner.alerts.subscribe();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(every);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let tz = hub.inner.engine.sale().timezone;
            let mut pending: Vec<Payload> = Vec::new();
            loop {
                tokio::select! {
                    _ = every.tick() => {
                        let fired: Arc<[Payload]> = std::mem::take(&mut pending).into();
                        hub.tick_once(&mut diff, &mut shown, &fired);
                    }
                    alert = alerts.recv() => match alert {
                        Ok(notice) => pending.push(encode(&Frame::notice(&notice, tz))),
                        // Missed alerts are in the next snapshot's recent list.
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => {}
                    },
                    () = shutdown.wait() => break,
                }
            }
        })
    }

    /// Joins the topic of `filter`, creating it if needed.
    pub fn subscribe(&self, filter: Filter) -> Subscription {
        let seq = self.seq();
        let filter_key = filter.clone();
        let topic = {
            // Counting inside the entry guard: the tick task's cleanup
            // (`remove_if`) cannot drop a topic someone is joining.
            let entry = self.inner.topics.entry(filter).or_insert_with(|| {
                let (tx, _) = watch::channel(Published {
                    seq,
                    tick: Payload::new(String::new()),
                    alerts: Arc::from([]),
                });
                Arc::new(Topic {
                    tx,
                    clients: AtomicUsize::new(0),
                    snapshot: parking_lot::Mutex::new(None),
                })
            });
            entry.clients.fetch_add(1, Relaxed);
            entry.clone()
        };
        self.inner.stats.screens.fetch_add(1, Relaxed);
        Subscription {
            hub: self.clone(),
            rx: topic.tx.subscribe(),
            filter: filter_key,
            topic,
        }
    }

    /// The hello frame for `filter`, serialised.
    pub fn hello(&self, filter: &Filter) -> Payload {
        let engine = &self.inner.engine;
        let mut hello = build::hello(engine.config(), engine.now_ms(), filter);
        hello.servers = self.inner.stream.get().map(|s| s.screens().to_vec());
        encode(&Frame::Hello(&hello))
    }

    /// Builds and publishes one tick for every topic with screens.
    fn tick_once(&self, diff: &mut Diff, shown: &mut Shown, alerts: &Arc<[Payload]>) {
        let inner = &self.inner;
        // Read whether or not anyone watches, so a recovery while nobody
        // did is not announced to the next screen as news.
        let storage = shown.next(self.storage_health());
        inner.topics.retain(|_, t| t.clients.load(Relaxed) > 0);
        inner.stats.topics.store(inner.topics.len() as u64, Relaxed);
        let seq = inner.seq.fetch_add(1, Relaxed) + 1;
        inner.stats.ticks.fetch_add(1, Relaxed);
        let topics: Vec<(Filter, Arc<Topic>)> = inner
            .topics
            .iter()
            .map(|e| (e.key().clone(), e.value().clone()))
            .collect();
        if topics.is_empty() {
            // Nobody watches, but the diff still moves on: a screen that
            // joins gets names in its snapshot, and its first tick must not
            // name every store again as new.
            inner
                .engine
                .read(|st, now| TickContext::new(st, now, diff, false));
            return;
        }
        let started = Instant::now();
        let cfg = inner.engine.config().clone();
        // Top SKUs and stock warnings about once a second (they scan every SKU).
        let sku_every = (1000 / cfg.server.tick_ms.max(1)).max(1);
        let stream = inner.stream.get();
        let (mut ticks, note) = inner.engine.read(|st, now| {
            let ctx = TickContext::new(st, now, diff, seq.is_multiple_of(sku_every));
            let ticks: Vec<Tick> = topics
                .iter()
                .map(|(f, _)| build::tick(st, &cfg, &ctx, f, seq))
                .collect();
            // Under the same lock as the figures (see `stream`).
            (ticks, stream.map(|s| s.note(now)))
        });
        for ((filter, topic), tick) in topics.iter().zip(&mut ticks) {
            tick.storage = storage;
            tick.stamp.stream.clone_from(&note);
            let bytes = encode(&Frame::Tick(tick));
            if filter.is_all() {
                inner
                    .stats
                    .last_tick_bytes
                    .store(bytes.len() as u64, Relaxed);
            }
            topic.tx.send_replace(Published {
                seq,
                tick: bytes,
                alerts: alerts.clone(),
            });
        }
        inner
            .stats
            .last_build_us
            .store(started.elapsed().as_micros() as u64, Relaxed);
    }
}

#[cfg(test)]
impl Hub {
    /// One tick now, as the tick task would (for the frames' unit tests).
    pub(super) fn tick_now(&self) {
        self.tick_once(&mut Diff::default(), &mut Shown::default(), &Arc::from([]));
    }
}

/// A frame's bytes, as every screen it goes to is sent them.
fn encode(frame: &Frame) -> Payload {
    Payload::new(frame.to_json())
}
