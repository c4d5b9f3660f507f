//! The router and the state every handler shares.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use super::{events, read};
use crate::engine::Engine;
use crate::ingest::Ingest;
use crate::metrics::Metrics;

/// What handlers hold: cheap to clone, no locks of its own.
#[derive(Clone)]
pub struct AppState {
    pub ingest: Ingest,
    pub metrics: Arc<Metrics>,
    /// False until start-up (recovery) has finished.
    pub ready: Arc<AtomicBool>,
    pub max_body_bytes: usize,
}

impl AppState {
    pub fn new(engine: Engine) -> AppState {
        let metrics = Arc::new(Metrics::default());
        let max_body_bytes = engine.config().server.max_body_bytes;
        AppState {
            ingest: Ingest::new(engine, metrics.clone()),
            metrics,
            ready: Arc::new(AtomicBool::new(true)),
            max_body_bytes,
        }
    }

    pub fn engine(&self) -> &Engine {
        self.ingest.engine()
    }
}

/// All routes of the API.
pub fn app(state: AppState) -> Router {
    let limit = state.max_body_bytes;
    Router::new()
        .route(
            "/api/v1/events",
            post(events::post_events).layer(DefaultBodyLimit::max(limit)),
        )
        .route("/api/v1/summary", get(read::summary))
        .route("/api/v1/channels", get(read::channels))
        .route("/api/v1/stores", get(read::stores))
        .route("/api/v1/stores/{id}", get(read::store))
        .route("/api/v1/skus", get(read::skus))
        .route("/api/v1/skus/{id}", get(read::sku))
        .route("/api/v1/timeline", get(read::timeline))
        .route("/healthz", get(read::healthz))
        .route("/readyz", get(read::readyz))
        .route("/metrics", get(read::metrics))
        .route("/", get(read::index))
        .with_state(state)
}
