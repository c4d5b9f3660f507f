//! Cluster mode end to end (docs/operations.md, Cluster mode): real
//! `nats-server`s (`crate::nats`) and real warroom binaries with data
//! directories.
//!
//! - `load` — the generated traffic and the test's own expectation.
//! - `node` — a warroom node: config, port, data directory, its log.
//! - `survive` — the acceptance test: two nodes fed under load while the
//!   stream's leader and one node are killed; exact figures and identical
//!   checkpoints after.
//! - `faults` — one fault each: a retry through the other node, an unfit
//!   stream, a recreated stream, an undecodable record, NATS gone.

mod faults;
mod load;
mod node;
mod survive;
