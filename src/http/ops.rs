//! Operations: liveness, readiness and `/metrics`.
//!
//! `/readyz` is 503 while the data directory is being recovered and while
//! the log cannot be written (ingest answers 503 then too). `/metrics` asks
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
        return (StatusCode::SERVICE_UNAVAILABLE, "recovering\n").into_response();
    }
    // Not ready while the log cannot be written: ingest answers 503 too.
    if let Some(e) = app.ingest.log().unavailable() {
        return (StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")).into_response();
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
