//! Alerts (contract §6): rules over the engine's figures, a book of what
//! fired, and delivery to chat groups.
//!
//! Once a second `rules` lists the conditions that hold; `book` turns them
//! into fire / repeat / resolve notices (with `for`, repeat intervals,
//! one-shot milestones and silences); each notice goes to the live screens
//! as an `alert` frame (at most `SCREEN_ALERTS_PER_EVAL` a second, the rest
//! in one digest frame) and, unless silenced, to every hook's queue
//! (`deliver`), whose worker batches, rate-limits, signs (`hooks`) and
//! retries. Nothing here is on the ingest path: evaluation reads the
//! engine like any view, and a hook can hang without anyone waiting on it.

mod book;
mod deliver;
mod hooks;
mod metrics;
mod rules;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use parking_lot::Mutex;
use tokio::sync::{broadcast, mpsc};

pub use book::{AlertRecord, Book, Delivery, Notice};
pub use deliver::{Limiter, limits};
pub use hooks::{Msg, Outcome, classify, dingtalk_sign, feishu_sign, payload};
pub use rules::{Condition, evaluate};

use crate::config::Silence;
use crate::engine::Engine;
use crate::shutdown::Shutdown;
use crate::views::fmt_time;

/// The book's file in the data directory.
pub const FILE: &str = "alerts.json";

struct Inner {
    engine: Engine,
    book: Mutex<Book>,
    /// Messages handed to hooks and not yet finished (delivered, refused or given up).
    in_flight: Arc<std::sync::atomic::AtomicUsize>,
    /// Deliveries by (hook, result kind), for `/metrics`.
    counts: Mutex<std::collections::BTreeMap<(String, &'static str), u64>>,
    hooks: Vec<(String, mpsc::Sender<Msg>)>,
    frames: broadcast::Sender<Utf8Bytes>,
    file: Option<PathBuf>,
}

/// Cloneable handle to the alert side.
#[derive(Clone)]
pub struct Alerts {
    inner: Arc<Inner>,
}

/// Reads a saved book (for offline export); empty when there is none.
pub fn load_book(dir: &Path) -> Book {
    std::fs::read(dir.join(FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

impl Alerts {
    /// Loads the saved book from `data_dir` (if any) and starts one delivery
    /// worker per configured hook. Needs a tokio runtime.
    pub fn new(engine: Engine, data_dir: Option<&Path>) -> Alerts {
        let cfg = engine.config().clone();
        let mut book = data_dir.map(load_book).unwrap_or_default();
        for s in &cfg.alerts.silences {
            if !book.silences.contains(s) {
                book.silences.push(s.clone());
            }
        }
        let (frames, _) = broadcast::channel(256);
        let in_flight = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let inner = Arc::new_cyclic(|weak: &std::sync::Weak<Inner>| {
            let client = reqwest::Client::new();
            let hooks = cfg
                .alerts
                .hooks
                .iter()
                .map(|h| {
                    let (clock, reporter, done) = (engine.clone(), weak.clone(), in_flight.clone());
                    let worker = deliver::Worker {
                        hook: h.clone(),
                        lang: cfg.alerts.lang,
                        public_url: cfg.alerts.public_url.clone(),
                        sale: cfg.sale.name.clone(),
                        retry_base: Duration::from_millis(
                            cfg.alerts.rules.retry_base_ms.max(1) as u64
                        ),
                        client: client.clone(),
                        now_ms: Box::new(move || clock.now_ms()),
                        report: Box::new(move |r: deliver::Report| {
                            let finished = !r.result.starts_with("retrying");
                            let n = r.ids.len();
                            if let Some(inner) = reporter.upgrade() {
                                Alerts { inner }.record(r);
                            }
                            if finished {
                                done.fetch_sub(n, std::sync::atomic::Ordering::AcqRel);
                            }
                        }),
                    };
                    (h.name.clone(), worker.spawn().0)
                })
                .collect();
            Inner {
                engine,
                in_flight,
                book: Mutex::new(book),
                counts: Mutex::new(std::collections::BTreeMap::new()),
                hooks,
                frames,
                file: data_dir.map(|d| d.join(FILE)),
            }
        });
        Alerts { inner }
    }

    fn count(&self, hook: &str, result: &str) {
        let kind = ["delivered", "retrying", "refused", "gave up", "dropped"]
            .into_iter()
            .find(|k| result.starts_with(k))
            .unwrap_or("other");
        *self
            .inner
            .counts
            .lock()
            .entry((hook.to_string(), kind))
            .or_default() += 1;
    }

    /// Deliveries so far by hook and result (`delivered`, `retrying`,
    /// `refused`, `gave up`, `dropped`).
    pub fn delivery_counts(&self) -> Vec<(String, &'static str, u64)> {
        self.inner
            .counts
            .lock()
            .iter()
            .map(|((h, k), n)| (h.clone(), *k, *n))
            .collect()
    }

    fn record(&self, r: deliver::Report) {
        self.count(&r.hook, &r.result);
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
    pub fn evaluate(&self) -> Vec<Notice> {
        let engine = &self.inner.engine;
        let cfg = engine.config().clone();
        let (conds, now) = engine.read(|st, now| (rules::evaluate(st, &cfg, now), now));
        let tz = cfg.sale.timezone;
        let notices = self
            .inner
            .book
            .lock()
            .step(&conds, now, &cfg.alerts.rules, |ms| fmt_time(ms, tz));
        for frame in screen_frames(&notices, now, &fmt_time(now, tz)) {
            let _ = self.inner.frames.send(Utf8Bytes::from(frame.to_string()));
        }
        for n in &notices {
            let record = n.record();
            if record.silenced {
                continue;
            }
            for (name, tx) in &self.inner.hooks {
                self.inner
                    .in_flight
                    .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
                if tx.try_send(Msg::of(n)).is_err() {
                    self.inner
                        .in_flight
                        .fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
                    // Never wait on a hook: drop, and say so.
                    self.count(name, "dropped");
                    self.inner.book.lock().record_delivery(
                        record.id,
                        Delivery {
                            hook: name.clone(),
                            at: fmt_time(now, tz),
                            attempt: 0,
                            result: "dropped: the hook's queue is full".into(),
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
            let left = self
                .inner
                .in_flight
                .load(std::sync::atomic::Ordering::Acquire);
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

    pub fn add_silence(&self, s: Silence) {
        self.inner.book.lock().silences.push(s);
        self.save();
    }

    /// Alert frames for a live screen.
    pub fn subscribe(&self) -> broadcast::Receiver<Utf8Bytes> {
        self.inner.frames.subscribe()
    }

    /// Writes the book to the data directory (temporary file, rename).
    fn save(&self) {
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

/// Alert frames the screens get from one evaluation; the rest go into one
/// `digest` frame. When 2,000 SKUs run low in the same second, 10,000
/// screens must not get 2,000 frames each (the feed shows 20; the stock
/// panel lists the SKUs anyway): that storm once cut ingest to a tenth.
pub const SCREEN_ALERTS_PER_EVAL: usize = 5;

/// What a screen most needs to see first: the sale before channels,
/// stores and SKUs; critical before warnings; a fire before a resolve.
fn screen_rank(n: &Notice) -> (u8, u8, u8) {
    let r = n.record();
    let scope = match r.scope.split(':').next() {
        Some("sale") => 0,
        Some("channel") => 1,
        Some("store") => 2,
        _ => 3,
    };
    let severity = match r.severity.as_str() {
        "critical" => 0,
        "warning" => 1,
        _ => 2,
    };
    let event = match n {
        Notice::Fire(_) => 0,
        Notice::Resolve(_) => 1,
        Notice::Repeat(_) => 2,
    };
    (scope, severity, event)
}

/// The `alert` frames for one evaluation's notices (see
/// [`SCREEN_ALERTS_PER_EVAL`]).
fn screen_frames(notices: &[Notice], now: i64, at: &str) -> Vec<serde_json::Value> {
    let mut order: Vec<&Notice> = notices.iter().collect();
    order.sort_by_key(|n| screen_rank(n));
    let (shown, rest) = order.split_at(order.len().min(SCREEN_ALERTS_PER_EVAL));
    let mut frames: Vec<serde_json::Value> = shown
        .iter()
        .map(|n| {
            let event = match n {
                Notice::Fire(_) => "fire",
                Notice::Repeat(_) => "repeat",
                Notice::Resolve(_) => "resolve",
            };
            serde_json::json!({
                "type": "alert",
                "event": event,
                "server_time": at,
                "server_time_ms": now,
                "alert": n.record(),
            })
        })
        .collect();
    if !rest.is_empty() {
        // Per rule: how many, and its title in the sale's language.
        let mut by_rule = serde_json::Map::new();
        for n in rest {
            let r = n.record();
            let entry = by_rule
                .entry(r.rule.clone())
                .or_insert_with(|| serde_json::json!({"count": 0, "title": r.title}));
            entry["count"] = (entry["count"].as_u64().unwrap_or(0) + 1).into();
        }
        frames.push(serde_json::json!({
            "type": "alert",
            "event": "digest",
            "server_time": at,
            "server_time_ms": now,
            "more": rest.len(),
            "by_rule": by_rule,
        }));
    }
    frames
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(id: u64, rule: &str, scope: &str, severity: &str) -> Notice {
        Notice::Fire(AlertRecord {
            id,
            key: format!("{rule}:{scope}"),
            rule: rule.into(),
            scope: scope.into(),
            severity: severity.into(),
            status: "firing".into(),
            title: format!("{rule} title"),
            summary: String::new(),
            fired_at: String::new(),
            fired_at_ms: 0,
            resolved_at: None,
            silenced: false,
            deliveries: Vec::new(),
        })
    }

    #[test]
    fn a_storm_reaches_screens_as_five_frames_and_a_digest() {
        let mut notices: Vec<Notice> = (0..11)
            .map(|i| notice(i, "low_stock", &format!("sku:k{i}"), "warning"))
            .collect();
        notices.push(notice(20, "sold_out", "sku:k99", "critical"));
        notices.push(notice(21, "milestone", "sale", "info"));
        let frames = screen_frames(&notices, 5, "t");
        assert_eq!(frames.len(), SCREEN_ALERTS_PER_EVAL + 1);
        assert_eq!(frames[0]["alert"]["id"], 21, "the sale first");
        assert_eq!(frames[1]["alert"]["id"], 20, "then critical");
        let digest = &frames[SCREEN_ALERTS_PER_EVAL];
        assert_eq!(digest["event"], "digest");
        assert_eq!(digest["more"], 8);
        assert_eq!(digest["by_rule"]["low_stock"]["count"], 8);
        assert_eq!(digest["by_rule"]["low_stock"]["title"], "low_stock title");

        let few = screen_frames(&notices[..3], 5, "t");
        assert_eq!(few.len(), 3, "no digest when all fit");
        assert!(few.iter().all(|f| f["event"] == "fire"));
    }
}
