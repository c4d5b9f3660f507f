//! warroom: a live sales war-room server.
//!
//! Order systems post order, refund and stock events; warroom counts them
//! exactly in memory and serves the figures a war room watches.
//!
//! # Layout
//!
//! Data flows one way: `ingest` → `engine` → `views` → `live` / `alerts` /
//! `export`, with `storage` behind ingest and `http` at the edge. `app` is
//! the one place that builds and starts it all.
//!
//! - `app` — the composition root: `App::build`, `start`, `serve`; used by
//!   `cli` and by the tests' server helper alike.
//! - `cli` — the commands → config and options → an `App`.
//! - `config` — the sale's TOML and CSV catalogs, validated with file:line
//!   errors; secrets redacted in `Debug`.
//! - `money`, `event`, `note`, `clock` — the language between the edge and
//!   the engine: exact minor units (and their labels), validated events,
//!   the war-room log's notes, "now".
//! - `ingest` — request bodies (NDJSON, arrays, objects) → events, per the
//!   event rules (docs/api.md, Events).
//! - `storage` — the `Log` seam behind ingest, the write-ahead log,
//!   checkpoints, key files, recovery; every file format versioned.
//! - `engine` — every counter, window and timeline; the only place state changes.
//! - `views` — read models: summary, rows, timeline, for the API, frames and export.
//! - `live` — the hub: one tick task, one typed `Frame` enum, shared frames.
//! - `screens` — the runtime the live push runs on: its own threads, below
//!   ingest's priority.
//! - `alerts` — rules, the alert book, delivery (one file per hook kind).
//! - `export` — the review pack (复盘): JSON, CSV, charts, report.
//! - `http` — routes by area, the live socket, auth, errors, the embedded
//!   `web/` screen; `server` is the accept loop, `shutdown` the notice
//!   long-lived tasks wait on.
//! - `metrics` — a leaf: the Prometheus writer each subsystem reports into.
//! - `sim`, `demo` — the traffic model and the built-in demo sale.

pub mod alerts;
pub mod app;
pub mod cli;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod demo;
pub mod engine;
pub mod event;
pub mod export;
pub mod geo;
pub mod http;
pub mod ingest;
pub mod live;
pub mod metrics;
pub mod money;
pub mod note;
pub mod screens;
pub mod server;
pub mod shutdown;
pub mod sim;
pub mod storage;
pub mod views;
