//! Live push: frames for the big screens over WebSockets (see docs/api.md,
//! Live push).
//!
//! `hub` keeps the topics (one per distinct filter, `filter`) and what a
//! screen is sent; `publish` is its tick task's one tick: it versions the
//! rows (`versions`), builds each due topic's frame once within a CPU
//! budget, serialises it once and publishes it on a `watch` channel — so
//! every screen with the same filter shares the same bytes, and a slow
//! screen simply finds the newest frame when it is ready (it is never
//! queued for) and, if it missed some, gets one catch-up frame since its
//! last (`catch_up`). `rate` lowers a topic's frame rate while its screens
//! cannot keep up and raises it again; `alert_ring` keeps the alert frames
//! of recent ticks. `frame` is the screen protocol (one [`Frame`] enum),
//! `build` makes frames from the engine's state, `scope` says what a filter
//! covers and sums its figures, `payload` a published frame's bytes and
//! their compressed copy, `stored` what the screens are told when
//! figures shown are not yet stored, `stream` (cluster mode) which stream
//! sequence the figures reflect, `notes` which notes of the war-room log
//! each tick added or deleted. The socket that serves one screen is the
//! HTTP side's (`http::live`).

mod alert_ring;
mod breakdown;
mod build;
mod catch_up;
mod filter;
mod frame;
mod hub;
#[cfg(test)]
mod hub_tests;
mod metrics;
mod notes;
mod payload;
mod publish;
mod rate;
mod scope;
mod stored;
mod stream;
mod versions;

/// Kept for callers that still name them here; the types are the views'.
pub use crate::views::{ChannelDelta, StoreDelta, StoreDeltas};
pub use build::{FrameAt, PUSH_CHANNELS, PUSH_STORES, hello, snapshot, tick};
pub use catch_up::{CatchUp, Next, next};
pub use filter::Filter;
pub use frame::{AlertFrame, DigestFrame, Frame, Hello, Snapshot, Stamp, Tick};
pub use hub::{Hub, LiveStats, Published, Subscription};
pub use payload::{DEFLATE_LEVEL, Payload, WireStats, deflate};
pub use publish::{BUDGET_SHARE, Budget, CHUNK, budget};
pub use rate::{RAISE_AFTER, max_stride};
pub use scope::ScopeView;
pub use stored::{StorageNote, StorageReason};
pub use stream::{Stream, StreamNote};
pub use versions::Versions;
