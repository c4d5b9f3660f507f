//! One error type for every handler: 4xx with the reason, a plain 500 else.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::ingest::{BodyError, IngestError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Timeout(String),
    #[error("the body is larger than the limit of {0} bytes")]
    TooLarge(usize),
    /// Try again later (recovering, storage failing): 503 with Retry-After.
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

impl From<BodyError> for AppError {
    fn from(e: BodyError) -> AppError {
        AppError::BadRequest(e.to_string())
    }
}

impl From<IngestError> for AppError {
    fn from(e: IngestError) -> AppError {
        match e {
            IngestError::Body(b) => b.into(),
            other => AppError::Unavailable(other.to_string()),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = match &self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            AppError::Unauthorized(_) => {
                let body = Json(serde_json::json!({ "error": self.to_string() }));
                return (
                    StatusCode::UNAUTHORIZED,
                    [(axum::http::header::WWW_AUTHENTICATE, "Bearer")],
                    body,
                )
                    .into_response();
            }
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable(_) => {
                let body = Json(serde_json::json!({ "error": self.to_string() }));
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(axum::http::header::RETRY_AFTER, "1")],
                    body,
                )
                    .into_response();
            }
            AppError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        (
            status,
            Json(serde_json::json!({ "error": self.to_string() })),
        )
            .into_response()
    }
}
