//! The traffic model: a realistic sale's events, for `warroom demo` and the
//! load test alike.
//!
//! `rng` is a small seeded generator (runs repeat exactly per seed), `catalog`
//! builds the demo sale's channels, stores and SKUs, and `traffic` writes
//! NDJSON batches with Zipf-like popularity, multi-item orders, refunds,
//! duplicates and stock updates, keeping the totals it sent so a driver can
//! check the server's figures against them.

mod catalog;
mod rng;
mod traffic;

pub use catalog::{DemoCatalog, demo_catalog};
pub use rng::{Rng, Zipf};
pub use traffic::{Sent, Traffic, TrafficOptions};
