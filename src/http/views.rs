//! The read side (docs/api.md, Reading): summary, rankings, single rows,
//! timeline. Each handler copies what it shows out of the engine in one
//! short read and serialises after the lock is released.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;

use super::error::AppError;
use super::router::AppState;
use crate::engine::State as EngineState;
use crate::views::{self, RowSort, SkuSort, TimelineScope};

/// Default row count of `/skus` (a sale may hold a million SKUs).
const DEFAULT_SKU_LIMIT: usize = 100;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    sort: Option<String>,
    limit: Option<String>,
}

/// One ranking: the sort parsed from `?sort=` (its default when absent),
/// `?limit=` (or `default_limit`), rows built under one read.
fn list<S: Default + Send, R>(
    app: &AppState,
    q: &ListQuery,
    parse: fn(&str) -> Result<S, String>,
    default_limit: usize,
    rows: fn(&EngineState, i64, S, usize) -> Vec<R>,
) -> Result<Json<Vec<R>>, AppError> {
    let sort = match q.sort.as_deref() {
        Some(s) => parse(s).map_err(AppError::BadRequest)?,
        None => S::default(),
    };
    let limit = match &q.limit {
        None => default_limit,
        Some(s) => s.parse::<usize>().map_err(|_| {
            AppError::BadRequest(format!("limit: must be a whole number, got {s:?}"))
        })?,
    };
    Ok(Json(
        app.engine().read(|st, now| rows(st, now, sort, limit)),
    ))
}

pub async fn summary(State(app): State<AppState>) -> Json<views::Summary> {
    let cfg = app.engine().config().clone();
    Json(app.engine().read(|st, now| views::summary(st, &cfg, now)))
}

pub async fn channels(
    State(app): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<views::ChannelRow>>, AppError> {
    list(&app, &q, RowSort::parse, usize::MAX, views::channel_rows)
}

pub async fn stores(
    State(app): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<views::StoreRow>>, AppError> {
    list(&app, &q, RowSort::parse, usize::MAX, views::store_rows)
}

pub async fn skus(
    State(app): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<views::SkuRow>>, AppError> {
    list(&app, &q, SkuSort::parse, DEFAULT_SKU_LIMIT, views::sku_rows)
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
    from: Option<String>,
    to: Option<String>,
    step: Option<String>,
}

/// A `?from=`/`?to=`/`?step=` value: a whole number of minutes.
fn minutes(name: &str, v: Option<&str>) -> Result<Option<usize>, AppError> {
    v.map(|s| {
        s.parse::<usize>().map_err(|_| {
            AppError::BadRequest(format!(
                "{name}: must be a whole number of minutes, got {s:?}"
            ))
        })
    })
    .transpose()
}

pub async fn timeline(
    State(app): State<AppState>,
    Query(q): Query<TimelineQuery>,
) -> Result<Json<Vec<views::TimelineRow>>, AppError> {
    let scope =
        TimelineScope::parse(q.scope.as_deref().unwrap_or("sale")).map_err(AppError::BadRequest)?;
    let range = views::TimelineRange {
        from: minutes("from", q.from.as_deref())?,
        to: minutes("to", q.to.as_deref())?,
        step: minutes("step", q.step.as_deref())?,
    };
    let cfg = app.engine().config().clone();
    app.engine()
        .read(|st, now| views::timeline(st, &cfg, now, &scope, &range))
        .map(Json)
        .map_err(|e| match e {
            views::TimelineError::UnknownScope(_) => AppError::NotFound(e.to_string()),
            views::TimelineError::BadRange(_) => AppError::BadRequest(e.to_string()),
        })
}
