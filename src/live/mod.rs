//! Live push (contract §4): frames for the big screens over WebSockets.
//!
//! `hub` runs one tick task that reads the engine once per tick, builds one
//! frame per distinct filter (`filter`), serialises it once and publishes it
//! on a `watch` channel — so every screen with the same filter shares the
//! same bytes, and a slow screen simply finds the newest frame when it is
//! ready (it skips, it is never queued for). `frame` holds the frame shapes
//! and their builders, `scope` what a filter covers and its figures. The
//! socket that serves one screen is the HTTP side's (`http::live`).

mod filter;
mod frame;
mod hub;
mod metrics;
mod scope;

pub use filter::Filter;
pub use frame::{Diff, Hello, Snapshot, StoreDelta, Tick, TickContext, snapshot, tick};
pub use hub::{Hub, LiveStats};
