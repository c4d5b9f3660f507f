//! `POST /api/v1/events` (docs/api.md, Events).
//!
//! What the head already tells is answered from the head, before a slot is
//! taken or a byte of the body read (so `Expect: 100-continue` gets no
//! `100 Continue`): a `Content-Length` over `max_body_bytes` is 413, a
//! `Content-Encoding` other than gzip is 415. Then a slot is taken before
//! the body is read, so when `max_ingest_requests` are already in flight a
//! new request is shed at once (503, Retry-After) instead of being buffered
//! and queued without end. A gzip body is inflated up to the same limit.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::header;

use super::error::AppError;
use super::router::AppState;
use crate::ingest::{Encoding, EncodingError, Reply};

const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

pub async fn post_events(
    State(app): State<AppState>,
    req: Request,
) -> Result<Json<Reply>, AppError> {
    let limit = app.max_body_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(AppError::TooLarge(limit));
    }
    let encoding = req
        .headers()
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("(not text)"));
    let encoding = Encoding::parse(encoding).map_err(encoding_error)?;
    let Ok(_slot) = app.ingest_slots.clone().try_acquire_owned() else {
        return Err(AppError::Unavailable(format!(
            "too many ingest requests at once (limit {}); retry shortly",
            app.engine().config().server.max_ingest_requests
        )));
    };
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // A body must arrive within BODY_TIMEOUT: a trickling client may not
    // hold an ingest slot for ever.
    let read = tokio::time::timeout(
        BODY_TIMEOUT,
        axum::body::to_bytes(req.into_body(), app.max_body_bytes),
    );
    let body = read
        .await
        .map_err(|_| {
            AppError::Timeout(format!(
                "the body did not arrive within {} s",
                BODY_TIMEOUT.as_secs()
            ))
        })?
        .map_err(|e| {
            let too_large = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            if too_large {
                AppError::TooLarge(app.max_body_bytes)
            } else {
                AppError::BadRequest(format!("cannot read the body: {e}"))
            }
        })?;
    let body = encoding.decode(&body, limit).map_err(encoding_error)?;
    Ok(Json(
        app.ingest
            .submit_durable(&body, content_type.as_deref())
            .await?,
    ))
}

fn encoding_error(e: EncodingError) -> AppError {
    match e {
        EncodingError::Unsupported(_) => AppError::UnsupportedMedia(e.to_string()),
        EncodingError::TooLarge(limit) => AppError::TooLargeInflated(limit),
        EncodingError::Corrupt(_) => AppError::BadRequest(e.to_string()),
    }
}
