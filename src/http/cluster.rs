//! `GET /api/v1/cluster` (docs/api.md, Cluster): every node's applied
//! sequence and lag, the lease holder and the stream's state, as this node
//! reads them. A server running alone answers 404.

use axum::Json;
use axum::extract::State;

use super::error::AppError;
use super::router::AppState;
use crate::cluster::status::{self, ClusterStatus};

pub async fn cluster(State(app): State<AppState>) -> Result<Json<ClusterStatus>, AppError> {
    let Some(stream) = app.ingest.log().stream() else {
        return Err(AppError::NotFound(
            "this server runs alone: there is no cluster ([cluster] is not configured)".into(),
        ));
    };
    let engine = app.engine();
    let listen = engine.config().server.listen.to_string();
    let holder = app.alerts.lease().and_then(|l| l.holder());
    Ok(Json(
        status::read(
            stream.link(),
            stream.progress(),
            &listen,
            engine.now_ms(),
            holder,
            stream.source().view(),
        )
        .await,
    ))
}
