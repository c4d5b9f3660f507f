//! Storage (see docs/api.md, Storage): nothing acknowledged is lost, and a
//! data directory written by an older warroom reads in a newer one.
//!
//! Layout:
//!
//! - `log` — [`Log`], the seam between ingest and whatever makes a batch
//!   durable (memory only, or the local log).
//! - `metrics` — the log's figures on `/metrics`.
//! - `health` — [`Health`]: whether everything the screens show is stored,
//!   read by the live hub each tick.
//! - `opening` — [`Opening`]: the checks a start makes before changing
//!   anything (a newer `sale.json`, the identity) and what it records after.
//! - `following` — `Storage::open_following`: a cluster node's directory
//!   (checkpoints by stream sequence, `stream.json`, no log).
//! - `handle` — [`Storage`], which ties the files to an engine: ingest logs
//!   each batch under the engine lock (so the log's order is the apply
//!   order) and waits for durability before it replies; a background task
//!   checkpoints every `checkpoint_every` seconds or `checkpoint_events`
//!   events. Also [`load_readonly`], for `warroom export --data-dir`.
//! - `wal` — the write-ahead log: segments, group commit, `fsync = always |
//!   interval`.
//! - `room` — disk space reserved ahead of the log, claimed by ingest
//!   before a batch is applied.
//! - `checkpoint` — checkpoint files: written, read back, and only then
//!   the log segments they cover dropped.
//! - `keys` — key files: the idempotency keys new since the previous
//!   checkpoint.
//! - `sale_file` — `sale.json`, the sale the directory holds (no secrets).
//! - `identity` — `identity.json`, the sale the directory belongs to,
//!   checked before anything is replayed.
//! - `head` — `log-head.json`, the newest segment, so losing it shows.
//! - `recovery` — start-up: checkpoint + key files + log replay; a log
//!   that stops short of its checkpoint.
//! - `replay` — the log replay: torn tails, damaged records, missing
//!   records, and what `--repair` keeps and sets aside.
//! - `probe` — recovery of a directory made of arbitrary bytes with its
//!   promises checked (the `recovery` fuzz target and its stable twin).
//! - `format` — the bytes of every file, each with its version, and the
//!   conversions from older versions; the versions are listed there.

mod checkpoint;
mod following;
mod format;
mod handle;
mod head;
mod health;
mod identity;
mod keys;
mod log;
mod metrics;
mod opening;
#[doc(hidden)]
pub mod probe;
mod recovery;
mod replay;
mod room;
mod sale_file;
mod stream_file;
mod wal;
mod writer;

pub use format::FormatError;
/// The log record payload (a batch of events), for ingest and benches.
pub use format::batch as codec;
pub use format::log::{
    STAMP as STAMP_BYTES, VERSION as LOG_FORMAT, encode_payload as encode_record,
    stamp as stamp_record,
};

/// Decodes a record payload of this build's format (cluster mode: a
/// stream message); returns its receive stamp, if it has one.
pub fn decode_record<'a>(
    payload: &'a [u8],
    out: &mut crate::event::Batch<'a>,
) -> Result<Option<i64>, codec::DecodeError> {
    format::log::decode_payload(format::log::VERSION, payload, out)
}
pub use handle::{Storage, load_readonly};
pub use health::{Cause, Health};
pub use identity::{
    Adopt, DataDirId, DataDirIdentity, Found, IDENTITY_FILE, IdentityError, SaleIdentity,
};
pub use log::{Claim, Log, Ticket};
pub use opening::Opening;
pub use recovery::{Dropped, Mode, Recovered, RecoveryError};
pub use sale_file::{SALE_FILE, fingerprint as sale_fingerprint};
pub use stream_file::STREAM_FILE;
pub use wal::{Progress, Wal, WalError, WalStats};
