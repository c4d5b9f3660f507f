//! `GET /api/v1/export`: the review pack (复盘) as a zip, built on a
//! blocking thread.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::error::AppError;
use super::router::AppState;

/// `GET /api/v1/export`: the post-event pack as a zip.
pub async fn export(State(app): State<AppState>) -> Result<Response, AppError> {
    let engine = app.engine().clone();
    let alerts = app.alerts.recent(1000);
    let zip = tokio::task::spawn_blocking(move || crate::export::build(&engine, alerts).to_zip())
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"warroom-export.zip\"",
            ),
        ],
        zip,
    )
        .into_response())
}
