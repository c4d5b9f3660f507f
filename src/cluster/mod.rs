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
//! - `publish` — [`StreamLog`]: ingest's log in cluster mode; publish,
//!   acknowledgement, and the wait for this node's apply.
//! - `waiters` — replies waiting for their record to be applied.
//! - `follow` — the apply loop.
//! - `join` — start-up: link, checkpoint, apply loop.
//! - `metrics` — the cluster's figures on `/metrics`.
//! - `status` — every node's progress and the stream's state
//!   (`/api/v1/cluster`), from heartbeats in a key-value bucket.
//! - `bucket` — opening (or creating) a key-value bucket.
//! - `lease` — [`Lease`]: which node sends chat alerts.
//! - `journal` — [`Journal`]: the alert stream every node's book follows.
//! - `source` — the bus source: the lease holder reads what order systems
//!   publish to a JetStream subject, with dead letters for what cannot be
//!   counted.
mod bucket;
mod follow;
mod join;
mod journal;
mod lease;
mod link;
mod metrics;
mod progress;
mod publish;
pub mod source;
pub mod status;
mod waiters;

pub use follow::{FollowStats, follow};
pub use join::{join, node_name};
pub use journal::{Appended, Journal, JournalError, journal_of};
pub use lease::{KEY as LEASE_KEY, Lease, LeaseError, Times as LeaseTimes, bucket_of};
pub use link::{Link, LinkError, StreamIdentity, subject_of};
pub use progress::{Position, Progress};
pub use publish::{PublishError, PublishStats, StreamLog};
pub use waiters::{Outcome, Waiters};
