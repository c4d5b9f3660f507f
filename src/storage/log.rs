//! The log behind ingest: the one seam between accepting a batch and
//! making it durable.
//!
//! Ingest does not know which log it writes to. Under the engine lock, right
//! after a batch is applied, it hands the batch's encoded record to
//! [`Log::append`] (so the log's order is the apply order) and gets back a
//! [`Ticket`]; outside the lock the reply waits on the ticket until the
//! record is as durable as the storage settings promise. Today there are two
//! logs: none (memory only, no data directory) and the local write-ahead log
//! with checkpoints; a replicated stream for cluster mode is a third variant
//! here, not an `if` in ingest, the app or the handlers.

use super::{Storage, Wal};
use crate::metrics::{Exposition, Report};

/// Where accepted batches go before their reply.
#[derive(Clone, Default)]
pub enum Log {
    /// No data directory: events live in memory only and are lost on restart.
    #[default]
    Memory,
    /// The local write-ahead log (group commit) and its checkpoints.
    Local(Storage),
}

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

    /// Why nothing can be written now (a full disk, a write error), if so.
    /// While this is `Some`, ingest applies nothing new and answers 503.
    pub fn unavailable(&self) -> Option<String> {
        match self {
            Log::Memory => None,
            Log::Local(s) => s.wal().progress().error,
        }
    }

    /// Called under the engine lock after a batch is applied. With new
    /// events the record is appended; with only duplicates nothing is, but
    /// the reply must still wait for the records those duplicates were
    /// first stored in, so the ticket is the log's end.
    pub fn append(&self, record: &[u8], applied_any: bool) -> Option<Ticket> {
        match self {
            Log::Memory => None,
            Log::Local(s) => {
                let wal = s.wal();
                let lsn = if applied_any {
                    wal.append(record)
                } else {
                    wal.end()
                };
                Some(Ticket {
                    wal: wal.clone(),
                    lsn,
                })
            }
        }
    }

    /// The local storage, for the checkpoint task and shutdown.
    pub fn storage(&self) -> Option<&Storage> {
        match self {
            Log::Memory => None,
            Log::Local(s) => Some(s),
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
    }
}
