//! The reader: one task per node that, while this node holds the lease,
//! pulls the bus source's messages from its durable consumer and hands
//! each to the [`Handler`], acknowledging it only once it is handled.
//!
//! At start every node finds the source's stream, makes sure dead
//! letters have a stream, and opens (or creates) the durable consumer;
//! a source that cannot be found leaves the node serving everything else
//! with the source shown `unavailable`, checked again every
//! [`RECHECK`]. Messages are handled one at a time in the order the
//! consumer delivers them. A message that cannot be handled now is put
//! back (a delayed negative acknowledgement), and so is every message
//! after it in the same fetch, in order, so the next attempt starts
//! where this one stopped. When this node stops holding the lease (or
//! shuts down) the rest of its fetch is put back at once for the next
//! holder.

use std::time::Duration;

use async_nats::jetstream::AckKind;
use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, PullConsumer, pull};
use async_nats::jetstream::{self, context::GetStreamByNameErrorKind};
use futures_util::StreamExt;
use tokio::task::JoinHandle;

use super::dead_letter;
use super::message::{Handled, Handler};
use super::status::{SourceState, SourceStatus};
use crate::cluster::link::wanted;
use crate::cluster::{Lease, Link};
use crate::ingest::Ingest;
use crate::shutdown::Shutdown;

/// How often a source that cannot be read is looked for again.
pub const RECHECK: Duration = Duration::from_secs(10);
/// Messages fetched at once (each is a whole body of events).
const FETCH: usize = 32;
/// How long a fetch waits for messages when the source is idle.
const POLL: Duration = Duration::from_secs(1);
/// How long the reader waits after a message could not be handled.
const RETRY_DELAY: Duration = Duration::from_secs(1);
/// Messages delivered and not yet acknowledged, at most: a fetch's worth
/// several times over, so a holder that died holding a fetch does not
/// stop the next one.
const MAX_ACK_PENDING: i64 = 8 * FETCH as i64;

/// The durable consumer a sale reads the source with.
pub fn consumer_name(stream: &str) -> String {
    format!("warroom-{stream}")
}

/// How long a delivered message may go unacknowledged before it is
/// delivered again: long enough to publish it and wait for its apply
/// (`ack_timeout_ms` each), then its dead letters. A holder that dies
/// holding messages hands them over after this.
pub fn ack_wait(ack_timeout_ms: u64) -> Duration {
    Duration::from_millis(2 * ack_timeout_ms) + Duration::from_secs(5)
}

/// Starts reading `[cluster] source`, if there is one: reading only
/// while this node holds `lease` (the alert lease: one node reads the bus
/// and sends chat alerts).
pub fn start(
    link: Link,
    ingest: Ingest,
    status: SourceStatus,
    lease: Lease,
    shutdown: Shutdown,
) -> Option<JoinHandle<()>> {
    let source = link.cfg.source.clone()?;
    let dead_letter = link.cfg.dead_letter_subject()?;
    let consumer = consumer_name(&link.cfg.stream);
    status.configure(&link.node, &source, &consumer, &dead_letter);
    let max_age = wanted(&link.cfg, ingest.engine().sale(), &link.subject).max_age;
    let reader = Reader {
        handler: Handler {
            link,
            ingest,
            dead_letter,
            status,
        },
        source,
        consumer,
        max_age,
        holder: lease.subscribe(),
        lease,
        shutdown,
    };
    Some(tokio::spawn(reader.run()))
}

struct Reader {
    handler: Handler,
    source: String,
    consumer: String,
    /// How long the dead-letter stream made here keeps its messages.
    max_age: Duration,
    /// Whether this node holds the lease, to the instant.
    lease: Lease,
    /// Changes whenever the holder changes.
    holder: tokio::sync::watch::Receiver<Option<String>>,
    shutdown: Shutdown,
}

/// Why a fetch stopped handling messages before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// A message could not be handled now: it and the rest come back later.
    Retry,
    /// This node no longer reads (lease lost, shutdown): the rest go back now.
    Handover,
}

impl Reader {
    async fn run(mut self) {
        let status = self.handler.status.clone();
        let mut consumer: Option<PullConsumer> = None;
        while !self.shutdown.is_triggered() {
            let c = match &consumer {
                Some(c) => c.clone(),
                None => match self.open().await {
                    Ok(c) => consumer.insert(c).clone(),
                    Err(reason) => {
                        if status.unavailable(&reason) {
                            tracing::error!(source = %self.source, %reason, "the bus source cannot be read; everything else is served, and it is checked again every {}s", RECHECK.as_secs());
                        }
                        self.pause(RECHECK).await;
                        continue;
                    }
                },
            };
            self.holder.mark_unchanged();
            if !self.lease.is_mine() {
                if status.set(SourceState::Standby) {
                    tracing::info!(source = %self.source, "another node holds the lease and reads the bus source");
                }
                // A change of holder wakes it; so does the re-check, in
                // case a change was missed between the look and the wait.
                tokio::select! {
                    changed = self.holder.changed() => {
                        if changed.is_err() {
                            // The lease stopped (shutdown).
                            self.shutdown.wait().await;
                        }
                    }
                    () = tokio::time::sleep(RECHECK) => {}
                    () = self.shutdown.wait() => {}
                }
                continue;
            }
            if status.set(SourceState::Reading) {
                tracing::info!(source = %self.source, consumer = %self.consumer, "this node holds the lease and reads the bus source");
            }
            match self.read_fetch(&c).await {
                Ok(None | Some(Stop::Handover)) => {}
                Ok(Some(Stop::Retry)) => self.pause(RETRY_DELAY).await,
                Err(reason) => {
                    if status.unavailable(&reason) {
                        tracing::warn!(source = %self.source, %reason, "reading the bus source failed; opening it again");
                    }
                    consumer = None;
                    self.pause(RETRY_DELAY).await;
                }
            }
        }
    }

    /// Sleeps `d`, or until shutdown.
    async fn pause(&self, d: Duration) {
        tokio::select! {
            () = tokio::time::sleep(d) => {}
            () = self.shutdown.wait() => {}
        }
    }

    /// Finds the source's stream, the dead letters' stream and the
    /// durable consumer.
    async fn open(&self) -> Result<PullConsumer, String> {
        let link = &self.handler.link;
        let source = &self.source;
        let name = match link.js.stream_by_subject(source.as_str()).await {
            Ok(name) => name,
            Err(e) if e.kind() == GetStreamByNameErrorKind::NotFound => {
                return Err(format!(
                    "no stream holds the source subject {source:?}: create one for the subject order systems publish to, or fix [cluster] source"
                ));
            }
            Err(e) => {
                return Err(format!(
                    "cannot look up the stream of the source subject {source:?}: {e}"
                ));
            }
        };
        if name == link.identity.name {
            return Err(format!(
                "[cluster] source {source:?} falls in the sale's own stream {name}: it would read back what it publishes"
            ));
        }
        self.handler.status.found(&name);
        dead_letter::ensure_stream(link, &self.handler.dead_letter, self.max_age).await?;
        let stream = link
            .js
            .get_stream(&name)
            .await
            .map_err(|e| format!("source stream {name}: {e}"))?;
        let config = pull::Config {
            durable_name: Some(self.consumer.clone()),
            description: Some(format!(
                "warroom: stream {} reads {source:?}",
                link.cfg.stream
            )),
            filter_subject: source.clone(),
            deliver_policy: DeliverPolicy::All,
            ack_policy: AckPolicy::Explicit,
            ack_wait: ack_wait(link.cfg.ack_timeout_ms),
            max_ack_pending: MAX_ACK_PENDING,
            ..Default::default()
        };
        let consumer: PullConsumer = stream
            .get_or_create_consumer(&self.consumer, config)
            .await
            .map_err(|e| format!("consumer {} on stream {name}: {e}", self.consumer))?;
        let have = &consumer.cached_info().config;
        if have.filter_subject != *source {
            return Err(format!(
                "consumer {} on stream {name} reads {:?}, but [cluster] source is {source:?}: delete that consumer (nats consumer rm {name} {}) to read the new subject from the stream's start",
                self.consumer, have.filter_subject, self.consumer
            ));
        }
        Ok(consumer)
    }

    /// Handles one fetch; says why it stopped early, if it did.
    async fn read_fetch(&mut self, consumer: &PullConsumer) -> Result<Option<Stop>, String> {
        let mut fetch = consumer
            .batch()
            .max_messages(FETCH)
            .expires(POLL)
            .messages()
            .await
            .map_err(|e| format!("cannot fetch from the bus source: {e}"))?;
        let mut stop = None;
        while let Some(next) = fetch.next().await {
            let msg = next.map_err(|e| format!("fetching from the bus source: {e}"))?;
            if stop.is_none() && (self.shutdown.is_triggered() || !self.lease.is_mine()) {
                stop = Some(Stop::Handover);
            }
            match stop {
                Some(_) => put_back(&msg).await,
                None => match self.handler.handle(&msg).await {
                    Handled::Done => {
                        // A lost acknowledgement only means a redelivery,
                        // which is recognised (see the module doc).
                        if let Err(e) = msg.ack().await {
                            tracing::debug!(error = %e, "bus message acknowledgement not sent");
                        }
                    }
                    Handled::Later(reason) => {
                        self.handler
                            .status
                            .stats()
                            .retries
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        tracing::warn!(subject = %msg.subject, %reason, "bus message put back; it comes again in {}s", RETRY_DELAY.as_secs());
                        put_back(&msg).await;
                        stop = Some(Stop::Retry);
                    }
                    Handled::Foreign(reason) => {
                        tracing::error!(subject = %msg.subject, %reason, "not a JetStream message; dropped");
                        let _ = msg.ack_with(AckKind::Term).await;
                    }
                },
            }
        }
        Ok(stop)
    }
}

/// A negative acknowledgement: the message is delivered again at the next
/// fetch (this holder's after its pause, or the next holder's), before
/// newer ones.
async fn put_back(msg: &jetstream::Message) {
    if let Err(e) = msg.ack_with(AckKind::Nak(None)).await {
        tracing::debug!(error = %e, "bus message not put back; it comes again after the ack wait");
    }
}
