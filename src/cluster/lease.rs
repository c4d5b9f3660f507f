//! [`Lease`]: which node of the cluster sends chat alerts.
//!
//! The lease is one key (`alerts`) in a JetStream key-value bucket named
//! `<stream>_lease`, keeping one revision, whose `max_age` is the lease's
//! time to live. A node takes it with `create` (which succeeds only when
//! the key is absent) and renews it every [`Times::renew`] with `update`
//! at the revision it holds, which stores a fresh copy and so restarts the
//! age. A holder that dies stops renewing; its entry ages out after the
//! TTL, and the others, trying `create` every [`Times::retry`], take over
//! within TTL + retry (under 10 s with the defaults). A holder whose
//! renewal fails, or does not come back before its own deadline (the time
//! of the last renewal it sent plus the TTL less a safety margin), stops
//! counting itself the holder at once, before the bucket could let anyone
//! else take the lease. On shutdown the holder deletes the key at its
//! revision, so another takes over at its next try.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_nats::jetstream::kv;
use parking_lot::Mutex;
use tokio::sync::watch;
use tokio::time::Instant;

use super::Link;
use crate::shutdown::Shutdown;

/// The lease's key in the bucket.
pub const KEY: &str = "alerts";

/// The bucket that holds a stream's lease.
pub fn bucket_of(stream: &str) -> String {
    format!("{stream}_lease")
}

/// The lease's timing. The defaults give a takeover within 7 s.
#[derive(Debug, Clone, Copy)]
pub struct Times {
    /// The bucket's `max_age`: how long an unrenewed lease lives.
    pub ttl: Duration,
    /// How often the holder renews.
    pub renew: Duration,
    /// How often the others try to take it.
    pub retry: Duration,
}

impl Default for Times {
    fn default() -> Times {
        Times {
            ttl: Duration::from_secs(6),
            renew: Duration::from_secs(2),
            retry: Duration::from_secs(1),
        }
    }
}

impl Times {
    /// How long after sending a renewal the holder still counts itself the
    /// holder: the TTL less a margin for clocks and the server's expiry.
    fn hold_for(&self) -> Duration {
        self.ttl.saturating_sub(self.ttl / 6).max(self.renew)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("alert lease bucket {bucket}: {reason}")]
pub struct LeaseError {
    bucket: String,
    reason: String,
}

struct Shared {
    node: String,
    holder: watch::Sender<Option<String>>,
    /// Until when this node may act as the holder (`None`: it is not).
    mine_until: Mutex<Option<Instant>>,
    changes: AtomicU64,
}

/// Cloneable handle to this node's view of the alert lease.
#[derive(Clone)]
pub struct Lease {
    shared: Arc<Shared>,
}

impl Lease {
    /// Creates (or opens) the bucket and starts trying to take the lease;
    /// the task runs until `shutdown`, then gives the lease up if held.
    pub async fn start(
        link: &Link,
        times: Times,
        shutdown: Shutdown,
    ) -> Result<(Lease, tokio::task::JoinHandle<()>), LeaseError> {
        let store = open_bucket(link, times.ttl).await?;
        let lease = Lease {
            shared: Arc::new(Shared {
                node: link.node.clone(),
                holder: watch::channel(None).0,
                mine_until: Mutex::new(None),
                changes: AtomicU64::new(0),
            }),
        };
        let task = tokio::spawn(lease.clone().run(store, times, shutdown));
        Ok((lease, task))
    }

    /// This node's name, as the lease records it.
    pub fn node(&self) -> &str {
        &self.shared.node
    }

    /// Whether this node holds the lease now (and may send).
    pub fn is_mine(&self) -> bool {
        self.shared
            .mine_until
            .lock()
            .is_some_and(|until| Instant::now() < until)
    }

    /// The holder as last seen (`None`: nobody, or not known).
    pub fn holder(&self) -> Option<String> {
        self.shared.holder.borrow().clone()
    }

    /// Changes each time the holder seen changes.
    pub fn subscribe(&self) -> watch::Receiver<Option<String>> {
        self.shared.holder.subscribe()
    }

    /// How many times the holder seen by this node has changed.
    pub fn changes(&self) -> u64 {
        self.shared.changes.load(Ordering::Relaxed)
    }

    fn see(&self, holder: Option<String>, mine_until: Option<Instant>) {
        *self.shared.mine_until.lock() = mine_until;
        let changed = self.shared.holder.send_if_modified(|h| {
            if *h == holder {
                return false;
            }
            *h = holder.clone();
            true
        });
        if changed {
            self.shared.changes.fetch_add(1, Ordering::Relaxed);
            tracing::info!(holder = ?holder, node = %self.shared.node, "alert lease holder changed");
        }
    }

    async fn run(self, store: kv::Store, times: Times, shutdown: Shutdown) {
        let me = bytes::Bytes::from(self.shared.node.clone());
        // The revision this node holds, if it holds the lease.
        let mut held: Option<u64> = None;
        loop {
            let sent = Instant::now();
            match held {
                Some(revision) => {
                    let deadline = sent + times.hold_for();
                    let renewed =
                        tokio::time::timeout_at(deadline, store.update(KEY, me.clone(), revision))
                            .await;
                    match renewed {
                        Ok(Ok(revision)) => {
                            held = Some(revision);
                            self.see(Some(self.shared.node.clone()), Some(deadline));
                        }
                        Ok(Err(e)) => {
                            tracing::warn!(error = %e, "alert lease not renewed; no longer sending alerts");
                            held = None;
                            self.see(read_holder(&store).await.map(|(who, _)| who), None);
                        }
                        Err(_) => {
                            tracing::warn!(
                                "alert lease renewal timed out; no longer sending alerts"
                            );
                            held = None;
                            self.see(None, None);
                        }
                    }
                }
                None => match store.create(KEY, me.clone()).await {
                    Ok(revision) => {
                        held = Some(revision);
                        self.see(
                            Some(self.shared.node.clone()),
                            Some(sent + times.hold_for()),
                        );
                    }
                    Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {
                        let entry = read_holder(&store).await;
                        // Our own entry (a renewal that failed on the way
                        // back, or this node restarted within the TTL):
                        // take it back at its revision, which nobody else
                        // can have moved meanwhile.
                        let ours = entry.as_ref().filter(|(who, _)| *who == self.shared.node);
                        let back = match ours {
                            Some((_, revision)) => {
                                store.update(KEY, me.clone(), *revision).await.ok()
                            }
                            None => None,
                        };
                        match back {
                            Some(revision) => {
                                held = Some(revision);
                                self.see(
                                    Some(self.shared.node.clone()),
                                    Some(sent + times.hold_for()),
                                );
                            }
                            None => self.see(entry.map(|(who, _)| who), None),
                        }
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "alert lease: cannot reach the bucket");
                        self.see(None, None);
                    }
                },
            }
            let pause = if held.is_some() {
                times.renew
            } else {
                times.retry
            };
            tokio::select! {
                () = tokio::time::sleep_until(sent + pause) => {}
                () = shutdown.wait() => break,
            }
        }
        if let Some(revision) = held {
            // Hand over at once rather than after the TTL.
            *self.shared.mine_until.lock() = None;
            if let Err(e) = store.delete_expect_revision(KEY, Some(revision)).await {
                tracing::debug!(error = %e, "alert lease not released; it ages out");
            }
        }
    }
}

/// Who the bucket says holds the lease, and at which revision.
async fn read_holder(store: &kv::Store) -> Option<(String, u64)> {
    match store.entry(KEY).await {
        Ok(Some(e)) if e.operation == kv::Operation::Put => {
            Some((String::from_utf8_lossy(&e.value).into_owned(), e.revision))
        }
        _ => None,
    }
}

/// Opens the lease bucket, creating it on first use (`bucket::open`).
async fn open_bucket(link: &Link, ttl: Duration) -> Result<kv::Store, LeaseError> {
    let bucket = bucket_of(&link.cfg.stream);
    super::bucket::open(link, &bucket, "warroom: which node sends chat alerts", ttl)
        .await
        .map_err(|reason| LeaseError { bucket, reason })
}
