//! The log behind ingest: the one seam between accepting a batch and
//! making it durable.
//!
//! Ingest does not know which log it writes to. Before it applies a batch
//! it claims room for the batch's encoded record ([`Log::reserve`]; no room,
//! nothing applied: a batch the log could not take must never show on a
//! screen). Under the engine lock, right after the batch is applied, it
//! hands the record to [`Log::append`] (so the log's order is the apply
//! order) and gets back a [`Ticket`]; outside the lock the reply waits on the ticket until the
//! record is as durable as the storage settings promise. There are three
//! logs: none (memory only, no data directory), the local write-ahead log
//! with checkpoints, and the cluster's stream ([`StreamLog`]), where the
//! order is the other way round: a batch is published first and applied
//! when the stream delivers it back, on every node alike (ingest asks
//! [`Log::stream`] once and takes that path).

use super::{Health, Storage, Wal};
use crate::cluster::StreamLog;
use crate::metrics::{Exposition, Report};

/// Where accepted batches go before their reply.
#[derive(Clone, Default)]
pub enum Log {
    /// No data directory: events live in memory only and are lost on restart.
    #[default]
    Memory,
    /// The local write-ahead log (group commit) and its checkpoints.
    Local(Storage),
    /// Cluster mode: the NATS JetStream stream, and local checkpoints.
    Stream(StreamLog),
}

/// Room claimed in the log for one record, before its batch is applied.
#[must_use = "room claimed is given back by `Log::append`"]
pub struct Claim(u64);

/// A position in the log that a reply waits for.
pub struct Ticket {
    wal: Wal,
    lsn: u64,
}

impl Log {
    /// Whether batches must be encoded for this log at all.
    pub fn is_durable(&self) -> bool {
        !matches!(self, Log::Memory)
    }

    /// Why nothing can be written now (a write error, a disk with no room
    /// left), if so. While this is `Some`, ingest applies nothing new and
    /// answers 503, and `/readyz` says why.
    pub fn unavailable(&self) -> Option<String> {
        match self {
            Log::Memory => None,
            Log::Local(s) => s
                .wal()
                .and_then(|wal| wal.progress().error.or_else(|| wal.short_of_room())),
            Log::Stream(s) => s.unavailable(),
        }
    }

    /// Claims room for a record of `len` bytes before its batch is
    /// applied; when there is none, the batch must not be applied (503).
    #[inline]
    pub fn reserve(&self, len: usize) -> Result<Claim, String> {
        match self {
            Log::Local(s) if len > 0 => match s.wal() {
                Some(wal) => wal.reserve(len).map(Claim).map_err(|e| e.0),
                None => Ok(Claim(0)),
            },
            _ => Ok(Claim(0)),
        }
    }

    /// Called under the engine lock after a batch is applied. With new
    /// events the record is appended into the room claimed for it; with
    /// only duplicates nothing is (the room goes back), but the reply must
    /// still wait for the records those duplicates were first stored in, so
    /// the ticket is the log's end.
    pub fn append(&self, record: &[u8], claim: Claim, applied_any: bool) -> Option<Ticket> {
        match self {
            Log::Memory | Log::Stream(_) => None,
            Log::Local(s) => {
                let wal = s.wal()?;
                let lsn = if applied_any {
                    // A record re-encoded smaller after the claim (lines a
                    // cap refused) gives back what it does not use.
                    let used = (super::format::log::HEADER + record.len()) as u64;
                    if claim.0 > used {
                        wal.unreserve(claim.0 - used);
                    }
                    wal.append(record)
                } else {
                    if claim.0 > 0 {
                        wal.unreserve(claim.0);
                    }
                    wal.end()
                };
                Some(Ticket {
                    wal: wal.clone(),
                    lsn,
                })
            }
        }
    }

    /// Records applied (so on the screens) but not yet written: above 0
    /// only while a write fails where no room could be reserved ahead.
    pub fn unstored_records(&self) -> u64 {
        match self {
            Log::Memory | Log::Stream(_) => 0,
            Log::Local(s) => s
                .wal()
                .map_or(0, |wal| wal.end().saturating_sub(wal.progress().written)),
        }
    }

    /// Whether everything on the screens is stored; cheap enough for the
    /// live hub to ask every tick (see [`Health`]).
    pub fn health(&self) -> Health {
        match self {
            Log::Memory | Log::Stream(_) => Health::Ok,
            Log::Local(s) => s.wal().map_or(Health::Ok, Wal::health),
        }
    }

    /// The local storage, for the checkpoint task and shutdown.
    pub fn storage(&self) -> Option<&Storage> {
        match self {
            Log::Memory => None,
            Log::Local(s) => Some(s),
            Log::Stream(s) => s.storage(),
        }
    }

    /// The cluster's stream, when it is the log.
    pub fn stream(&self) -> Option<&StreamLog> {
        match self {
            Log::Stream(s) => Some(s),
            _ => None,
        }
    }
}

impl Ticket {
    /// Waits until the record is as durable as the fsync mode promises;
    /// fails at once while the disk refuses writes.
    pub async fn wait(self) -> Result<(), String> {
        self.wal.wait(self.lsn).await.map_err(|e| e.to_string())
    }
}

impl Report for Log {
    fn report(&self, out: &mut Exposition) {
        if let Some(s) = self.storage() {
            s.report(out);
        }
        if let Some(s) = self.stream() {
            s.report(out);
        }
    }
}
