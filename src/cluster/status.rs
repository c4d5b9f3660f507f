//! Cluster status (`GET /api/v1/cluster`, `warroom cluster-status`): every
//! node's applied sequence and lag, and the stream's state.
//!
//! A node knows only its own progress, so each one writes it every two
//! seconds into a key-value bucket (`<STREAM>_NODES`, one key per node);
//! status reads them all back, with how long ago each was written, so a
//! node that died shows as silent instead of vanishing. Entries of nodes
//! gone for ten minutes expire.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::kv;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use super::source::{SourceStatus, SourceView};
use super::{Link, Progress};
use crate::engine::Engine;
use crate::shutdown::Shutdown;

/// How often a node writes its heartbeat.
const EVERY: Duration = Duration::from_secs(2);
/// A node silent this long is shown as such.
pub const SILENT_MS: i64 = 10_000;
/// How long a silent node's entry is kept.
const KEEP: Duration = Duration::from_secs(600);

/// The heartbeat bucket of a stream.
pub fn bucket_of(stream: &str) -> String {
    format!("{stream}_NODES")
}

/// One node, as it last reported itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeStatus {
    pub node: String,
    /// Where it listens (as configured; behind a proxy, the proxy's
    /// address is what screens use).
    pub listen: String,
    pub applied_seq: u64,
    pub pending: u64,
    pub lag_ms: u64,
    pub ready: bool,
    pub halted: Option<String>,
    pub version: String,
    /// When it wrote this (its own clock, epoch ms).
    pub at_ms: i64,
    /// Filled in when read: how long ago that was, by the reader's clock.
    #[serde(default)]
    pub seen_ms_ago: i64,
    #[serde(default)]
    pub silent: bool,
    /// A digest of the node's sale and catalog; nodes with different ones
    /// apply the same stream to different figures.
    #[serde(default)]
    pub sale: String,
    /// What the bus source is doing on this node (`[cluster] source`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceView>,
}

/// One NATS server holding a replica of the stream.
#[derive(Debug, Clone, Serialize)]
pub struct Replica {
    pub server: String,
    pub leader: bool,
    pub current: bool,
    pub offline: bool,
    /// Operations behind the leader.
    pub lag: Option<u64>,
}

/// The stream as its leader reports it.
#[derive(Debug, Clone, Serialize)]
pub struct StreamState {
    pub name: String,
    pub subject: String,
    pub created: String,
    pub replicas: usize,
    pub messages: u64,
    pub bytes: u64,
    pub first_seq: u64,
    pub last_seq: u64,
    pub leader: Option<String>,
    pub servers: Vec<Replica>,
}

/// `GET /api/v1/cluster`.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterStatus {
    /// The node that answered.
    pub node: String,
    pub stream: Option<StreamState>,
    /// Why the stream's state could not be read, if so.
    pub stream_error: Option<String>,
    pub nodes: Vec<NodeStatus>,
    pub nodes_error: Option<String>,
    /// The node that sends chat alerts and reads the bus source.
    pub lease_holder: Option<String>,
    /// Nodes heard from recently do not all have the same sale and catalog
    /// (`[sale]`, channels, stores, SKUs, targets): their figures drift
    /// apart on the same stream. Restart them on one config.
    pub configs_differ: bool,
}

/// Writes this node's heartbeat until shutdown.
pub fn heartbeat(
    link: Link,
    progress: Arc<Progress>,
    engine: Engine,
    listen: String,
    source: SourceStatus,
    shutdown: Shutdown,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let bucket = bucket_of(&link.cfg.stream);
        let store = loop {
            match super::bucket::open(
                &link,
                &bucket,
                "warroom: each node's applied sequence",
                KEEP,
            )
            .await
            {
                Ok(s) => break s,
                Err(e) => tracing::warn!(error = %e, "node status bucket not available; retrying"),
            }
            tokio::select! {
                () = shutdown.wait() => return,
                () = tokio::time::sleep(EVERY * 5) => {}
            }
        };
        let mut warned = false;
        for beat in 0u64.. {
            let now = engine.now_ms();
            // Every fifth beat (10 s): the others' configs, against ours.
            if beat % 5 == 0
                && let Ok(others) = read_nodes(&link).await
            {
                let other = others.iter().find(|n| {
                    n.node != link.node
                        && !n.sale.is_empty()
                        && n.sale != link.sale_fingerprint
                        && now - n.at_ms < SILENT_MS
                });
                match other {
                    Some(n) if !warned => {
                        tracing::error!(other = %n.node, "node {} runs another sale config (sale, catalog or targets) than this node: the same stream gives different figures on each; restart every node on one config", n.node);
                        warned = true;
                    }
                    None => warned = false,
                    _ => {}
                }
            }
            let mut me = own(&link, &progress, &listen, now);
            me.source = source.view();
            if let Ok(bytes) = serde_json::to_vec(&me)
                && let Err(e) = store.put(&link.node, bytes.into()).await
            {
                tracing::debug!(error = %e, "node heartbeat not written");
            }
            tokio::select! {
                () = shutdown.wait() => return,
                () = tokio::time::sleep(EVERY) => {}
            }
        }
    })
}

/// Refuses a start under a name another running node uses: two nodes
/// writing one heartbeat key show as one in status, and both take the
/// alert lease as their own (two chat senders). A fresh heartbeat under
/// this name may also be this node's own, killed and restarted within
/// seconds; so it is watched for up to two heartbeat intervals, and only
/// one written again meanwhile (someone alive writes it) refuses the start.
pub async fn check_name_free(link: &Link, now_ms: i64) -> Result<(), String> {
    let Ok(store) = link.js.get_key_value(bucket_of(&link.cfg.stream)).await else {
        return Ok(()); // no node has written a heartbeat yet
    };
    let Ok(Some(first)) = store.entry(&link.node).await else {
        return Ok(());
    };
    let fresh = serde_json::from_slice::<NodeStatus>(&first.value)
        .is_ok_and(|n| now_ms - n.at_ms < SILENT_MS);
    if first.operation != kv::Operation::Put || !fresh {
        return Ok(());
    }
    let deadline = tokio::time::Instant::now() + EVERY * 2 + Duration::from_millis(500);
    while tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if let Ok(Some(e)) = store.entry(&link.node).await
            && e.revision != first.revision
        {
            let listen = serde_json::from_slice::<NodeStatus>(&e.value)
                .map(|n| n.listen)
                .unwrap_or_default();
            return Err(format!(
                "another running node is named {:?} (listening on {listen}): each node needs a name of its own ([cluster] node or --node), or status shows the two as one and both send chat alerts",
                link.node
            ));
        }
    }
    Ok(())
}

/// This node's status now.
pub fn own(link: &Link, progress: &Progress, listen: &str, now_ms: i64) -> NodeStatus {
    let pos = progress.position(now_ms);
    NodeStatus {
        node: link.node.clone(),
        listen: listen.to_string(),
        applied_seq: pos.seq,
        pending: pos.pending,
        lag_ms: pos.lag_ms,
        ready: !pos.catching_up && pos.halted.is_none(),
        halted: pos.halted,
        version: env!("CARGO_PKG_VERSION").to_string(),
        at_ms: now_ms,
        seen_ms_ago: 0,
        silent: false,
        sale: link.sale_fingerprint.clone(),
        source: None,
    }
}

/// Reads the stream's state and every node's heartbeat.
pub async fn read(
    link: &Link,
    progress: &Progress,
    listen: &str,
    now_ms: i64,
    lease_holder: Option<String>,
    source: Option<SourceView>,
) -> ClusterStatus {
    let (stream, stream_error) = match stream_state(link).await {
        Ok(s) => (Some(s), None),
        Err(e) => (None, Some(e)),
    };
    let (mut nodes, nodes_error) = match read_nodes(link).await {
        Ok(n) => (n, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    // This node's own figures are fresher than its last heartbeat.
    nodes.retain(|n| n.node != link.node);
    let mut me = own(link, progress, listen, now_ms);
    me.source = source;
    nodes.push(me);
    for n in &mut nodes {
        n.seen_ms_ago = (now_ms - n.at_ms).max(0);
        n.silent = n.seen_ms_ago > SILENT_MS;
    }
    nodes.sort_by(|a, b| a.node.cmp(&b.node));
    let configs_differ = differ(&nodes);
    ClusterStatus {
        node: link.node.clone(),
        stream,
        stream_error,
        nodes,
        nodes_error,
        lease_holder,
        configs_differ,
    }
}

/// Whether the nodes heard from recently report different sale configs
/// (an older node that reports none is not counted).
fn differ(nodes: &[NodeStatus]) -> bool {
    let mut seen = nodes
        .iter()
        .filter(|n| !n.silent && !n.sale.is_empty())
        .map(|n| n.sale.as_str());
    let first = seen.next();
    seen.any(|s| Some(s) != first)
}

async fn stream_state(link: &Link) -> Result<StreamState, String> {
    let stream = link
        .js
        .get_stream(&link.cfg.stream)
        .await
        .map_err(|e| e.to_string())?;
    let info = stream.get_info().await.map_err(|e| e.to_string())?;
    let cluster = info.cluster.clone().unwrap_or_default();
    let mut servers: Vec<Replica> = cluster
        .replicas
        .iter()
        .map(|p| Replica {
            server: p.name.clone(),
            leader: false,
            current: p.current,
            offline: p.offline,
            lag: p.lag,
        })
        .collect();
    if let Some(leader) = &cluster.leader {
        servers.push(Replica {
            server: leader.clone(),
            leader: true,
            current: true,
            offline: false,
            lag: Some(0),
        });
    }
    servers.sort_by(|a, b| a.server.cmp(&b.server));
    Ok(StreamState {
        name: info.config.name.clone(),
        subject: link.subject.clone(),
        created: link.identity.to_string(),
        replicas: info.config.num_replicas,
        messages: info.state.messages,
        bytes: info.state.bytes,
        first_seq: info.state.first_sequence,
        last_seq: info.state.last_sequence,
        leader: cluster.leader,
        servers,
    })
}

async fn read_nodes(link: &Link) -> Result<Vec<NodeStatus>, String> {
    let store: kv::Store = link
        .js
        .get_key_value(bucket_of(&link.cfg.stream))
        .await
        .map_err(|e| e.to_string())?;
    let mut keys = store.keys().await.map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(key) = keys.next().await {
        let key = key.map_err(|e| e.to_string())?;
        if let Ok(Some(bytes)) = store.get(&key).await
            && let Ok(n) = serde_json::from_slice::<NodeStatus>(&bytes)
        {
            out.push(n);
        }
    }
    Ok(out)
}

/// A [`ClusterStatus`] (as JSON, so an older or newer node's answer still
/// prints) as the text table `warroom cluster-status` shows.
pub fn render(v: &serde_json::Value) -> String {
    use std::fmt::Write;
    let s = |v: &serde_json::Value| match v {
        serde_json::Value::Null => "-".to_string(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut out = String::new();
    let _ = writeln!(out, "answered by   {}", s(&v["node"]));
    let _ = writeln!(out, "lease holder  {}", s(&v["lease_holder"]));
    if v["configs_differ"].as_bool() == Some(true) {
        let _ = writeln!(
            out,
            "WARNING       the nodes run different sale configs (see `sale` per node): their figures drift apart; restart them on one config"
        );
    }
    let st = &v["stream"];
    if st.is_object() {
        let _ = writeln!(
            out,
            "stream        {}  replicas {}  messages {}  seq {}..{}  leader {}",
            s(&st["created"]),
            s(&st["replicas"]),
            s(&st["messages"]),
            s(&st["first_seq"]),
            s(&st["last_seq"]),
            s(&st["leader"])
        );
        for r in st["servers"].as_array().into_iter().flatten() {
            let state = if r["leader"].as_bool() == Some(true) {
                "leader"
            } else if r["offline"].as_bool() == Some(true) {
                "OFFLINE"
            } else if r["current"].as_bool() == Some(true) {
                "current"
            } else {
                "behind"
            };
            let _ = writeln!(
                out,
                "  server {:<16} {:<8} lag {}",
                s(&r["server"]),
                state,
                s(&r["lag"])
            );
        }
    } else {
        let _ = writeln!(out, "stream        unreadable: {}", s(&v["stream_error"]));
    }
    let _ = writeln!(
        out,
        "\n{:<20} {:<22} {:>12} {:>9} {:>9} {:<10} {:>8}",
        "node", "listen", "applied", "pending", "lag ms", "state", "seen s"
    );
    for n in v["nodes"].as_array().into_iter().flatten() {
        let state = if n["silent"].as_bool() == Some(true) {
            "SILENT"
        } else if !n["halted"].is_null() {
            "STOPPED"
        } else if n["ready"].as_bool() == Some(true) {
            "ready"
        } else {
            "catching up"
        };
        let seen = n["seen_ms_ago"].as_i64().unwrap_or(0) as f64 / 1000.0;
        let _ = writeln!(
            out,
            "{:<20} {:<22} {:>12} {:>9} {:>9} {:<10} {:>8.1}",
            s(&n["node"]),
            s(&n["listen"]),
            s(&n["applied_seq"]),
            s(&n["pending"]),
            s(&n["lag_ms"]),
            state,
            seen
        );
        if !n["halted"].is_null() {
            let _ = writeln!(out, "    stopped: {}", s(&n["halted"]));
        }
        let src = &n["source"];
        if src.is_object() {
            let _ = writeln!(
                out,
                "    source {} on {}: {}  messages {}  dead letters {}{}",
                s(&src["subject"]),
                s(&src["stream"]),
                s(&src["state"]),
                s(&src["messages"]),
                s(&src["dead_letters"]),
                src["error"]
                    .as_str()
                    .map(|e| format!("\n    source unavailable: {e}"))
                    .unwrap_or_default()
            );
        }
    }
    if !v["nodes_error"].is_null() {
        let _ = writeln!(out, "nodes unreadable: {}", s(&v["nodes_error"]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_every_node_and_flags_silent_and_stopped_ones() {
        let v = serde_json::json!({
            "node": "a", "lease_holder": "b",
            "stream": {"created": "S (created x)", "replicas": 3, "messages": 10, "first_seq": 1, "last_seq": 10,
                       "leader": "n1", "servers": [{"server": "n1", "leader": true, "current": true, "offline": false, "lag": 0},
                                                   {"server": "n2", "leader": false, "current": false, "offline": true, "lag": null}]},
            "nodes": [
                {"node": "a", "listen": "127.0.0.1:1", "applied_seq": 10, "pending": 0, "lag_ms": 0, "ready": true, "halted": null, "seen_ms_ago": 0, "silent": false},
                {"node": "b", "listen": "127.0.0.1:2", "applied_seq": 7, "pending": 3, "lag_ms": 0, "ready": false, "halted": "stream sequence 8 is missing", "seen_ms_ago": 1000, "silent": false},
                {"node": "c", "listen": "127.0.0.1:3", "applied_seq": 2, "pending": 0, "lag_ms": 0, "ready": true, "halted": null, "seen_ms_ago": 60000, "silent": true}
            ]
        });
        let t = render(&v);
        assert!(t.contains("lease holder  b"), "{t}");
        assert!(t.contains("OFFLINE"), "{t}");
        assert!(
            t.contains("STOPPED") && t.contains("sequence 8 is missing"),
            "{t}"
        );
        assert!(t.contains("SILENT"), "{t}");
    }
}
