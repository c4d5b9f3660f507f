//! Price and basket trends (docs/api.md, Prices): `GET
//! /api/v1/skus/{id}/prices` and `GET /api/v1/prices`. Each handler builds
//! its view under one short read of the engine and serialises after.

use axum::Json;
use axum::extract::{Path, State};

use super::error::AppError;
use super::router::AppState;
use crate::views;

/// `GET /api/v1/skus/{id}/prices`: the SKU's hours; `404` for a SKU never
/// seen (configured SKUs always exist).
pub async fn sku_prices(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<views::SkuPriceTrend>, AppError> {
    let cfg = app.engine().config().clone();
    app.engine()
        .read(|st, _| st.sku_index(&id).map(|i| views::sku_prices(st, &cfg, i)))
        .map(Json)
        .ok_or_else(|| AppError::NotFound(format!("no SKU {id:?}")))
}

/// `GET /api/v1/prices`: the below-standard-margin list and the basket.
pub async fn prices(State(app): State<AppState>) -> Json<views::Prices> {
    let cfg = app.engine().config().clone();
    Json(app.engine().read(|st, _| views::prices(st, &cfg)))
}
