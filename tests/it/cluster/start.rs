//! Starting a node as an on-call engineer does it (docs/operations.md,
//! Starting a cluster): what `/api/v1/cluster`, `/readyz` and `warroom
//! cluster-status` say while a node is still joining.

use std::process::{Command, Stdio};
use std::time::Duration;

use super::node::{Node, sale_toml, starts_now};
use crate::nats::NatsCluster;

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .expect("HTTP client")
}

/// A node whose NATS is not up yet is joining, not "alone": the cluster
/// endpoint answers 503 saying so, `/readyz` says what it waits for, and
/// `warroom cluster-status` run at that moment (as the README does right
/// after starting the nodes) waits and then prints the cluster.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_status_just_after_a_start_waits_for_the_node_to_join() {
    let Some(mut nats) = NatsCluster::single().await else {
        return;
    };
    nats.kill(0);
    let root = tempfile::tempdir().expect("tempdir");
    let client = http();
    let section = nats.cluster_toml("WR_JOINING", 1, "a");
    let mut a = Node::new(root.path(), "a", &sale_toml(starts_now()), "", &section);
    a.start();

    let r = client
        .get(format!("{}/api/v1/cluster", a.base))
        .send()
        .await
        .expect("GET /api/v1/cluster");
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    assert_eq!(status, 503, "joining, not a server running alone: {text}");
    assert!(text.contains("joining the cluster"), "{text}");
    assert!(!text.contains("alone"), "{text}");
    let r = client
        .get(format!("{}/readyz", a.base))
        .send()
        .await
        .expect("GET /readyz");
    assert_eq!(r.status().as_u16(), 503);
    let text = r.text().await.unwrap_or_default();
    assert!(text.contains("joining the cluster"), "{text}");

    let status_cmd = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["cluster-status", "--url", &a.base])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run warroom cluster-status");
    tokio::time::sleep(Duration::from_secs(1)).await;
    nats.restart(0).await;
    let out = tokio::task::spawn_blocking(move || status_cmd.wait_with_output())
        .await
        .expect("join")
        .expect("cluster-status output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "cluster-status: {stdout}{stderr}\nnode:\n{}",
        a.log()
    );
    assert!(stderr.contains("not joined yet; waiting"), "{stderr}");
    assert!(
        stdout.contains("answered by   a") && stdout.contains("WR_JOINING"),
        "{stdout}"
    );
}

/// docs/operations.md tries a cluster on one machine; with one NATS server
/// and the default 3 replicas the stream cannot be made. The node stops at
/// once (not after a minute of retries) saying which key to set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_on_a_single_nats_server_are_refused_at_once_naming_the_key() {
    let Some(nats) = NatsCluster::single().await else {
        return;
    };
    let root = tempfile::tempdir().expect("tempdir");
    let section = nats.cluster_toml("WR_R3_ON_ONE", 3, "a");
    let mut a = Node::new(root.path(), "a", &sale_toml(starts_now()), "", &section);
    a.start();
    let (status, log) = a.exit(Duration::from_secs(15));
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{log}");
    assert!(
        log.contains("not a JetStream cluster") && log.contains("set [cluster] replicas = 1"),
        "{log}"
    );
}

/// A password in a NATS URL (`nats://user:password@host:port`, as the
/// nats tools take it) never reaches the log, the status, the metrics or
/// the data directory (docs/operations.md, Secrets).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_in_a_nats_url_is_never_shown() {
    let Some(nats) = NatsCluster::single().await else {
        return;
    };
    const SECRET: &str = "pw-in-the-url-7d1f";
    let root = tempfile::tempdir().expect("tempdir");
    let url = nats
        .url(0)
        .replacen("nats://", &format!("nats://ops:{SECRET}@"), 1);
    let section = format!(
        "\n[cluster]\nnats = [{url:?}]\nstream = \"WR_URL_SECRET\"\nreplicas = 1\nnode = \"a\"\n"
    );
    let mut a = Node::new(root.path(), "a", &sale_toml(starts_now()), "", &section);
    a.start();
    let client = http();
    a.ready(&client).await;
    let mut seen = a.current_log();
    for path in ["/api/v1/cluster", "/metrics", "/readyz", "/api/v1/summary"] {
        let r = client
            .get(format!("{}{path}", a.base))
            .send()
            .await
            .expect("GET");
        seen.push_str(&r.text().await.unwrap_or_default());
    }
    a.terminate();
    seen.push_str(&a.log());
    for entry in std::fs::read_dir(a.data()).expect("data directory") {
        let path = entry.expect("entry").path();
        seen.push_str(&String::from_utf8_lossy(
            &std::fs::read(&path).expect("read"),
        ));
    }
    assert!(seen.contains("joined the cluster"), "{seen}");
    assert!(!seen.contains(SECRET), "the password shown:\n{seen}");
}

/// Two running nodes under one name would write one heartbeat and both
/// take the alert lease as theirs; the second is refused at start, naming
/// the name and where the first listens. The first runs on unharmed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_node_under_a_name_in_use_is_refused() {
    let Some(nats) = NatsCluster::single().await else {
        return;
    };
    let root = tempfile::tempdir().expect("tempdir");
    let client = http();
    let sale = sale_toml(starts_now());
    let section = nats.cluster_toml("WR_SAME_NAME", 1, "a");
    let mut first = Node::new(root.path(), "first", &sale, "", &section);
    first.start();
    first.ready(&client).await;
    // Its first heartbeat is written within a moment of joining.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut second = Node::new(root.path(), "second", &sale, "", &section);
    second.start();
    let (status, log) = second.exit(Duration::from_secs(20));
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{log}");
    assert!(
        log.contains("another running node is named \"a\"") && log.contains(&first.listen),
        "{log}"
    );
    first.ready(&client).await;

    // Restarted at once under its own name (its heartbeat still fresh, but
    // nobody writes it any more), a node starts.
    first.kill();
    first.start();
    first.ready(&client).await;
}

/// The README starts the nodes in the background and runs `warroom
/// cluster-status` on the next line, before the node may listen: it waits
/// a few seconds for the node to answer rather than failing at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_status_waits_for_a_node_that_does_not_listen_yet() {
    let Some(nats) = NatsCluster::single().await else {
        return;
    };
    let root = tempfile::tempdir().expect("tempdir");
    let section = nats.cluster_toml("WR_NOT_LISTENING", 1, "a");
    let mut a = Node::new(root.path(), "a", &sale_toml(starts_now()), "", &section);
    let status_cmd = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["cluster-status", "--url", &a.base])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run warroom cluster-status");
    tokio::time::sleep(Duration::from_millis(700)).await;
    a.start();
    let out = tokio::task::spawn_blocking(move || status_cmd.wait_with_output())
        .await
        .expect("join")
        .expect("cluster-status output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}\n{}", a.log());
    assert!(stdout.contains("answered by   a"), "{stdout}");

    // Nothing there at all: it says so within seconds.
    let started = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["cluster-status", "--url", "http://127.0.0.1:9"])
        .output()
        .expect("run warroom cluster-status");
    assert!(!out.status.success());
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot reach"));
}

/// Apply reads each node's own catalog, so two nodes on different sale
/// configs give different figures on the same stream. Status says so
/// (`configs_differ`, a warning in `cluster-status`), and the node that
/// sees the other logs it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_on_different_sale_configs_are_flagged() {
    let Some(nats) = NatsCluster::single().await else {
        return;
    };
    let root = tempfile::tempdir().expect("tempdir");
    let client = http();
    let sale = sale_toml(starts_now());
    let edited = format!("{sale}\n[[stores]]\nid = \"s-only-on-b\"\n");
    assert_ne!(sale, edited);
    let mut a = Node::new(
        root.path(),
        "a",
        &sale,
        "",
        &nats.cluster_toml("WR_CONFIGS", 1, "a"),
    );
    let mut b = Node::new(
        root.path(),
        "b",
        &edited,
        "",
        &nats.cluster_toml("WR_CONFIGS", 1, "b"),
    );
    a.start();
    a.ready(&client).await;
    b.start();
    b.ready(&client).await;
    let mut differ = false;
    for _ in 0..40 {
        let v = super::node::get(&client, &a.base, "/api/v1/cluster").await;
        let nodes = v["nodes"].as_array().map_or(0, Vec::len);
        if nodes == 2 {
            differ = v["configs_differ"].as_bool() == Some(true);
            let sales: Vec<&str> = v["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|n| n["sale"].as_str())
                .collect();
            assert_eq!(sales.len(), 2, "{v}");
            assert_ne!(sales[0], sales[1], "{v}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(differ, "status flags the two configs");
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["cluster-status", "--url", &a.base])
        .output()
        .expect("cluster-status");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("different sale configs"), "{text}");
    // The same config on both: no flag (b restarted on a's config).
    b.terminate();
    let mut b = Node::new(
        root.path(),
        "b2",
        &sale,
        "",
        &nats.cluster_toml("WR_CONFIGS", 1, "b2"),
    );
    b.start();
    b.ready(&client).await;
    let mut same = false;
    for _ in 0..60 {
        let v = super::node::get(&client, &a.base, "/api/v1/cluster").await;
        if v["configs_differ"].as_bool() == Some(false) {
            same = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(same, "once the other config's node is silent, no flag");
    a.terminate();
    b.terminate();
}
