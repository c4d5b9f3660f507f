//! The router and the state every handler shares.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::middleware;
use axum::routing::{get, post};

use super::auth;
use super::web::{self, WebAssets};
use super::{events, read};
use crate::alerts::Alerts;
use crate::engine::Engine;
use crate::ingest::Ingest;
use crate::live::{self, Hub};
use crate::metrics::{Metrics, Route};
use crate::shutdown::Shutdown;

/// What handlers hold: cheap to clone, no locks of its own.
#[derive(Clone)]
pub struct AppState {
    pub ingest: Ingest,
    pub metrics: Arc<Metrics>,
    pub max_body_bytes: usize,
    pub hub: Hub,
    pub alerts: Alerts,
    /// Fired on SIGTERM/Ctrl-C: live sockets close themselves on it.
    pub shutdown: Shutdown,
    pub web: WebAssets,
    /// Ingest requests in flight; beyond the limit requests are shed (503).
    pub ingest_slots: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// Builds the state and starts the live tick task (needs a runtime).
    pub fn new(engine: Engine, shutdown: Shutdown, web: WebAssets) -> AppState {
        let metrics = Arc::new(Metrics::default());
        let max_body_bytes = engine.config().server.max_body_bytes;
        let engine_limits = engine.config().server.clone();
        let alerts = Alerts::new(engine.clone(), engine.config().storage.dir.as_deref());
        let hub = Hub::new(engine.clone(), alerts.clone());
        hub.start(shutdown.clone());
        AppState {
            ingest: Ingest::new(engine, metrics.clone()),
            metrics,
            max_body_bytes,
            hub,
            alerts,
            shutdown,
            web,
            ingest_slots: Arc::new(tokio::sync::Semaphore::new(
                engine_limits.max_ingest_requests,
            )),
        }
    }

    pub fn engine(&self) -> &Engine {
        self.ingest.engine()
    }
}

/// All routes of the API.
pub fn app(state: AppState) -> Router {
    let limit = state.max_body_bytes;
    let ingest = Router::new()
        .route(
            "/api/v1/events",
            post(events::post_events).layer(DefaultBodyLimit::max(limit)),
        )
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::ingest));
    let view = Router::new()
        .route("/api/v1/summary", get(read::summary))
        .route("/api/v1/channels", get(read::channels))
        .route("/api/v1/stores", get(read::stores))
        .route("/api/v1/stores/{id}", get(read::store))
        .route("/api/v1/skus", get(read::skus))
        .route("/api/v1/skus/{id}", get(read::sku))
        .route("/api/v1/timeline", get(read::timeline))
        .route("/api/v1/live", get(live::live))
        .route("/api/v1/export", get(read::export))
        .route("/api/v1/alerts", get(read::alerts))
        .route("/api/v1/silences", get(read::silences))
        .route("/metrics", get(read::metrics))
        .route("/", get(web::index))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::view));
    let admin = Router::new()
        .route("/api/v1/silences", post(read::add_silence))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::admin));
    let public = Router::new()
        .route("/healthz", get(read::healthz))
        .route("/readyz", get(read::readyz))
        .route("/assets/{version}/{file}", get(web::asset));
    Router::new()
        .merge(ingest)
        .merge(view)
        .merge(admin)
        .merge(public)
        .layer(middleware::from_fn_with_state(state.clone(), auth::origins))
        .layer(middleware::from_fn_with_state(state.clone(), timed))
        .with_state(state)
}

/// Records each request's duration (the live socket, long-lived, is left out).
async fn timed(
    State(app): State<AppState>,
    req: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let route = match req.uri().path() {
        "/api/v1/events" => Some(Route::Ingest),
        "/api/v1/live" => None,
        _ => Some(Route::Read),
    };
    let started = std::time::Instant::now();
    let resp = next.run(req).await;
    if let Some(route) = route {
        app.metrics.observe(route, started.elapsed());
    }
    resp
}
