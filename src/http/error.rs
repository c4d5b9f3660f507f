//! One error type for every handler: 4xx with the reason, a plain 500 else;
//! and the layer that holds every API error to the same shape.
//!
//! Every API error is JSON `{"error": …}` (docs/api.md, conventions). Our
//! own handlers answer [`AppError`]; axum's extractors, its 405 for a wrong
//! method and the router's 404 answer plain text or nothing, so
//! [`json_errors`] rewrites those (keeping `Allow` and every other header).

use axum::Json;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::ingest::{BodyError, IngestError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with what is held (a full war-room log): 409.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Timeout(String),
    #[error("the body is larger than the limit of {0} bytes")]
    TooLarge(usize),
    #[error("the body inflates to more than the limit of {0} bytes")]
    TooLargeInflated(usize),
    /// A `Content-Encoding` the server cannot read (415).
    #[error("{0}")]
    UnsupportedMedia(String),
    /// A `Host` this server does not answer to (421).
    #[error("{0}")]
    MisdirectedHost(String),
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
            AppError::Conflict(_) => StatusCode::CONFLICT,
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
            AppError::TooLarge(_) | AppError::TooLargeInflated(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMedia(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::MisdirectedHost(_) => StatusCode::MISDIRECTED_REQUEST,
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

/// Error bodies longer than this are not echoed (axum's are one line).
const MAX_ECHOED: usize = 4096;

/// Rewrites an error that is not JSON yet (an extractor's rejection, a 405,
/// a 404) as `{"error": …}`. The health checks keep their plain text.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let resp = next.run(req).await;
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error())
        || is_json
        || path == "/healthz"
        || path == "/readyz"
    {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let text = match axum::body::to_bytes(body, MAX_ECHOED).await {
        Ok(b) => String::from_utf8_lossy(&b).trim().to_string(),
        Err(_) => String::new(),
    };
    let error = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            let allow = parts
                .headers
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            format!("method {method} is not allowed on {path} (allowed: {allow})")
        }
        StatusCode::NOT_FOUND if text.is_empty() => format!("no such path: {path}"),
        _ if text.is_empty() => status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase(),
        _ => text,
    };
    let body = serde_json::json!({ "error": error }).to_string();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}
