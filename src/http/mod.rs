//! The HTTP edge: routes of contract §2–§3 over the ingest and engine handles.
//!
//! `app` builds the router apart from serving, so tests can call it without
//! a socket; `error` maps failures to statuses with a JSON reason.

mod app;
mod auth;
mod error;
mod events;
mod read;
mod web;

pub use app::{AppState, app};
pub use error::AppError;
pub use web::WebAssets;
