//! The keeper: the one task per node (cluster mode) that follows the
//! alert journal into the book and, while this node holds the alert
//! lease, decides and hands what is owed to the hook workers (see
//! `cluster` for the rules it keeps; docs/operations.md, Cluster mode →
//! Alerts). It alone changes the book in cluster mode, so a decision made
//! on a copy of the book cannot race another change.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::cluster::Cmd;
use super::delivery::{Delivery, DeliveryKind, DeliveryResult};
use super::entry::{Entry, Outbox};
use super::handle::Alerts;
use super::hooks::Msg;
use super::rules;
use super::screen::screen_notices;
use crate::cluster::{Journal, JournalError, Lease, Progress};
use crate::shutdown::Shutdown;
use crate::views::fmt_time;

/// Entries waiting to be appended while NATS is away; the oldest go first.
const UNSENT: usize = 10_000;

pub(super) struct Keeper {
    alerts: Alerts,
    hooks: Vec<String>,
    journal: Journal,
    lease: Lease,
    progress: Option<Arc<Progress>>,
    /// The last journal sequence applied to the book.
    applied: u64,
    outbox: Outbox,
    /// (sequence, hook) handed to a worker while holding the lease.
    handed: HashSet<(u64, String)>,
    /// Delivery results and silences not yet in the journal.
    unsent: VecDeque<Entry>,
    was_mine: bool,
    /// Having just taken the lease: the journal's end, to reach before
    /// deciding or sending anything.
    catch_up_to: Option<u64>,
    /// The book changed since it was last saved.
    dirty: bool,
}

impl Keeper {
    pub(super) fn new(
        alerts: Alerts,
        journal: Journal,
        lease: Lease,
        progress: Option<Arc<Progress>>,
    ) -> Keeper {
        Keeper {
            hooks: alerts.inner.hooks.iter().map(|(n, _)| n.clone()).collect(),
            alerts,
            journal,
            lease,
            progress,
            applied: 0,
            outbox: Outbox::default(),
            handed: HashSet::new(),
            unsent: VecDeque::new(),
            was_mine: false,
            catch_up_to: None,
            dirty: false,
        }
    }

    pub(super) async fn run(mut self, mut cmds: mpsc::Receiver<Cmd>, shutdown: Shutdown) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        'follow: loop {
            let entries = match self.journal.follow(self.applied + 1).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot follow the alert journal; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_secs(1)) => continue 'follow,
                        () = shutdown.wait() => break 'follow,
                    }
                }
            };
            let mut entries = std::pin::pin!(entries);
            loop {
                tokio::select! {
                    item = entries.next() => match item {
                        Some(Ok((seq, bytes))) => {
                            self.take(seq, &bytes);
                            self.hand_over();
                        }
                        Some(Err(e)) => {
                            tracing::warn!(error = %e, "alert journal interrupted; following again");
                            continue 'follow;
                        }
                        None => continue 'follow,
                    },
                    _ = tick.tick() => self.tick().await,
                    Some(cmd) = cmds.recv() => self.command(cmd).await,
                    () = shutdown.wait() => break 'follow,
                }
            }
        }
        // Results that came in late are still worth recording.
        while let Ok(cmd) = cmds.try_recv() {
            self.queue(cmd);
        }
        self.flush().await;
        self.alerts.save();
    }

    /// Applies one entry from the journal (our own appends were applied
    /// when they were taken, and come back here only to be skipped).
    fn take(&mut self, seq: u64, bytes: &[u8]) {
        if seq <= self.applied {
            return;
        }
        match serde_json::from_slice::<Entry>(bytes) {
            Ok(entry) => self.apply(seq, &entry),
            Err(e) => tracing::error!(seq, error = %e, "alert journal entry unreadable; skipped"),
        }
        self.applied = seq;
    }

    fn apply(&mut self, seq: u64, entry: &Entry) {
        self.alerts.inner.book.lock().apply(entry);
        self.outbox.apply(seq, entry, &self.hooks);
        if let Entry::Notice {
            kind,
            at_ms,
            record,
        } = entry
        {
            let notice = super::Notice::new(*kind, record.clone());
            self.tell_screens(&[notice], *at_ms);
        }
        self.dirty = true;
    }

    fn tell_screens(&self, notices: &[super::Notice], now: i64) {
        for n in screen_notices(notices, now) {
            let _ = self.alerts.inner.screens.send(n);
        }
    }

    fn mine_and_current(&self) -> bool {
        self.lease.is_mine() && self.catch_up_to.is_some_and(|end| self.applied >= end)
    }

    fn replica_whole(&self) -> bool {
        self.progress
            .as_ref()
            .is_none_or(|p| !p.is_catching_up() && p.halted().is_none())
    }

    async fn tick(&mut self) {
        let mine = self.lease.is_mine();
        if mine && !self.was_mine {
            tracing::info!(node = %self.lease.node(), "holding the alert lease: sending chat alerts");
        }
        if !mine {
            // Anything handed over and not finished is the next holder's.
            self.handed.clear();
            self.catch_up_to = None;
        } else if self.catch_up_to.is_none() {
            match self.journal.last().await {
                Ok(end) => self.catch_up_to = Some(end),
                Err(e) => tracing::warn!(error = %e, "cannot read the alert journal's end"),
            }
        }
        self.was_mine = mine;
        self.flush().await;
        if self.mine_and_current() {
            if self.replica_whole() {
                self.step().await;
            }
            self.hand_over();
        }
        if std::mem::take(&mut self.dirty) {
            self.alerts.save();
        }
    }

    /// One evaluation by the holder: decide on a copy, append, keep.
    async fn step(&mut self) {
        let inner = &self.alerts.inner;
        let cfg = inner.engine.config().clone();
        let (conds, now) = inner
            .engine
            .read(|st, now| (rules::evaluate(st, &cfg, now), now));
        let tz = cfg.sale.timezone;
        let mut next = inner.book.lock().clone();
        let notices = next.step(&conds, now, &cfg.alerts.rules, |ms| fmt_time(ms, tz));
        let mut taken = 0;
        for n in &notices {
            let entry = Entry::notice(n, now);
            let bytes = match serde_json::to_vec(&entry) {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, "cannot serialise an alert notice");
                    break;
                }
            };
            match self.journal.append_after(self.applied, bytes.into()).await {
                Ok(at) => {
                    self.applied = at.0;
                    self.outbox.apply(at.0, &entry, &self.hooks);
                    taken += 1;
                }
                Err(JournalError::Conflict(_)) => {
                    tracing::info!("the alert journal moved on; catching up before deciding");
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "alert notice not appended; deciding again next second");
                    break;
                }
            }
        }
        let mut book = inner.book.lock();
        if taken == notices.len() {
            *book = next;
        } else {
            for n in &notices[..taken] {
                book.apply(&Entry::notice(n, now));
            }
        }
        drop(book);
        if taken > 0 {
            self.tell_screens(&notices[..taken], now);
            self.dirty = true;
        }
    }

    /// As the holder: hands every owed (notice, hook) not yet handed over
    /// to the hook's worker.
    fn hand_over(&mut self) {
        if !self.mine_and_current() {
            return;
        }
        let owed: Vec<(u64, Msg, String)> = self
            .outbox
            .owed()
            .filter(|(seq, _, hook)| !self.handed.contains(&(*seq, hook.to_string())))
            .map(|(seq, n, hook)| {
                let mut msg = Msg::of(n);
                msg.seq = seq;
                (seq, msg, hook.to_string())
            })
            .collect();
        let inner = self.alerts.inner.clone();
        for (seq, msg, hook) in owed {
            let Some((_, tx)) = inner.hooks.iter().find(|(n, _)| *n == hook) else {
                continue;
            };
            let id = msg.record.id;
            inner
                .in_flight
                .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            if tx.try_send(msg).is_err() {
                inner
                    .in_flight
                    .fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
                self.alerts.count(&hook, DeliveryKind::Dropped);
                self.push(Entry::Delivery {
                    seq,
                    id,
                    delivery: self.delivery(&hook, 0, DeliveryResult::Dropped),
                });
            }
            self.handed.insert((seq, hook));
        }
    }

    fn delivery(&self, hook: &str, attempt: u32, result: DeliveryResult) -> Delivery {
        let engine = &self.alerts.inner.engine;
        Delivery {
            hook: hook.to_string(),
            at: fmt_time(engine.now_ms(), engine.sale().timezone),
            attempt,
            result,
        }
    }

    async fn command(&mut self, cmd: Cmd) {
        self.queue(cmd);
        self.flush().await;
    }

    fn queue(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Report(r) => {
                self.alerts.count(&r.hook, r.result.kind());
                for (id, seq) in r.ids.iter().zip(&r.seqs) {
                    let delivery = self.delivery(&r.hook, r.attempt, r.result.clone());
                    self.push(Entry::Delivery {
                        seq: *seq,
                        id: *id,
                        delivery,
                    });
                }
            }
            Cmd::Silence(silence) => self.push(Entry::Silence { silence }),
        }
    }

    fn push(&mut self, entry: Entry) {
        if self.unsent.len() >= UNSENT {
            self.unsent.pop_front();
            tracing::error!("alert journal unreachable for long: oldest unrecorded result dropped");
        }
        self.unsent.push_back(entry);
    }

    /// Appends what waits, in order, wherever the journal stands: results
    /// and silences decide nothing, so they need no expectation. One that
    /// lands right after what we applied is applied now; one that lands
    /// later comes back through the journal after what precedes it.
    async fn flush(&mut self) {
        while let Some(entry) = self.unsent.front() {
            let bytes = match serde_json::to_vec(entry) {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, "cannot serialise an alert journal entry");
                    self.unsent.pop_front();
                    continue;
                }
            };
            match self.journal.append(bytes.into()).await {
                Ok(at) => {
                    if let Some(entry) = self.unsent.pop_front()
                        && at.0 == self.applied + 1
                    {
                        self.apply(at.0, &entry);
                        self.applied = at.0;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "alert journal entry not appended yet");
                    return;
                }
            }
        }
    }
}
