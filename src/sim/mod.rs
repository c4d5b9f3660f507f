//! The traffic model: a realistic sale's events, for `warroom demo` and the
//! load test alike.
//!
//! `rng` is a small seeded generator (runs repeat exactly per seed), `catalog`
//! builds the demo sale's channels, stores and SKUs, and `traffic` writes
//! NDJSON batches with Zipf-like popularity, multi-item orders, refunds,
//! duplicates and stock updates; `regions` places buyers in China's
//! divisions by population, `campaigns` is the demo's promotion, `reach`
//! writes traffic and spend reports that follow the orders, `eve` the hours before the demo's midnight, and `sent` is
//! the ledger of it all, so a driver can check the server's figures
//! against it.

mod campaigns;
mod catalog;
mod eve;
mod reach;
mod regions;
mod rng;
mod sent;
mod traffic;

pub use campaigns::{CAMPAIGN_SLOTS, CAMPAIGNS, CampaignSpec, campaign_share, channel_roi};
pub use catalog::{DemoCatalog, demo_catalog};
pub use eve::{EVE_HOURS, EVE_SLICE_S, eve_rate, eve_slices};
pub use reach::{SPEND_TICKS, VISIT_TICKS};
pub use regions::{CROSS_BORDER, REGION_SLOTS, Regions, region_id};
pub use rng::{Rng, Zipf};
pub use sent::{Places, Sent, Slot};
pub use traffic::{Traffic, TrafficOptions};
