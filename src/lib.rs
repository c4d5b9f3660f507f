//! warroom: a live sales war-room server.
//!
//! Order systems post order, refund and stock events; warroom counts them
//! exactly in memory and serves the figures a war room watches.
//!
//! # Layout
//!
//! Data flows one way: `ingest` → `engine` → `views` → `live` / `http`.
//!
//! - `config` — the sale's TOML and CSV catalogs, validated with file:line errors.
//! - `money` — decimal text to integer minor units, exactly.
//! - `event` — validated events, the language between ingest and engine.
//! - `ingest` — request bodies (NDJSON, arrays, objects) → events, per the event rules (docs/api.md, Events).
//! - `engine` — every counter, window and timeline; the only place state changes.
//! - `views` — summary, rankings, timeline: what the API shows.
//! - `alerts` — rules, the alert book, delivery to chat groups (docs/api.md, Alerts).
//! - `live` — WebSocket push to the screens: one tick task, shared frames.
//! - `http` — the axum router and handlers, the embedded `web/` screen;
//!   `server` serves it, `shutdown` tells long-lived tasks to end.
//! - `storage` — write-ahead log, checkpoints, recovery (docs/api.md, Storage).
//! - `export` — the post-event pack: JSON, CSV, charts, report (docs/api.md, Export).
//! - `metrics` — Prometheus counters.
//! - `sim` — the traffic model shared by the demo and the load test.
//! - `demo` — the built-in demo sale; `cli` — the commands.
//! - `clock` — the one source of "now", replaceable in tests.

pub mod alerts;
pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod engine;
pub mod event;
pub mod export;
pub mod http;
pub mod ingest;
pub mod live;
pub mod metrics;
pub mod money;
pub mod server;
pub mod shutdown;
pub mod sim;
pub mod storage;
pub mod views;
