//! Operations: liveness, readiness and `/metrics`.
//!
//! `/readyz` is 503 while the data directory is being recovered and while
//! the log cannot be written (ingest answers 503 then too). It is public, so
//! it gives a generic reason: the cause names the data directory, which is
//! in the server's log and in ingest's (authenticated) 503. `/metrics` asks
//! each subsystem for its own figures.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::router::AppState;
use crate::metrics::{Exposition, Process, Report};

pub async fn healthz() -> &'static str {
    "ok\n"
}

pub async fn readyz(State(app): State<AppState>) -> Response {
    if !app.ingest.is_ready() {
        let text = if app.engine().config().cluster.is_some() && app.ingest.log().stream().is_none()
        {
            format!("recovering: {}\n", super::cluster::JOINING)
        } else {
            "recovering\n".to_string()
        };
        return (StatusCode::SERVICE_UNAVAILABLE, text).into_response();
    }
    // Not ready while the log cannot be written: ingest answers 503 too.
    let log = app.ingest.log();
    if let (Some(_), Some(reason)) = (log.stream(), log.unavailable()) {
        // Catching up, or stopped at a named sequence: no path in it.
        return (StatusCode::SERVICE_UNAVAILABLE, format!("{reason}\n")).into_response();
    }
    if log.unavailable().is_some() {
        // Generic (no path: this endpoint is public), but honest about
        // figures on the screens that a restart would take back.
        let unstored = log.unstored_records();
        let shown = if unstored > 0 {
            format!("; the figures shown include {unstored} batch(es) not yet stored")
        } else {
            String::new()
        };
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("storage unavailable: the log cannot be written (the server's log says why){shown}\n"),
        )
            .into_response();
    }
    (StatusCode::OK, "ready\n").into_response()
}

pub async fn metrics(State(app): State<AppState>) -> Response {
    let mut out = Exposition::new();
    let parts: [&dyn Report; 6] = [
        app.metrics.as_ref(),
        app.engine(),
        app.hub.stats(),
        app.ingest.log(),
        &app.alerts,
        &Process,
    ];
    for part in parts {
        part.report(&mut out);
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out.finish(),
    )
        .into_response()
}
