//! The alert side's handle: evaluation once a second, the book kept in
//! the data directory, a delivery worker per hook, and the typed notices
//! the screens are sent.
//!
//! Nothing here is on the ingest path: evaluation reads the engine like any
//! view, and a hook can hang without anyone waiting on it (each has a
//! bounded queue that drops, and says so, when full).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::{broadcast, mpsc};

use super::book::Book;
use super::cluster::{Clustered, Cmd};
use super::delivery::{Delivery, DeliveryKind, DeliveryResult};
use super::hooks::Msg;
use super::record::{AlertRecord, Notice};
use super::screen::{ScreenNotice, screen_notices};
use super::{rules, worker};
use crate::config::Silence;
use crate::engine::Engine;
use crate::shutdown::Shutdown;
use crate::views::fmt_time;

/// The book's file in the data directory.
pub const FILE: &str = "alerts.json";

pub(super) struct Inner {
    pub(super) engine: Engine,
    pub(super) book: Mutex<Book>,
    /// Messages handed to hooks and not yet finished (delivered, refused or given up).
    pub(super) in_flight: Arc<AtomicUsize>,
    /// Deliveries by (hook, result kind), for `/metrics`.
    counts: Mutex<BTreeMap<(String, DeliveryKind), u64>>,
    pub(super) hooks: Vec<(String, mpsc::Sender<Msg>)>,
    pub(super) screens: broadcast::Sender<ScreenNotice>,
    file: Option<PathBuf>,
    /// Set once in cluster mode (`Alerts::join_cluster`).
    pub(super) cluster: OnceLock<Clustered>,
}

impl Inner {
    /// Whether this node may deliver: always alone, only as the lease
    /// holder in a cluster.
    fn may_send(&self) -> bool {
        self.cluster.get().is_none_or(|c| c.lease.is_mine())
    }
}

/// Cloneable handle to the alert side.
#[derive(Clone)]
pub struct Alerts {
    pub(super) inner: Arc<Inner>,
}

/// Reads a saved book; empty when there is none. A book that cannot be
/// read is logged, and left for [`Alerts::new`] to set aside.
pub fn load_book(dir: &Path) -> Book {
    read_book(&dir.join(FILE)).unwrap_or_default()
}

/// The book at `path`: empty when there is none yet, `None` (logged) when
/// there is one that cannot be read.
fn read_book(path: &Path) -> Option<Book> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(Book::default()),
        Err(e) => {
            tracing::error!(file = %path.display(), error = %e, "cannot read the alert book");
            return None;
        }
    };
    serde_json::from_slice(&bytes)
        .map_err(|e| {
            tracing::error!(file = %path.display(), error = %e, "the alert book does not parse");
        })
        .ok()
}

/// Opens the book for a running server. One that cannot be read is renamed
/// `alerts.json.unreadable` (never overwritten by the first save) and the
/// server starts with an empty book, as it would without one.
fn open_book(dir: &Path) -> Book {
    let path = dir.join(FILE);
    read_book(&path).unwrap_or_else(|| {
        let aside = path.with_extension("json.unreadable");
        match std::fs::rename(&path, &aside) {
            Ok(()) => {
                tracing::warn!(file = %aside.display(), "alert book set aside; starting a new one")
            }
            Err(e) => tracing::error!(error = %e, "cannot set the unreadable alert book aside"),
        }
        Book::default()
    })
}

impl Alerts {
    /// Loads the saved book from `data_dir` (if any) and starts one delivery
    /// worker per configured hook. Needs a tokio runtime.
    pub fn new(engine: Engine, data_dir: Option<&Path>) -> Alerts {
        let cfg = engine.config().clone();
        let mut book = data_dir.map(open_book).unwrap_or_default();
        for s in &cfg.alerts.silences {
            if !book.silences.contains(s) {
                book.silences.push(s.clone());
            }
        }
        let (screens, _) = broadcast::channel(256);
        let in_flight = Arc::new(AtomicUsize::new(0));
        let inner = Arc::new_cyclic(|weak: &std::sync::Weak<Inner>| {
            let client = reqwest::Client::new();
            let hooks = cfg
                .alerts
                .hooks
                .iter()
                .map(|h| {
                    let (clock, reporter, done) = (engine.clone(), weak.clone(), in_flight.clone());
                    let (gate, abandoned) = (weak.clone(), in_flight.clone());
                    let worker = worker::Worker {
                        hook: h.clone(),
                        lang: cfg.alerts.lang,
                        public_url: cfg.alerts.public_url.clone(),
                        sale: cfg.sale.name.clone(),
                        retry_base: Duration::from_millis(
                            cfg.alerts.rules.retry_base_ms.max(1) as u64
                        ),
                        client: client.clone(),
                        now_ms: Box::new(move || clock.now_ms()),
                        report: Box::new(move |r: worker::Report| {
                            let finished = r.result.is_final();
                            let n = r.ids.len();
                            if let Some(inner) = reporter.upgrade() {
                                match inner.cluster.get() {
                                    // The journal records it, on every node.
                                    Some(c) => c.report(r),
                                    None => Alerts { inner }.record(r),
                                }
                            }
                            if finished {
                                done.fetch_sub(n, Ordering::AcqRel);
                            }
                        }),
                        gate: Box::new(move || gate.upgrade().is_some_and(|i| i.may_send())),
                        abandon: Box::new(move |n| {
                            abandoned.fetch_sub(n, Ordering::AcqRel);
                        }),
                    };
                    (h.name.clone(), worker.spawn().0)
                })
                .collect();
            Inner {
                engine,
                in_flight,
                book: Mutex::new(book),
                counts: Mutex::new(BTreeMap::new()),
                hooks,
                screens,
                file: data_dir.map(|d| d.join(FILE)),
                cluster: OnceLock::new(),
            }
        });
        Alerts { inner }
    }

    pub(super) fn count(&self, hook: &str, kind: DeliveryKind) {
        *self
            .inner
            .counts
            .lock()
            .entry((hook.to_string(), kind))
            .or_default() += 1;
    }

    /// Deliveries so far by hook and result kind (`delivered`, `retrying`,
    /// `refused`, `gave up`, `dropped`, as [`DeliveryKind::as_str`] spells them).
    pub fn delivery_counts(&self) -> Vec<(String, &'static str, u64)> {
        self.inner
            .counts
            .lock()
            .iter()
            .map(|((h, k), n)| (h.clone(), k.as_str(), *n))
            .collect()
    }

    fn record(&self, r: worker::Report) {
        self.count(&r.hook, r.result.kind());
        let at = fmt_time(
            self.inner.engine.now_ms(),
            self.inner.engine.sale().timezone,
        );
        {
            let mut book = self.inner.book.lock();
            for id in &r.ids {
                book.record_delivery(
                    *id,
                    Delivery {
                        hook: r.hook.clone(),
                        at: at.clone(),
                        attempt: r.attempt,
                        result: r.result.clone(),
                    },
                );
            }
        }
        self.save();
    }

    /// One evaluation at the engine's now; returns the notices it produced.
    /// In cluster mode the journal keeper evaluates (as the lease holder)
    /// and this does nothing.
    pub fn evaluate(&self) -> Vec<Notice> {
        if self.inner.cluster.get().is_some() {
            return Vec::new();
        }
        let engine = &self.inner.engine;
        let cfg = engine.config().clone();
        let (conds, now) = engine.read(|st, now| (rules::evaluate(st, &cfg, now), now));
        let tz = cfg.sale.timezone;
        let notices = self
            .inner
            .book
            .lock()
            .step(&conds, now, &cfg.alerts.rules, |ms| fmt_time(ms, tz));
        for notice in screen_notices(&notices, now) {
            // No receiver (no live hub, as in offline tools) is fine.
            let _ = self.inner.screens.send(notice);
        }
        for n in &notices {
            let record = n.record();
            if record.silenced {
                continue;
            }
            for (name, tx) in &self.inner.hooks {
                self.inner.in_flight.fetch_add(1, Ordering::AcqRel);
                if tx.try_send(Msg::of(n)).is_err() {
                    self.inner.in_flight.fetch_sub(1, Ordering::AcqRel);
                    // Never wait on a hook: drop, and say so.
                    self.count(name, DeliveryKind::Dropped);
                    self.inner.book.lock().record_delivery(
                        record.id,
                        Delivery {
                            hook: name.clone(),
                            at: fmt_time(now, tz),
                            attempt: 0,
                            result: DeliveryResult::Dropped,
                        },
                    );
                }
            }
        }
        if !notices.is_empty() {
            self.save();
        }
        notices
    }

    /// Evaluates every second until shutdown.
    pub fn start(&self, shutdown: Shutdown) -> tokio::task::JoinHandle<()> {
        let alerts = self.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(1));
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = every.tick() => { alerts.evaluate(); }
                    () = shutdown.wait() => break,
                }
            }
        })
    }

    /// At shutdown: waits until every queued alert is delivered, refused
    /// or given up, for at most `deadline`. Returns how many were left.
    pub async fn drain(&self, deadline: Duration) -> usize {
        let until = tokio::time::Instant::now() + deadline;
        loop {
            let left = self.inner.in_flight.load(Ordering::Acquire);
            if left == 0 || tokio::time::Instant::now() >= until {
                return left;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Recent alerts, newest first.
    pub fn recent(&self, n: usize) -> Vec<AlertRecord> {
        self.inner.book.lock().recent(n)
    }

    pub fn silences(&self) -> Vec<Silence> {
        let now = self.inner.engine.now_ms();
        self.inner
            .book
            .lock()
            .silences
            .iter()
            .filter(|s| s.until_ms > now)
            .cloned()
            .collect()
    }

    /// Adds a silence; in cluster mode through the journal, so every
    /// node has it (a few milliseconds later).
    pub fn add_silence(&self, s: Silence) {
        if let Some(c) = self.inner.cluster.get() {
            c.command(Cmd::Silence(s));
            return;
        }
        self.inner.book.lock().silences.push(s);
        self.save();
    }

    /// What the screens are to be told, as it happens (the live hub
    /// turns these into frames).
    pub fn subscribe(&self) -> broadcast::Receiver<ScreenNotice> {
        self.inner.screens.subscribe()
    }

    /// Writes the book to the data directory (temporary file, rename).
    pub(super) fn save(&self) {
        let Some(path) = &self.inner.file else { return };
        let bytes = match serde_json::to_vec(&*self.inner.book.lock()) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "cannot serialise the alert book");
                return;
            }
        };
        let tmp = path.with_extension("json.tmp");
        if let Err(e) = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path)) {
            tracing::warn!(error = %e, file = %path.display(), "cannot save the alert book");
        }
    }
}
