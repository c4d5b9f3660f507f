//! The router, and the bundle of handles every handler shares.
//!
//! [`AppState`] is plain data: `app::App` builds it and starts whatever
//! runs in the background; building a router has no side effects, so tests
//! can call routes without a socket.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::middleware;
use axum::routing::{delete, get, post};

use super::auth::Access;
use super::web::{self, WebAssets};
use super::{
    alerts, auth, cluster, error, events, export, impact, live, notes, ops, prices, views,
};
use crate::alerts::Alerts;
use crate::engine::Engine;
use crate::ingest::Ingest;
use crate::live::Hub;
use crate::metrics::{HttpMetrics, Route};
use crate::screens::Screens;
use crate::shutdown::Shutdown;

/// What handlers hold: cheap to clone, no locks of its own.
#[derive(Clone)]
pub struct AppState {
    pub ingest: Ingest,
    pub metrics: Arc<HttpMetrics>,
    pub max_body_bytes: usize,
    pub hub: Hub,
    /// Where live sockets run once upgraded: below ingest's priority.
    pub screens: Screens,
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

/// All routes of the API, each with the access it needs.
///
/// Each guard is the `route_layer` of its method router, so it runs only for
/// the methods the route has: a wrong method is `405` with `Allow` before
/// any token is asked for. Outside the routes, in order: timing, the `Host`
/// check, origins (and CORS preflights), errors as JSON. These wrap the
/// routed service as a whole (its fallback), not each route: a layer on the
/// routes themselves runs inside the method router, before it adds `Allow`
/// to a `405`, so the JSON reason could not name the methods allowed.
pub fn router(state: AppState) -> Router {
    let guard =
        |access: Access| middleware::from_fn_with_state((state.clone(), access), auth::require);
    let (ingest, view, screen, admin) = (
        guard(Access::Ingest),
        guard(Access::View),
        guard(Access::Screen),
        guard(Access::Admin),
    );
    let routes = Router::new()
        .route(
            "/api/v1/events",
            post(events::post_events).route_layer(ingest.clone()),
        )
        .route(
            "/api/v1/summary",
            get(views::summary).route_layer(view.clone()),
        )
        .route(
            "/api/v1/channels",
            get(views::channels).route_layer(view.clone()),
        )
        .route(
            "/api/v1/stores",
            get(views::stores).route_layer(view.clone()),
        )
        .route(
            "/api/v1/stores/{id}",
            get(views::store).route_layer(view.clone()),
        )
        .route("/api/v1/skus", get(views::skus).route_layer(view.clone()))
        .route(
            "/api/v1/skus/{id}",
            get(views::sku).route_layer(view.clone()),
        )
        .route(
            "/api/v1/skus/{id}/prices",
            get(prices::sku_prices).route_layer(view.clone()),
        )
        .route(
            "/api/v1/prices",
            get(prices::prices).route_layer(view.clone()),
        )
        .route(
            "/api/v1/timeline",
            get(views::timeline).route_layer(view.clone()),
        )
        .route(
            "/api/v1/shape",
            get(impact::shape).route_layer(view.clone()),
        )
        .route(
            "/api/v1/periods",
            get(impact::periods).route_layer(view.clone()),
        )
        .route(
            "/api/v1/regions",
            get(views::regions).route_layer(view.clone()),
        )
        .route(
            "/api/v1/regions/divisions",
            get(views::divisions).route_layer(view.clone()),
        )
        .route(
            "/api/v1/campaigns",
            get(views::campaigns).route_layer(view.clone()),
        )
        .route(
            "/api/v1/export",
            get(export::export).route_layer(view.clone()),
        )
        .route(
            "/api/v1/alerts",
            get(alerts::alerts).route_layer(view.clone()),
        )
        .route(
            "/api/v1/notes",
            get(notes::list)
                .route_layer(view.clone())
                .merge(post(notes::post).route_layer(ingest)),
        )
        .route(
            "/api/v1/notes/{id}",
            delete(notes::delete).route_layer(admin.clone()),
        )
        .route(
            "/api/v1/silences",
            get(alerts::silences)
                .route_layer(view.clone())
                .merge(post(alerts::add_silence).route_layer(admin)),
        )
        .route(
            "/api/v1/cluster",
            get(cluster::cluster).route_layer(view.clone()),
        )
        .route("/api/v1/whoami", get(auth::whoami))
        .route("/metrics", get(ops::metrics).route_layer(view))
        .route("/api/v1/live", get(live::live).route_layer(screen.clone()))
        .route("/", get(web::index).route_layer(screen))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/assets/{version}/{file}", get(web::asset))
        .with_state(state.clone());
    Router::new()
        .fallback_service(routes)
        .layer(middleware::from_fn(error::json_errors))
        .layer(middleware::from_fn_with_state(state.clone(), auth::origins))
        .layer(middleware::from_fn_with_state(state.clone(), auth::hosts))
        .layer(middleware::from_fn_with_state(state, timed))
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
