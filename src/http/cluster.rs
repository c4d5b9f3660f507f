//! `GET /api/v1/cluster` (docs/api.md, Cluster): every node's applied
//! sequence and lag, the lease holder and the stream's state, as this node
//! reads them. A server running alone answers 404; a node still joining
//! (connecting to NATS, waiting for the stream, loading its checkpoint)
//! answers 503, so `warroom cluster-status` run just after a start waits
//! instead of calling a cluster node a single one.

use axum::Json;
use axum::extract::State;

use super::error::AppError;
use super::router::AppState;
use crate::cluster::status::{self, ClusterStatus};

/// What a node in cluster mode says before it has joined.
pub const JOINING: &str = "joining the cluster: connecting to NATS, checking the stream and loading this node's checkpoint (its log says which step it waits on)";

pub async fn cluster(State(app): State<AppState>) -> Result<Json<ClusterStatus>, AppError> {
    let Some(stream) = app.ingest.log().stream() else {
        if app.engine().config().cluster.is_some() {
            return Err(AppError::Unavailable(JOINING.into()));
        }
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
