//! Alerts and silences (docs/api.md, Alerts): the recent alerts with their
//! deliveries, and muting a rule for a while.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::error::AppError;
use super::router::AppState;

/// `GET /api/v1/alerts`: recent alerts, newest first, with their deliveries.
pub async fn alerts(State(app): State<AppState>) -> Json<Vec<crate::alerts::AlertRecord>> {
    Json(app.alerts.recent(200))
}

pub async fn silences(State(app): State<AppState>) -> Json<Vec<crate::config::Silence>> {
    Json(app.alerts.silences())
}

/// The longest silence `for_s` may ask for: a year (docs/api.md, Alerts).
/// Longer is surely a typo, and seconds × 1000 must stay far from overflow.
pub const MAX_SILENCE_S: i64 = 366 * 24 * 3600;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSilence {
    rule: String,
    scope: Option<String>,
    /// RFC 3339; or `for_s` seconds from now.
    until: Option<String>,
    for_s: Option<i64>,
    comment: Option<String>,
}

/// `POST /api/v1/silences`: mute a rule (and optionally one scope) until a time.
pub async fn add_silence(
    State(app): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let s: NewSilence =
        serde_json::from_slice(&body).map_err(|e| AppError::BadRequest(format!("silence: {e}")))?;
    let Some(rule) = crate::config::Rule::parse(&s.rule) else {
        return Err(AppError::BadRequest(format!(
            "rule: unknown rule {:?} (one of {})",
            s.rule,
            crate::config::RULES.join(", ")
        )));
    };
    let now = app.engine().now_ms();
    let until_ms = match (&s.until, s.for_s) {
        (Some(t), None) => chrono::DateTime::parse_from_rfc3339(t)
            .map_err(|_| {
                AppError::BadRequest(format!("until: {t:?} is not an RFC 3339 date-time"))
            })?
            .timestamp_millis(),
        (None, Some(secs)) if (1..=MAX_SILENCE_S).contains(&secs) => {
            now.saturating_add(secs * 1000)
        }
        (None, Some(secs)) => {
            return Err(AppError::BadRequest(format!(
                "for_s: must be from 1 to {MAX_SILENCE_S} seconds (a year), got {secs}"
            )));
        }
        _ => {
            return Err(AppError::BadRequest(
                "give either until (RFC 3339) or for_s (seconds > 0)".into(),
            ));
        }
    };
    let silence = crate::config::Silence {
        rule,
        scope: s.scope.filter(|x| x != "*"),
        until_ms,
        comment: s.comment,
    };
    app.alerts.add_silence(silence.clone());
    Ok((StatusCode::CREATED, Json(silence)).into_response())
}
