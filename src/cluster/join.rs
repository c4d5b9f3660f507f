//! Joining the cluster at start: connect, check the stream, load this
//! node's checkpoint (if it has a data directory), and start following
//! the stream from there. `App::start` calls [`join`] once; the node is
//! not ready until the apply loop has caught up.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use tokio::task::JoinHandle;

use super::source::SourceStatus;
use super::{FollowStats, Link, Progress, StreamLog, Waiters, follow, status};
use crate::config::{ClusterConfig, Config};
use crate::engine::Engine;
use crate::shutdown::Shutdown;
use crate::storage::{Opening, Storage};

/// This node's name: `[cluster] node`, or the host name and listen port.
pub fn node_name(cfg: &Config, cluster: &ClusterConfig) -> String {
    cluster.node.clone().unwrap_or_else(|| {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_default();
        let host: String = host
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let host = if host.is_empty() { "node".into() } else { host };
        format!("{host}-{}", cfg.server.listen.port())
    })
}

/// Joins the cluster: the log for ingest, and the tasks of the apply loop
/// and the node's heartbeat.
pub async fn join(
    engine: &Engine,
    opening: Opening,
    shutdown: Shutdown,
) -> anyhow::Result<(StreamLog, Vec<JoinHandle<()>>)> {
    let cfg = engine.config().clone();
    let Some(cluster) = &cfg.cluster else {
        anyhow::bail!("not in cluster mode");
    };
    let node = node_name(&cfg, cluster);
    let mut link = Link::open(cluster, &cfg.sale, node.clone()).await?;
    link.sale_fingerprint = crate::storage::sale_fingerprint(&cfg);
    tracing::info!(
        node = %node,
        stream = %link.identity,
        replicas = cluster.replicas,
        nats = %crate::config::shown_urls(&cluster.nats),
        "joined the cluster"
    );
    status::check_name_free(&link, engine.now_ms())
        .await
        .map_err(anyhow::Error::msg)?;
    let progress = Arc::new(Progress::new(0, cluster.max_lag_ms));
    let storage = match &cfg.storage.dir {
        Some(dir) => Some(open_dir(&cfg, dir, engine, opening, &link, progress.clone()).await?),
        None => {
            tracing::warn!(
                "no [storage] dir: this node keeps no checkpoint and replays the stream from sequence 1 at every start"
            );
            None
        }
    };
    let source = SourceStatus::default();
    let heartbeat = status::heartbeat(
        link.clone(),
        progress.clone(),
        engine.clone(),
        cfg.server.listen.to_string(),
        source.clone(),
        shutdown.clone(),
    );
    let waiters = Arc::new(Waiters::default());
    let stats = Arc::new(FollowStats::default());
    let task = tokio::spawn(follow(
        link.clone(),
        engine.clone(),
        progress.clone(),
        waiters.clone(),
        stats.clone(),
        shutdown,
    ));
    Ok((
        StreamLog::new(link, progress, storage, waiters, stats, source),
        vec![task, heartbeat],
    ))
}

async fn open_dir(
    cfg: &Config,
    dir: &Path,
    engine: &Engine,
    opening: Opening,
    link: &Link,
    progress: Arc<Progress>,
) -> anyhow::Result<Storage> {
    let (storage_cfg, dir, engine) = (cfg.storage.clone(), dir.to_path_buf(), engine.clone());
    let stream = (link.identity.name.clone(), link.identity.created_ns);
    let (storage, r) = tokio::task::spawn_blocking(move || {
        Storage::open_following(
            &storage_cfg,
            &dir,
            engine,
            opening,
            (&stream.0, stream.1),
            progress,
        )
    })
    .await?
    .context("recovery failed")?;
    tracing::info!(
        dir = %storage.dir().display(),
        checkpoint_seq = r.checkpoint_lsn,
        keys = r.keys,
        ms = r.millis,
        "checkpoint loaded; following the stream from the next sequence"
    );
    Ok(storage)
}
