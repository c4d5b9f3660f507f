//! The apply loop: this node follows the stream in order and applies
//! every record, exactly as every other node does.
//!
//! Apply is deterministic: a record carries the receive time it was
//! stamped with at ingest, the engine applies it at that time without the
//! first-sight caps (they were checked before publishing), and the
//! idempotency decisions follow from the stream's order alone. So the same
//! stream gives the same state on every node and after any restart. The
//! loop starts after the checkpoint this node loaded (or at sequence 1),
//! is "catching up" until it reaches the stream's end as it was at start,
//! and reports how fast that went. A missing sequence or a record that
//! does not decode stops apply for good (until an operator looks): the
//! node says so on `/readyz` and in its log, naming the sequence, and
//! never skips a record silently.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use async_nats::jetstream::consumer::{DeliverPolicy, pull::OrderedConfig};
use futures_util::StreamExt;

use super::link::Link;
use super::progress::Progress;
use super::publish::{FORMAT, FORMAT_HEADER};
use super::waiters::{Outcome, Waiters};
use crate::engine::Engine;
use crate::event::Batch;
use crate::shutdown::Shutdown;
use crate::storage;

/// How often the loop checks that deliveries still come.
const STALL_CHECK: Duration = Duration::from_millis(250);
/// No delivery this long while the stream is known to hold more: the
/// consumer is recreated.
const STALL: Duration = Duration::from_millis(1500);
/// The pause before a consumer is made again.
const RETRY: Duration = Duration::from_millis(200);

/// Apply figures for `/metrics` and status.
#[derive(Debug, Default)]
pub struct FollowStats {
    pub records: AtomicU64,
    pub events: AtomicU64,
    /// Events per second of the last catch-up (0 before one finished).
    pub catchup_events_per_s: AtomicU64,
    pub catchup_ms: AtomicU64,
    /// Consumers (re)created: each start, and each time the connection or
    /// the stream's leader changed under it.
    pub consumers: AtomicU64,
}

/// Follows the stream until shutdown (or until apply halts).
pub async fn follow(
    link: Link,
    engine: Engine,
    progress: Arc<Progress>,
    waiters: Arc<Waiters>,
    stats: Arc<FollowStats>,
    shutdown: Shutdown,
) {
    let started = Instant::now();
    let from = progress.applied();
    let mut target = None;
    loop {
        if progress.halted().is_some() {
            return;
        }
        let run = follow_once(&link, &engine, &progress, &waiters, &stats, &mut target);
        tokio::select! {
            () = shutdown.wait() => return,
            r = run => {
                if let Err(e) = r {
                    tracing::warn!(error = %e, applied = progress.applied(), "stream consumer interrupted; resuming");
                }
            }
        }
        if progress.is_catching_up() && target.is_some_and(|t| progress.applied() >= t) {
            caught_up(&progress, &stats, &engine, from, started);
        }
        tokio::select! {
            () = shutdown.wait() => return,
            () = tokio::time::sleep(RETRY) => {}
        }
    }
}

/// One consumer's life: created at the sequence after the last applied,
/// read until it ends or fails.
async fn follow_once(
    link: &Link,
    engine: &Engine,
    progress: &Progress,
    waiters: &Waiters,
    stats: &FollowStats,
    target: &mut Option<u64>,
) -> Result<(), String> {
    let stream = link
        .js
        .get_stream(&link.cfg.stream)
        .await
        .map_err(|e| e.to_string())?;
    let info = stream.get_info().await.map_err(|e| e.to_string())?;
    let last = info.state.last_sequence;
    progress.saw(last);
    let from = progress.applied();
    if last < from {
        // The stream ends before this node's checkpoint: not the stream the
        // checkpoint was taken from, whatever its name and creation time.
        let reason =
            format!("the stream ends at sequence {last}, before this node's checkpoint at {from}");
        halt(progress, reason);
        return Ok(());
    }
    let t = *target.get_or_insert(last);
    let started = Instant::now();
    if progress.is_catching_up() && from >= t {
        caught_up(progress, stats, engine, from, started);
    }
    let consumer = stream
        .create_consumer(OrderedConfig {
            filter_subject: link.subject.clone(),
            deliver_policy: if from == 0 {
                DeliverPolicy::All
            } else {
                DeliverPolicy::ByStartSequence {
                    start_sequence: from + 1,
                }
            },
            ..Default::default()
        })
        .await
        .map_err(|e| e.to_string())?;
    stats.consumers.fetch_add(1, Relaxed);
    let mut messages = consumer.messages().await.map_err(|e| e.to_string())?;
    let first_from = from;
    let mut last_delivery = Instant::now();
    let mut watch = tokio::time::interval(STALL_CHECK);
    loop {
        let msg = tokio::select! {
            m = messages.next() => m,
            _ = watch.tick() => {
                // The stream has more (this node published past what it
                // applied) and nothing came for a while: the consumer sits
                // on a server that died. Its own recovery waits for two
                // missed heartbeats (10 s); a new one starts at once.
                if progress.last_known() > progress.applied() && last_delivery.elapsed() > STALL {
                    return Err(format!(
                        "no delivery for {:?} while sequence {} is known; recreating the consumer",
                        last_delivery.elapsed(),
                        progress.last_known()
                    ));
                }
                continue;
            }
        };
        let Some(msg) = msg else { break };
        last_delivery = Instant::now();
        let msg = msg.map_err(|e| e.to_string())?;
        let info = msg.info().map_err(|e| e.to_string())?;
        let (seq, pending) = (info.stream_sequence, info.pending);
        let expected = progress.applied() + 1;
        if seq < expected {
            continue; // delivered again after a consumer reset
        }
        if seq > expected {
            let reason = if expected == 1 {
                format!(
                    "the stream starts at sequence {seq}: records 1–{} are gone (expired or removed), so this node cannot build the sale from it",
                    seq - 1
                )
            } else {
                format!("stream sequence {expected} is missing (the next delivered is {seq})")
            };
            halt(progress, reason);
            return Ok(());
        }
        if let Some(v) = msg
            .headers
            .as_ref()
            .and_then(|h| h.get(FORMAT_HEADER))
            .and_then(|v| v.as_str().parse::<u32>().ok())
            && v > FORMAT
        {
            {
                halt(
                    progress,
                    format!(
                        "stream sequence {seq} is in record format {v}, newer than this warroom (reads up to {FORMAT}); upgrade this node"
                    ),
                );
                return Ok(());
            }
        }
        let mut batch = Batch::default();
        let stamp = match storage::decode_record(&msg.payload, &mut batch) {
            Ok(Some(stamp)) => stamp,
            Ok(None) => {
                halt(
                    progress,
                    format!("stream sequence {seq} carries no receive time"),
                );
                return Ok(());
            }
            Err(e) => {
                halt(
                    progress,
                    format!("stream sequence {seq} does not decode: {e}"),
                );
                return Ok(());
            }
        };
        let (applied, ()) = engine.replay_then(&batch, stamp, |_| progress.set_applied(seq, stamp));
        stats.records.fetch_add(1, Relaxed);
        stats.events.fetch_add(batch.len() as u64, Relaxed);
        // Waiters hear their outcome before the applied sequence is
        // announced, so a reply that sees its sequence applied finds its
        // outcome there.
        if let Some(id) = msg
            .headers
            .as_ref()
            .and_then(|h| h.get(async_nats::header::NATS_MESSAGE_ID))
        {
            waiters.settle(
                id.as_str(),
                Outcome {
                    accepted: applied.accepted,
                    duplicates: applied.duplicates,
                },
            );
        }
        progress.saw(seq + pending);
        progress.publish();
        if progress.is_catching_up() && (seq >= t || pending == 0) {
            caught_up(progress, stats, engine, first_from, started);
        }
    }
    Ok(())
}

fn halt(progress: &Progress, reason: String) {
    tracing::error!(applied = progress.applied(), %reason, "stream apply stopped; this node is not ready until an operator acts (docs/operations.md, Cluster mode)");
    progress.halt(reason);
}

fn caught_up(progress: &Progress, stats: &FollowStats, engine: &Engine, from: u64, since: Instant) {
    progress.set_caught_up();
    let secs = since.elapsed().as_secs_f64().max(1e-3);
    let records = progress.applied().saturating_sub(from);
    let events = engine.read(|st, _| st.events_applied);
    let rate = stats.events.load(Relaxed) as f64 / secs;
    stats.catchup_events_per_s.store(rate as u64, Relaxed);
    stats.catchup_ms.store((secs * 1e3) as u64, Relaxed);
    tracing::info!(
        seq = progress.applied(),
        records,
        events_in_state = events,
        events_applied = stats.events.load(Relaxed),
        secs = format!("{secs:.2}"),
        events_per_s = rate as u64,
        "caught up with the stream"
    );
}
