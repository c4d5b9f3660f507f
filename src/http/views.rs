//! The read side (docs/api.md, Reading): summary, rankings, single rows,
//! timeline, regions and campaigns. Each handler copies what it shows out of the engine in one
//! short read and serialises after the lock is released.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;

use super::error::AppError;
use super::router::AppState;
use crate::config::Config;
use crate::engine::State as EngineState;
use crate::views::{self, RegionScope, RowSort, SkuSort, TimelineScope};

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
    rows: fn(&EngineState, &Config, i64, S, usize) -> Vec<R>,
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
    let cfg = app.engine().config().clone();
    Ok(Json(
        app.engine()
            .read(|st, now| rows(st, &cfg, now, sort, limit)),
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
    list(
        &app,
        &q,
        RowSort::parse,
        usize::MAX,
        |st, _, now, sort, limit| views::store_rows(st, now, sort, limit),
    )
}

pub async fn skus(
    State(app): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<views::SkuRow>>, AppError> {
    list(
        &app,
        &q,
        SkuSort::parse,
        DEFAULT_SKU_LIMIT,
        |st, _, now, sort, limit| views::sku_rows(st, now, sort, limit),
    )
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
    /// `1`: answer `{rows, pre, sale, post}` with the per-day rows.
    periods: Option<String>,
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
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    let days = match q.periods.as_deref() {
        None | Some("0") => false,
        Some("1") => true,
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "periods: must be 0 or 1, got {other:?}"
            )));
        }
    };
    let scope =
        TimelineScope::parse(q.scope.as_deref().unwrap_or("sale")).map_err(AppError::BadRequest)?;
    let range = views::TimelineRange {
        from: minutes("from", q.from.as_deref())?,
        to: minutes("to", q.to.as_deref())?,
        step: minutes("step", q.step.as_deref())?,
    };
    let cfg = app.engine().config().clone();
    let rows = app
        .engine()
        .read(|st, now| views::timeline(st, &cfg, now, &scope, &range))
        .map_err(|e| match e {
            views::TimelineError::UnknownScope(_) => AppError::NotFound(e.to_string()),
            views::TimelineError::BadRange(_) => AppError::BadRequest(e.to_string()),
        })?;
    Ok(if days {
        Json(super::impact::with_days(&app, rows)).into_response()
    } else {
        Json(rows).into_response()
    })
}

/// `?store=` / `?channel=` of the region and campaign reads.
#[derive(Debug, Deserialize)]
pub struct ScopeQuery {
    store: Option<String>,
    channel: Option<String>,
}

/// The scope a `?store=`/`?channel=` names: `404` for an id never seen,
/// `400` for both at once.
fn region_scope(st: &EngineState, q: &ScopeQuery) -> Result<RegionScope, AppError> {
    match (&q.store, &q.channel) {
        (Some(_), Some(_)) => Err(AppError::BadRequest(
            "store, channel: give one of them, not both".into(),
        )),
        (Some(id), None) => st
            .store_index(id)
            .map(RegionScope::Store)
            .ok_or_else(|| AppError::NotFound(format!("no store {id:?}"))),
        (None, Some(id)) => st
            .channel_index(id)
            .map(RegionScope::Channel)
            .ok_or_else(|| AppError::NotFound(format!("no channel {id:?}"))),
        (None, None) => Ok(RegionScope::Sale),
    }
}

/// `GET /api/v1/regions` (docs/api.md, `/api/v1/regions`).
pub async fn regions(
    State(app): State<AppState>,
    Query(q): Query<ScopeQuery>,
) -> Result<Json<views::Regions>, AppError> {
    app.engine()
        .read(|st, _| region_scope(st, &q).map(|scope| views::regions(st, scope)))
        .map(Json)
}

/// `GET /api/v1/regions/divisions`: the static table of China's 34
/// divisions the screen's tile map draws.
pub async fn divisions() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "divisions": crate::geo::divisions_json() }))
}

/// `GET /api/v1/campaigns` (docs/api.md, `/api/v1/campaigns`): `?channel=`
/// narrows to one channel's campaigns.
pub async fn campaigns(
    State(app): State<AppState>,
    Query(q): Query<ScopeQuery>,
) -> Result<Json<serde_json::Value>, AppError> {
    if q.store.is_some() {
        return Err(AppError::BadRequest(
            "store: campaigns are filtered by channel only".into(),
        ));
    }
    let cfg = app.engine().config().clone();
    let rows = app.engine().read(|st, now| -> Result<_, AppError> {
        let channel = match region_scope(st, &q)? {
            RegionScope::Channel(c) => Some(c),
            _ => None,
        };
        Ok(views::campaign_rows(st, &cfg, now, channel))
    })?;
    Ok(Json(serde_json::json!({ "campaigns": rows })))
}
