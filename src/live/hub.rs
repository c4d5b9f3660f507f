//! The hub: topics of screens, and what a screen is sent.
//!
//! Screens subscribe with a [`Filter`]; equal filters share a topic (a
//! `watch` channel holding the topic's newest serialised frame, see
//! [`Published`]). The tick task (`publish`) builds each due topic's frame
//! once and replaces the topic's value; a screen that is slow to read does
//! not queue frames: it finds only the newest, and if it missed publishes
//! it is sent a catch-up frame since its own last tick ([`Subscription::
//! catch_up`], built at most once per publish per gap however many
//! screens share it). Snapshots are sent only on connect. Alert frames
//! ride with the frame after them: one wake-up per screen per publish
//! carries both. Once the log is attached ([`Hub::watch_storage`]) frames
//! say whether the figures they show are stored (`stored`); in cluster
//! mode ([`Hub::watch_stream`]) they carry the stream sequence their
//! figures reflect, read in the same engine read (`stream`).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use dashmap::DashMap;
use tokio::sync::watch;

use super::alert_ring::{self, AlertRing};
use super::build::{self, FrameAt};
use super::catch_up::{CatchUp, CatchUps};
use super::filter::Filter;
use super::frame::Frame;
use super::payload::{Payload, WireStats};
use super::rate::{Fanout, Rate};
use super::stored::StorageNote;
use super::stream::Stream;
use super::versions::Versions;
use crate::alerts::Alerts;
use crate::cluster::Progress;
use crate::engine::Engine;
use crate::shutdown::Shutdown;
use crate::storage::{Health, Log};

/// What a topic publishes: its serialised frame since its previous
/// publish, the alert frames of the ticks between (sent before it), and
/// the count of its screens still sending it (see `rate`).
#[derive(Debug, Clone)]
pub struct Published {
    pub seq: u64,
    /// The topic's previous publish: the frame holds every change after it.
    pub since: u64,
    pub every_ms: u64,
    pub tick: Payload,
    pub alerts: Arc<[Payload]>,
    /// How the topic's screens are getting on sending it (see `rate`).
    pub fanout: Arc<Fanout>,
}

impl Published {
    /// One screen finished with this frame (sent it, a catch-up instead,
    /// or nothing).
    fn done(&self) {
        self.fanout.done();
    }
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
    /// Catch-up frames sent, and built (at most once per publish and gap).
    pub catch_ups_sent: AtomicU64,
    pub catch_ups_built: AtomicU64,
    /// Time to build and serialise the last tick's frames, in µs.
    pub last_build_us: AtomicU64,
    /// Bytes of the last unfiltered tick frame.
    pub last_tick_bytes: AtomicU64,
    pub topics: AtomicU64,
    /// Bytes sent to screens, plain and compressed (`payload`).
    pub wire: WireStats,
    /// Topics published less often than every tick, and the largest stride.
    pub topics_slowed: AtomicU64,
    pub max_stride: AtomicU64,
    /// Frames a second offered to all screens at the topics' rates, × 1000.
    pub offered_milli_fps: AtomicU64,
    /// Due topics the build budget left to the next tick.
    pub topics_deferred: AtomicU64,
}

pub(super) struct Topic {
    pub(super) tx: watch::Sender<Published>,
    pub(super) clients: AtomicUsize,
    /// The newest snapshot and the tick it was built at: built at most once
    /// per tick however many screens join at once.
    snapshot: parking_lot::Mutex<Option<(u64, Payload)>>,
    pub(super) rate: parking_lot::Mutex<Rate>,
    catch_ups: parking_lot::Mutex<CatchUps>,
}

pub(super) struct Inner {
    pub(super) engine: Engine,
    pub(super) alerts: Alerts,
    pub(super) topics: DashMap<Filter, Arc<Topic>>,
    pub(super) seq: AtomicU64,
    pub(super) stats: LiveStats,
    /// The log behind ingest, read (never written) for its health; set
    /// once it is recovered.
    storage: OnceLock<Log>,
    /// Cluster mode: the stream's progress on this node; set once.
    pub(super) stream: OnceLock<Stream>,
    /// Written by the tick task under the engine lock (engine first, then
    /// this: the one order every reader keeps too).
    pub(super) versions: parking_lot::RwLock<Versions>,
    pub(super) ring: parking_lot::Mutex<AlertRing>,
}

/// Cloneable handle to the live side.
#[derive(Clone)]
pub struct Hub {
    pub(super) inner: Arc<Inner>,
}

/// One screen's place on a topic; leaving is counted on drop.
pub struct Subscription {
    hub: Hub,
    topic: Arc<Topic>,
    filter: Filter,
    pub rx: watch::Receiver<Published>,
    /// The newest publish this screen finished with.
    handled: u64,
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
            // The tick task moves `seq` on under this lock after updating
            // the versions: a snapshot labelled `seq` holds every change
            // versioned up to it, so the frames after it miss none.
            let seq = hub.seq();
            let mut snap = build::snapshot(st, &cfg, now, &self.filter, seq, recent);
            // Under the same lock as the figures (see `stream`).
            snap.stamp.stream = stream.map(|s| s.note(now));
            snap
        });
        snap.storage = StorageNote::failing(hub.storage_health());
        let seq = snap.stamp.seq;
        let bytes = encode(&Frame::Snapshot(&snap));
        stats.snapshots_built.fetch_add(1, Relaxed);
        stats.last_snapshot_bytes.store(bytes.len() as u64, Relaxed);
        *cached = Some((seq, bytes.clone()));
        (seq, bytes)
    }

    /// The catch-up for a screen whose last tick is `since`, given the
    /// topic's newest publish `p`: the alert frames of the ticks it missed
    /// and a tick frame since `since`, labelled with the newest tick
    /// (`p.seq` or later: [`CatchUp::seq`]). Built once per publish and
    /// `since` however many screens need it.
    pub fn catch_up(&self, since: u64, p: &Published) -> CatchUp {
        let hub = &self.hub;
        let stats = &hub.inner.stats;
        stats.catch_ups_sent.fetch_add(1, Relaxed);
        let mut kept = self.topic.catch_ups.lock();
        if let Some(hit) = kept.get(p.seq, since) {
            return hit;
        }
        let engine = &hub.inner.engine;
        let cfg = engine.config().clone();
        let stream = hub.inner.stream.get();
        let (mut tick, gap) = engine.read(|st, now| {
            let v = hub.inner.versions.read();
            // Labelled with the newest tick versioned, not `p.seq`: the
            // figures are read now, maybe after later publishes were built,
            // and a frame labelled older than its figures would let the
            // next regular frame run the screen backwards. The alert frames
            // of every tick up to it are in the ring (pushed under this
            // lock, with the versions).
            let at = FrameAt {
                seq: v.seq(),
                since,
                every_ms: p.every_ms,
            };
            let mut tick = build::tick(st, &cfg, &v, now, &self.filter, at);
            tick.stamp.stream = stream.map(|s| s.note(now));
            let gap = hub.inner.ring.lock().since(since, at.seq);
            (tick, gap)
        });
        let alerts = match gap {
            alert_ring::Since::Frames(f) => f,
            alert_ring::Since::TooOld => {
                tick.alerts = Some(hub.inner.alerts.recent(build::SNAPSHOT_ALERTS));
                Arc::from([])
            }
        };
        let frame = CatchUp {
            seq: tick.stamp.seq,
            alerts,
            tick: encode(&Frame::Tick(&tick)),
        };
        stats.catch_ups_built.fetch_add(1, Relaxed);
        kept.put(p.seq, since, frame.clone());
        frame
    }

    /// This screen finished with publish `p` (sent it, a catch-up, or
    /// nothing): counted for the topic's rate (see `rate`).
    pub fn handled(&mut self, p: &Published) {
        if p.seq > self.handled {
            self.handled = p.seq;
            p.done();
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        // A screen leaving mid-send does not hold its topic's rate down.
        let newest = self.rx.borrow().clone();
        self.handled(&newest);
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
                versions: parking_lot::RwLock::new(Versions::default()),
                ring: parking_lot::Mutex::new(AlertRing::default()),
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
    pub(super) fn storage_health(&self) -> Health {
        self.inner.storage.get().map_or(Health::Ok, Log::health)
    }

    /// The sequence number of the newest tick.
    pub fn seq(&self) -> u64 {
        self.inner.seq.load(Relaxed)
    }

    /// Starts the tick task; it ends when `shutdown` fires.
    pub fn start(&self, shutdown: Shutdown) -> tokio::task::JoinHandle<()> {
        let hub = self.clone();
        let tick_ms = self.inner.engine.config().server.tick_ms;
        let every = Duration::from_millis(tick_ms);
        let budget = super::publish::budget(tick_ms);
        let mut alerts = hub.inner.alerts.subscribe();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(every);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let tz = hub.inner.engine.sale().timezone;
            let mut pending: Vec<Payload> = Vec::new();
            loop {
                tokio::select! {
                    _ = every.tick() => {
                        hub.tick_once(std::mem::take(&mut pending), budget);
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
        let tick_ms = self.inner.engine.config().server.tick_ms;
        let filter_key = filter.clone();
        let topic = {
            // Counting inside the entry guard: the tick task's cleanup
            // (`remove_if`) cannot drop a topic someone is joining.
            let entry = self.inner.topics.entry(filter).or_insert_with(|| {
                let (tx, _) = watch::channel(Published {
                    seq,
                    since: seq,
                    every_ms: tick_ms,
                    tick: Payload::new(String::new()),
                    alerts: Arc::from([]),
                    fanout: Arc::new(Fanout::new(0)),
                });
                Arc::new(Topic {
                    tx,
                    clients: AtomicUsize::new(0),
                    snapshot: parking_lot::Mutex::new(None),
                    rate: parking_lot::Mutex::new(Rate::new(seq, tick_ms)),
                    catch_ups: parking_lot::Mutex::new(CatchUps::default()),
                })
            });
            entry.clients.fetch_add(1, Relaxed);
            entry.clone()
        };
        self.inner.stats.screens.fetch_add(1, Relaxed);
        let rx = topic.tx.subscribe();
        let handled = rx.borrow().seq;
        Subscription {
            hub: self.clone(),
            rx,
            filter: filter_key,
            topic,
            handled,
        }
    }

    /// The hello frame for `filter`, serialised.
    pub fn hello(&self, filter: &Filter) -> Payload {
        let engine = &self.inner.engine;
        let mut hello = build::hello(engine.config(), engine.now_ms(), filter);
        hello.servers = self.inner.stream.get().map(|s| s.screens().to_vec());
        encode(&Frame::Hello(&hello))
    }
}

/// A frame's bytes, as every screen it goes to is sent them.
pub(super) fn encode(frame: &Frame) -> Payload {
    Payload::new(frame.to_json())
}
