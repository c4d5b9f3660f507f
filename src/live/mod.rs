//! Live push: frames for the big screens over WebSockets (see docs/api.md,
//! Live push).
//!
//! `hub` runs one tick task that reads the engine once per tick, builds one
//! frame per distinct filter (`filter`), serialises it once and publishes it
//! on a `watch` channel — so every screen with the same filter shares the
//! same bytes, and a slow screen simply finds the newest frame when it is
//! ready (it skips, it is never queued for). `frame` is the screen protocol
//! (one [`Frame`] enum), `build` makes frames from the engine's state,
//! `scope` says what a filter covers and sums its figures, `payload` a
//! published frame's bytes and their compressed copy, `stored` what
//! the screens are told when figures shown are not yet stored, `stream`
//! (cluster mode) which stream sequence the figures reflect. The socket that
//! serves one screen is the HTTP side's (`http::live`).

mod build;
mod filter;
mod frame;
mod hub;
mod metrics;
mod payload;
mod scope;
mod stored;
mod stream;

/// Kept for callers that still name them here; the types are the views'.
pub use crate::views::{ChannelDelta, StoreDelta, StoreDeltas};
pub use build::{Diff, PUSH_CHANNELS, PUSH_STORES, TickContext, hello, snapshot, tick};
pub use filter::Filter;
pub use frame::{AlertFrame, DigestFrame, Frame, Hello, Snapshot, Stamp, Tick};
pub use hub::{Hub, LiveStats};
pub use payload::{DEFLATE_LEVEL, Payload, WireStats, deflate};
pub use scope::ScopeView;
pub use stored::{StorageNote, StorageReason};
pub use stream::{Stream, StreamNote};
