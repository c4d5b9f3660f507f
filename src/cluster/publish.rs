//! [`StreamLog`]: the log behind ingest in cluster mode.
//!
//! A validated batch is encoded as one log record (the local log's payload
//! format, stamped with this node's receive time), split into parts below
//! the servers' max payload, and published with a message id derived from
//! the batch's content, so a client's retry — through this node or another,
//! within the stream's duplicate window — is recognised by JetStream and
//! acknowledged with the original sequence instead of being stored twice.
//! The reply waits for the acknowledgement (the stream holds the batch on a
//! quorum of its servers) and then until this node applied that sequence,
//! so it reports exactly what applying it did: a part acknowledged as a
//! duplicate was applied before, so all its events are duplicates now.
//! No acknowledgement within `[cluster] ack_timeout_ms`: `503`, nothing
//! acknowledged; a retry is safe.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use async_nats::jetstream::context::PublishAckFuture;
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::publish::PublishAck;

use super::follow::FollowStats;
use super::link::Link;
use super::progress::Progress;
use super::source::SourceStatus;
use super::waiters::{Outcome, Waiters};
use crate::event::{Batch, Kind};
use crate::metrics::Histogram;
use crate::storage::{self, Storage};

/// The header naming the record format of a message's payload.
pub const FORMAT_HEADER: &str = "Warroom-Log-Format";
/// The newest record format this build publishes and reads: the local
/// log's (format 4, whose batches may hold traffic, spend, regions and
/// campaigns). A node of an older build halts on it by name instead of
/// taking it for damage; see [`record_format`] for what is sent as 3.
pub const FORMAT: u32 = storage::LOG_FORMAT;
/// How long one publish attempt waits for its acknowledgement.
const ATTEMPT: Duration = Duration::from_secs(2);
/// The pause before a message is sent again.
const RESEND_PAUSE: Duration = Duration::from_millis(250);
/// How long a reply waits for its outcome once its sequence is applied.
const SETTLE_GRACE: Duration = Duration::from_secs(1);
/// Bytes kept free below the max payload for headers and framing.
const HEADROOM: usize = 4096;

/// Why a batch was not acknowledged (the client gets `503`).
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(
        "the stream did not acknowledge the batch within {0:?}; nothing of it is acknowledged, a retry is safe"
    )]
    NoAck(Duration),
    #[error("the stream refused the batch: {0}; a retry is safe")]
    Refused(String),
    #[error(
        "stored in the stream (sequence {seq}) but not applied on this node within {waited:?}; a retry is deduplicated"
    )]
    NotApplied { seq: u64, waited: Duration },
    #[error("this node stopped applying the stream: {0}")]
    Halted(String),
    #[error("one event encodes larger than the NATS max payload ({0} bytes)")]
    TooLarge(usize),
}

/// Publish figures for `/metrics`.
#[derive(Default)]
pub struct PublishStats {
    pub batches: AtomicU64,
    pub messages: AtomicU64,
    pub duplicate_acks: AtomicU64,
    /// Messages sent again after a failed or unanswered attempt.
    pub resends: AtomicU64,
    pub ack_failures: AtomicU64,
    pub apply_timeouts: AtomicU64,
    /// Publish → acknowledged by the stream.
    pub acked: Histogram,
    /// Publish → applied on this node (what the reply waits).
    pub applied: Histogram,
}

struct Inner {
    link: Link,
    progress: Arc<Progress>,
    storage: Option<Storage>,
    waiters: Arc<Waiters>,
    stats: PublishStats,
    follow: Arc<FollowStats>,
    source: SourceStatus,
    timeout: Duration,
}

/// Cluster mode's log: the stream, and this node's checkpoints.
#[derive(Clone)]
pub struct StreamLog {
    inner: Arc<Inner>,
}

impl StreamLog {
    pub fn new(
        link: Link,
        progress: Arc<Progress>,
        storage: Option<Storage>,
        waiters: Arc<Waiters>,
        follow: Arc<FollowStats>,
        source: SourceStatus,
    ) -> StreamLog {
        let timeout = Duration::from_millis(link.cfg.ack_timeout_ms);
        let stats = PublishStats::default();
        StreamLog {
            inner: Arc::new(Inner {
                link,
                progress,
                storage,
                waiters,
                stats,
                follow,
                source,
                timeout,
            }),
        }
    }

    pub fn link(&self) -> &Link {
        &self.inner.link
    }

    pub fn progress(&self) -> &Arc<Progress> {
        &self.inner.progress
    }

    pub fn stats(&self) -> &PublishStats {
        &self.inner.stats
    }

    pub fn follow_stats(&self) -> &FollowStats {
        &self.inner.follow
    }

    pub fn waiters(&self) -> &Arc<Waiters> {
        &self.inner.waiters
    }

    /// The bus source on this node (`off` without `[cluster] source`).
    pub fn source(&self) -> &SourceStatus {
        &self.inner.source
    }

    /// This node's checkpoints (none without a data directory).
    pub fn storage(&self) -> Option<&Storage> {
        self.inner.storage.as_ref()
    }

    /// Why this node takes no batch now: still catching up, or stopped.
    pub fn unavailable(&self) -> Option<String> {
        let p = &self.inner.progress;
        if let Some(reason) = p.halted() {
            return Some(format!("this node stopped applying the stream: {reason}"));
        }
        p.is_catching_up().then(|| {
            format!(
                "catching up with the stream: applied {} of {}",
                p.applied(),
                p.last_known()
            )
        })
    }

    /// Publishes `batch` (received at `now_ms`) and waits until this node
    /// applied it; returns what applying it did.
    pub async fn submit(&self, batch: &Batch<'_>, now_ms: i64) -> Result<Outcome, PublishError> {
        let inner = &self.inner;
        let max = inner.link.max_payload().saturating_sub(HEADROOM).max(1024);
        let parts = split(batch, max)?;
        // The id comes from the content alone (not the stamp), so a retry
        // of the same body maps to the same messages.
        let whole: Vec<u8> = {
            let mut w = Vec::new();
            for (_, bytes) in &parts {
                w.extend_from_slice(&bytes[storage::STAMP_BYTES..]);
            }
            w
        };
        let digest = xxhash_rust::xxh3::xxh3_128(&whole);
        let n = parts.len();
        let started = Instant::now();
        let deadline = started + inner.timeout;
        inner.stats.batches.fetch_add(1, Relaxed);
        let format = record_format(batch).to_string();
        let mut sends = Vec::with_capacity(n);
        for (i, (events, mut bytes)) in parts.into_iter().enumerate() {
            let id = format!("{digest:032x}.{i}.{n}");
            storage::stamp_record(&mut bytes, now_ms);
            let waiter = inner.waiters.register(id.clone());
            let msg = PublishMessage::build()
                .payload(bytes.into())
                .message_id(&id)
                .header(FORMAT_HEADER, format.as_str());
            sends.push(async move {
                let ack = self.publish(msg, deadline).await;
                (events, waiter, ack)
            });
        }
        let mut total = Outcome::default();
        let mut acked = Vec::with_capacity(n);
        for (events, waiter, sent) in futures_util::future::join_all(sends).await {
            let (ack, resent) = sent.map_err(|e| self.failed(e))?;
            inner.progress.saw(ack.sequence);
            acked.push((events, waiter, ack, resent));
        }
        inner.stats.acked.observe(started.elapsed());
        // Acknowledged: from here the batch is stored; only this node's
        // apply is awaited (a bound of its own, so a slow apply is not
        // mistaken for a stream that did not acknowledge).
        let apply_deadline = Instant::now() + inner.timeout;
        for (events, mut waiter, ack, resent) in acked {
            if ack.duplicate {
                inner.stats.duplicate_acks.fetch_add(1, Relaxed);
                self.applied_through(ack.sequence, apply_deadline).await?;
                // Sent more than once: the stream may have stored an
                // earlier attempt whose acknowledgement was lost (a leader
                // dying after the quorum wrote it). That record was applied
                // after this waiter was registered, so the apply settled it
                // with what this batch did; a record applied before (a
                // client's earlier request) never settles it, and its
                // events are all duplicates now.
                match waiter.rx.try_recv().ok().filter(|_| resent) {
                    Some(own) => {
                        total.accepted += own.accepted;
                        total.duplicates += own.duplicates;
                    }
                    None => total.duplicates += events,
                }
                continue;
            }
            let outcome = tokio::select! {
                r = &mut waiter.rx => r.ok(),
                e = self.applied_through(ack.sequence, apply_deadline) => {
                    // Applied: the apply loop settles the waiter right
                    // after it moves the applied sequence, so it is there
                    // now or a moment later.
                    e?;
                    tokio::time::timeout(SETTLE_GRACE, &mut waiter.rx).await.ok().and_then(Result::ok)
                }
            };
            let Some(outcome) = outcome else {
                return Err(self.failed(PublishError::NotApplied {
                    seq: ack.sequence,
                    waited: inner.timeout,
                }));
            };
            total.accepted += outcome.accepted;
            total.duplicates += outcome.duplicates;
        }
        inner.stats.applied.observe(started.elapsed());
        Ok(total)
    }

    /// Publishes one message and waits for its acknowledgement. A publish
    /// that fails or goes unanswered (the stream's leader died, a new one is
    /// being elected) is sent again — the same message id, so the stream
    /// stores it once — until `deadline`.
    async fn publish(
        &self,
        msg: PublishMessage,
        deadline: Instant,
    ) -> Result<(PublishAck, bool), PublishError> {
        let link = &self.inner.link;
        let mut resent = false;
        loop {
            let attempt = (Instant::now() + ATTEMPT).min(deadline);
            let sent = tokio::time::timeout_at(attempt.into(), async {
                let ack: PublishAckFuture = link
                    .js
                    .send_publish(link.subject.clone(), msg.clone())
                    .await
                    .map_err(|e| e.to_string())?;
                ack.into_future().await.map_err(|e| e.to_string())
            })
            .await;
            self.inner.stats.messages.fetch_add(1, Relaxed);
            let why = match sent {
                Ok(Ok(ack)) => return Ok((ack, resent)),
                Ok(Err(e)) => Some(e),
                Err(_) => None,
            };
            if Instant::now() + RESEND_PAUSE >= deadline {
                return Err(match why {
                    Some(e) => PublishError::Refused(e),
                    None => PublishError::NoAck(self.inner.timeout),
                });
            }
            self.inner.stats.resends.fetch_add(1, Relaxed);
            resent = true;
            tokio::time::sleep(RESEND_PAUSE).await;
        }
    }

    /// Waits until this node applied `seq` and announced it, up to
    /// `deadline`. The apply loop announces a sequence after it settled the
    /// record's waiters, so once this returns a waiter of that record holds
    /// its outcome.
    async fn applied_through(&self, seq: u64, deadline: Instant) -> Result<(), PublishError> {
        let p = &self.inner.progress;
        let mut rx = p.subscribe();
        loop {
            if let Some(reason) = p.halted() {
                return Err(PublishError::Halted(reason));
            }
            if *rx.borrow_and_update() >= seq {
                return Ok(());
            }
            match tokio::time::timeout_at(deadline.into(), rx.changed()).await {
                Ok(Ok(())) => {}
                _ => {
                    self.inner.stats.apply_timeouts.fetch_add(1, Relaxed);
                    return Err(PublishError::NotApplied {
                        seq,
                        waited: self.inner.timeout,
                    });
                }
            }
        }
    }

    fn failed(&self, e: PublishError) -> PublishError {
        if matches!(e, PublishError::NoAck(_) | PublishError::Refused(_)) {
            self.inner.stats.ack_failures.fetch_add(1, Relaxed);
        }
        e
    }
}

/// The oldest record format that holds `batch`: 3 when it has only what
/// format 3 knew (orders and refunds without region or campaign, stock),
/// whose bytes are the same in both, so a node not yet upgraded goes on
/// applying it during a rolling upgrade (docs/operations.md, Upgrades in a
/// cluster); else [`FORMAT`] — also for notes (kinds 5 and 6 of
/// `storage::format::batch`), which first appear in it: a node too old to
/// know them halts on the header by name, never on a record it takes for
/// damage.
fn record_format(batch: &Batch<'_>) -> u32 {
    let new = batch.events.iter().any(|e| {
        matches!(
            e.kind,
            Kind::Traffic | Kind::Spend | Kind::Note | Kind::NoteDeleted
        ) || e.region.is_some()
            || e.campaign.is_some()
    });
    if new { FORMAT } else { 3 }
}

/// `batch` as records of at most `max` bytes: (events, unstamped record).
fn split(batch: &Batch<'_>, max: usize) -> Result<Vec<(usize, Vec<u8>)>, PublishError> {
    let mut out = Vec::new();
    let mut bytes = Vec::new();
    storage::encode_record(batch, &mut bytes);
    if bytes.len() <= max {
        out.push((batch.len(), bytes));
        return Ok(out);
    }
    // Halve until every part fits; parts keep the batch's order.
    let mut stack = Vec::new();
    stack.push(0..batch.len());
    while let Some(range) = stack.pop() {
        let part = batch.slice(range.clone());
        let mut bytes = Vec::new();
        storage::encode_record(&part, &mut bytes);
        if bytes.len() <= max {
            out.push((part.len(), bytes));
        } else if range.len() <= 1 {
            return Err(PublishError::TooLarge(max));
        } else {
            let mid = range.start + range.len() / 2;
            stack.push(mid..range.end);
            stack.push(range.start..mid);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use std::borrow::Cow;

    /// Batches format 3 could carry are sent as 3; any traffic, spend,
    /// region or campaign makes them 4.
    #[test]
    fn a_batch_is_sent_in_the_oldest_format_that_holds_it() {
        let mut b = batch(3);
        b.events.push(Event::bare(Kind::Order, 1, 0));
        assert_eq!(record_format(&b), 3);
        let with = |e: Event<'static>| {
            let mut b = b.clone();
            b.events.push(e);
            record_format(&b)
        };
        assert_eq!(with(Event::bare(Kind::Traffic, 2, 0)), 4);
        assert_eq!(with(Event::bare(Kind::Spend, 3, 0)), 4);
        let id = crate::note::NoteId(9);
        assert_eq!(with(Event::note_deleted(id, 0)), FORMAT);
        let mut order = Event::bare(Kind::Order, 4, 0);
        order.region = Some("31".into());
        assert_eq!(with(order.clone()), 4);
        order.region = None;
        order.campaign = Some("直通车".into());
        assert_eq!(with(order), 4);
    }

    fn batch(n: usize) -> Batch<'static> {
        let mut b = Batch::default();
        for i in 0..n {
            b.events
                .push(Event::stock(i as i64, Cow::Owned(format!("sku-{i:06}")), 5));
        }
        assert!(b.events.iter().all(|e| e.kind == Kind::Stock));
        b
    }

    #[test]
    fn a_large_batch_splits_in_order_below_the_limit() {
        let b = batch(1000);
        let parts = split(&b, 2000).expect("split");
        assert!(parts.len() > 1);
        assert_eq!(parts.iter().map(|(n, _)| n).sum::<usize>(), 1000);
        let mut ts = Vec::new();
        for (_, bytes) in &parts {
            assert!(bytes.len() <= 2000);
            let mut out = Batch::default();
            storage::decode_record(bytes, &mut out).expect("decode");
            ts.extend(out.events.iter().map(|e| e.ts_ms));
        }
        assert_eq!(ts, (0..1000).collect::<Vec<i64>>());
    }
}
