//! Cluster mode end to end (docs/operations.md, Cluster mode): real
//! `nats-server`s (`crate::nats`) and real warroom binaries with data
//! directories.
//!
//! - `load` — the generated traffic and the test's own expectation.
//! - `lines` — its NDJSON lines as text, bad lines included.
//! - `node` — a warroom node: config, port, data directory, its log.
//! - `compare` — a node's figures against the expectation.
//! - `survive` — the acceptance test: two nodes fed under load while the
//!   stream's leader and one node are killed; exact figures and identical
//!   checkpoints after.
//! - `faults` — one fault each: a retry through the other node, an unfit
//!   stream, a recreated stream, an undecodable record, NATS gone.
//! - `resend` — a batch whose acknowledgement came too late: sent again,
//!   answered "duplicate", still reported as accepted.
//! - `from_checkpoint` — a node started from another node's checkpoint
//!   files, copied while that node runs.
//! - `notes` — the war-room log on every node, the same ids.
//! - `start` — starting a node as an operator does: what it says while it
//!   joins, and what it refuses.

mod compare;
mod faults;
mod from_checkpoint;
mod lines;
mod load;
mod node;
mod notes;
mod resend;
mod start;
mod survive;
