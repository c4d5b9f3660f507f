//! Cluster mode: several warroom nodes on one NATS JetStream stream
//! (docs/operations.md, Cluster mode; docs/scaling.md).
//!
//! The stream is the log. Any node takes `POST /api/v1/events`: the batch
//! is validated as always, published to the stream as a compact record,
//! and answered once the stream acknowledged it and this node applied it.
//! Every node follows the stream in order and applies every record with
//! the receive time stamped into it, so every node holds the same state
//! at the same sequence, byte for byte.
//!
//! - `link` — [`Link`]: the connection, and the stream created or checked.
//! - `progress` — [`Progress`]: how far this node has applied.
//! - `lease` — [`Lease`]: which node sends chat alerts.
//! - `journal` — [`Journal`]: the alert stream every node's book follows.
mod journal;
mod lease;
mod link;
mod progress;

pub use journal::{Appended, Journal, JournalError, journal_of};
pub use lease::{KEY as LEASE_KEY, Lease, LeaseError, Times as LeaseTimes, bucket_of};
pub use link::{Link, LinkError, StreamIdentity, subject_of};
pub use progress::{Position, Progress};
