//! The router, and the bundle of handles every handler shares.
//!
//! [`AppState`] is plain data: `app::App` builds it and starts whatever
//! runs in the background; building a router has no side effects, so tests
//! can call routes without a socket.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::middleware;
use axum::routing::{get, post};

use super::web::{self, WebAssets};
use super::{alerts, auth, events, export, live, ops, views};
use crate::alerts::Alerts;
use crate::engine::Engine;
use crate::ingest::Ingest;
use crate::live::Hub;
use crate::metrics::{HttpMetrics, Route};
use crate::shutdown::Shutdown;

/// What handlers hold: cheap to clone, no locks of its own.
#[derive(Clone)]
pub struct AppState {
    pub ingest: Ingest,
    pub metrics: Arc<HttpMetrics>,
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
    pub fn engine(&self) -> &Engine {
        self.ingest.engine()
    }
}

/// All routes of the API, by the role they need.
pub fn router(state: AppState) -> Router {
    let limit = state.max_body_bytes;
    let ingest = Router::new()
        .route(
            "/api/v1/events",
            post(events::post_events).layer(DefaultBodyLimit::max(limit)),
        )
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::ingest));
    let view = Router::new()
        .route("/api/v1/summary", get(views::summary))
        .route("/api/v1/channels", get(views::channels))
        .route("/api/v1/stores", get(views::stores))
        .route("/api/v1/stores/{id}", get(views::store))
        .route("/api/v1/skus", get(views::skus))
        .route("/api/v1/skus/{id}", get(views::sku))
        .route("/api/v1/timeline", get(views::timeline))
        .route("/api/v1/live", get(live::live))
        .route("/api/v1/export", get(export::export))
        .route("/api/v1/alerts", get(alerts::alerts))
        .route("/api/v1/silences", get(alerts::silences))
        .route("/metrics", get(ops::metrics))
        .route("/", get(web::index))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::view));
    let admin = Router::new()
        .route("/api/v1/silences", post(alerts::add_silence))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::admin));
    let public = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
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
