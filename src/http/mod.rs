//! The HTTP edge: routes by area over the handles `app::App` built.
//!
//! `router` builds the axum router apart from serving (tests can call it
//! without a socket) and holds [`AppState`], the handles bundle; one file
//! per area of routes: `events` (ingest), `views` (summary, rows,
//! timeline), `prices` (price and basket trends), `impact` (shape, the
//! days around the sale), `live` (the screens' WebSocket:
//! its loop; `upgrade` its handshake, `extensions` the compression
//! offers, `socket` the sends), `alerts` (alerts and
//! silences), `notes` (the war-room log), `export` (the review pack), `ops` (health, readiness,
//! metrics), `web` (the embedded screen). `auth` checks roles, `host`
//! judges the `Host` header and origins; `error` maps failures to statuses
//! with a JSON reason.

mod alerts;
mod auth;
mod cluster;
mod error;
mod events;
mod export;
mod extensions;
mod host;
mod impact;
mod live;
mod notes;
mod ops;
mod prices;
mod router;
mod screen_io;
mod socket;
mod upgrade;
mod views;
mod web;

pub use error::AppError;
pub use router::{AppState, router};
pub use web::WebAssets;
