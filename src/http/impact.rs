//! The sale's impact (docs/api.md, Shape and The days around the sale):
//! `GET /api/v1/shape` and `GET /api/v1/periods`, and the per-day rows
//! `GET /api/v1/timeline?periods=1` adds. Each copies what it shows out of
//! the engine in one short read.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::router::AppState;
use crate::views::{self, DayRow, TimelineRow};

pub async fn shape(State(app): State<AppState>) -> Json<views::Shapes> {
    let cfg = app.engine().config().clone();
    Json(
        app.engine()
            .read(|st, now| views::shapes(st, &cfg.sale, now)),
    )
}

pub async fn periods(State(app): State<AppState>) -> Json<views::PeriodsView> {
    let cfg = app.engine().config().clone();
    Json(app.engine().read(|st, _| views::periods(st, &cfg.sale)))
}

/// `GET /api/v1/timeline?periods=1`: the rows as usual, and the days of
/// the sale and of each configured period.
#[derive(Debug, Serialize)]
pub struct TimelineWithDays {
    pub rows: Vec<TimelineRow>,
    pub pre: Option<Vec<DayRow>>,
    pub sale: Vec<DayRow>,
    pub post: Option<Vec<DayRow>>,
}

/// The per-day rows beside `rows`, read in one go.
pub fn with_days(app: &AppState, rows: Vec<TimelineRow>) -> TimelineWithDays {
    let cfg = app.engine().config().clone();
    app.engine().read(|st, _| {
        let (pre, post) = views::period_figures(st, &cfg.sale);
        TimelineWithDays {
            rows,
            pre: pre.map(|p| p.days),
            sale: views::sale_days(st, &cfg.sale),
            post: post.map(|p| p.days),
        }
    })
}
