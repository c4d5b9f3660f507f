//! The read side (contract §3): summary, rankings, single rows, timeline,
//! health and metrics. Each handler copies what it shows out of the engine
//! in one short read and serialises after the lock is released.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::app::AppState;
use super::error::AppError;
use crate::views::{self, RowSort, SkuSort, TimelineScope};

/// Default row count of `/skus` (a sale may hold a million SKUs).
const DEFAULT_SKU_LIMIT: usize = 100;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    sort: Option<String>,
    limit: Option<String>,
}

impl ListQuery {
    fn limit(&self, default: usize) -> Result<usize, AppError> {
        match &self.limit {
            None => Ok(default),
            Some(s) => s.parse::<usize>().map_err(|_| {
                AppError::BadRequest(format!("limit: must be a whole number, got {s:?}"))
            }),
        }
    }
}

pub async fn summary(State(app): State<AppState>) -> Json<views::Summary> {
    let cfg = app.engine().config().clone();
    Json(app.engine().read(|st, now| views::summary(st, &cfg, now)))
}

pub async fn channels(
    State(app): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<views::ChannelRow>>, AppError> {
    let sort = q
        .sort
        .as_deref()
        .map(RowSort::parse)
        .transpose()
        .map_err(AppError::BadRequest)?;
    let limit = q.limit(usize::MAX)?;
    Ok(Json(app.engine().read(|st, now| {
        views::channel_rows(st, now, sort.unwrap_or_default(), limit)
    })))
}

pub async fn stores(
    State(app): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<views::StoreRow>>, AppError> {
    let sort = q
        .sort
        .as_deref()
        .map(RowSort::parse)
        .transpose()
        .map_err(AppError::BadRequest)?;
    let limit = q.limit(usize::MAX)?;
    Ok(Json(app.engine().read(|st, now| {
        views::store_rows(st, now, sort.unwrap_or_default(), limit)
    })))
}

pub async fn skus(
    State(app): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<views::SkuRow>>, AppError> {
    let sort = q
        .sort
        .as_deref()
        .map(SkuSort::parse)
        .transpose()
        .map_err(AppError::BadRequest)?;
    let limit = q.limit(DEFAULT_SKU_LIMIT)?;
    Ok(Json(app.engine().read(|st, now| {
        views::sku_rows(st, now, sort.unwrap_or_default(), limit)
    })))
}

pub async fn store(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<views::StoreRow>, AppError> {
    app.engine()
        .read(|st, now| st.store_index(&id).map(|i| views::store_row(st, i, now)))
        .map(Json)
        .ok_or_else(|| AppError::NotFound(format!("no store {id:?}")))
}

pub async fn sku(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<views::SkuRow>, AppError> {
    app.engine()
        .read(|st, now| st.sku_index(&id).map(|i| views::sku_row(st, i, now)))
        .map(Json)
        .ok_or_else(|| AppError::NotFound(format!("no SKU {id:?}")))
}

#[derive(Debug, Deserialize)]
pub struct TimelineQuery {
    scope: Option<String>,
}

pub async fn timeline(
    State(app): State<AppState>,
    Query(q): Query<TimelineQuery>,
) -> Result<Json<Vec<views::TimelineRow>>, AppError> {
    let scope =
        TimelineScope::parse(q.scope.as_deref().unwrap_or("sale")).map_err(AppError::BadRequest)?;
    let cfg = app.engine().config().clone();
    app.engine()
        .read(|st, now| views::timeline(st, &cfg, now, &scope))
        .map(Json)
        .ok_or_else(|| AppError::NotFound(format!("no such scope: {scope:?}")))
}

pub async fn healthz() -> &'static str {
    "ok\n"
}

pub async fn readyz(State(app): State<AppState>) -> Response {
    if !app.ingest.is_ready() {
        return (StatusCode::SERVICE_UNAVAILABLE, "recovering\n").into_response();
    }
    // Not ready while the log cannot be written: ingest answers 503 too.
    if let Some(e) = app.ingest.storage().and_then(|s| s.wal().progress().error) {
        return (StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")).into_response();
    }
    (StatusCode::OK, "ready\n").into_response()
}

pub async fn metrics(State(app): State<AppState>) -> Response {
    let body = app.metrics.render(&crate::metrics::Sources {
        engine: app.engine(),
        live: app.hub.stats(),
        storage: app.ingest.storage(),
        alerts: &app.alerts,
    });
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

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

/// `GET /api/v1/alerts`: recent alerts, newest first, with their deliveries.
pub async fn alerts(State(app): State<AppState>) -> Json<Vec<crate::alerts::AlertRecord>> {
    Json(app.alerts.recent(200))
}

pub async fn silences(State(app): State<AppState>) -> Json<Vec<crate::config::Silence>> {
    Json(app.alerts.silences())
}

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
        (None, Some(secs)) if secs > 0 => now + secs * 1000,
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
