//! One fault at a time, each on its own NATS servers and stream: a retry
//! through the other node, a stream unfit to be the log, a stream deleted
//! and created again under a node's data directory, a cluster node's
//! directory started as a single node, a record that does not decode, and
//! NATS gone from under a running node (docs/operations.md,
//! Cluster mode).

use std::time::{Duration, Instant};

use async_nats::jetstream::{self, stream};
use serde_json::Value;

use super::node::{Node, applied_seq, get, post, readyz, sale_toml, starts_now};
use crate::nats::{NatsCluster, wait_for};

/// `n` orders (ids `{tag}-0`…) of 10.00 each, stamped now, one stock
/// event and one bad line (line 2).
fn body(tag: &str, n: usize) -> String {
    let now = chrono::Utc::now().timestamp_millis();
    let mut lines = vec![
        format!(r#"{{"type":"stock","ts":{now},"sku":"k01","level":77}}"#),
        r#"{"type":"order","id":"bad","store":"s1","items":[]}"#.to_string(),
    ];
    for i in 0..n {
        lines.push(format!(
            r#"{{"type":"order","id":"{tag}-{i}","ts":{now},"store":"s1","buyer":"b{i}","items":[{{"sku":"k02","qty":1,"price":"10.00"}}]}}"#
        ));
    }
    lines.join("\n")
}

fn counts(reply: &Value) -> (u64, u64, u64) {
    let n = |k: &str| reply[k].as_u64().unwrap_or(u64::MAX);
    (n("accepted"), n("duplicates"), n("rejected"))
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .expect("HTTP client")
}

/// A node on `nats`, following `stream` with `replicas`, plus `cluster`
/// lines; not started.
fn node(
    root: &std::path::Path,
    nats: &NatsCluster,
    name: &str,
    stream: &str,
    replicas: usize,
    cluster: &str,
) -> Node {
    let section = format!("{}{cluster}", nats.cluster_toml(stream, replicas, name));
    Node::new(root, name, &sale_toml(starts_now()), "", &section)
}

/// docs/api.md, Idempotency, across nodes: the same bytes retried through
/// the other node are all duplicates there, and no figure moves (the
/// stock event in the body is not applied twice either).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_through_the_other_node_is_all_duplicates() {
    let Some(nats) = NatsCluster::start(3).await else {
        return;
    };
    let root = tempfile::tempdir().expect("tempdir");
    let client = http();
    let mut a = node(root.path(), &nats, "a", "WR_RETRY", 3, "");
    let mut b = node(root.path(), &nats, "b", "WR_RETRY", 3, "");
    a.start();
    b.start();
    a.ready(&client).await;
    b.ready(&client).await;
    let text = body("retry", 20);
    let (status, _, first) = post(&client, &a.base, &text).await.expect("post to a");
    assert_eq!(status, 200, "{first}");
    assert_eq!(counts(&first), (21, 0, 1), "{first}");
    let before = get(&client, &a.base, "/api/v1/summary").await;
    let (status, _, again) = post(&client, &b.base, &text).await.expect("post to b");
    assert_eq!(status, 200, "{again}");
    assert_eq!(counts(&again), (0, 21, 1), "the retry through b: {again}");
    for n in [&a, &b] {
        let s = get(&client, &n.base, "/api/v1/summary").await;
        assert_eq!(s["events_applied"], 21, "node {}: {s}", n.name);
        assert_eq!(
            s["duplicates"], 0,
            "node {}: stored once, so no duplicate applied",
            n.name
        );
        for k in ["gmv", "orders", "units", "buyers", "refunds"] {
            assert_eq!(s["totals"][k], before["totals"][k], "node {} {k}", n.name);
        }
        let sku = get(&client, &n.base, "/api/v1/skus/k01").await;
        assert_eq!(sku["stock_left"], 77, "node {}", n.name);
    }
    assert_eq!(applied_seq(&client, &a.base).await, Some(1));
    assert_eq!(applied_seq(&client, &b.base).await, Some(1));
}

/// A stream that exists but cannot be the log (memory storage, deletes
/// allowed) is refused at start, naming the stream and each problem; the
/// node does not change it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unfit_stream_is_refused_naming_the_problem() {
    let Some(nats) = NatsCluster::single().await else {
        return;
    };
    let js = jetstream::new(nats.client().await);
    js.create_stream(stream::Config {
        name: "WR_UNFIT".into(),
        subjects: vec!["warroom.WR_UNFIT.batches".into()],
        storage: stream::StorageType::Memory,
        num_replicas: 1,
        ..Default::default()
    })
    .await
    .expect("create the unfit stream");
    let root = tempfile::tempdir().expect("tempdir");
    let mut a = node(root.path(), &nats, "a", "WR_UNFIT", 1, "");
    a.start();
    let (status, log) = a.exit(Duration::from_secs(30));
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{log}");
    for part in [
        "stream WR_UNFIT exists but cannot be this sale's log",
        "it keeps messages in memory, not in files",
        "deleting or purging messages is allowed",
    ] {
        assert!(log.contains(part), "{part:?} not in:\n{log}");
    }
    let mut s = js.get_stream("WR_UNFIT").await.expect("still there");
    let info = s.info().await.expect("info");
    assert_eq!(
        info.config.storage,
        stream::StorageType::Memory,
        "left as it was"
    );
}

/// A node's data directory follows one stream; the same name deleted and
/// created again holds other batches under the same sequences, so the node
/// refuses to start on it, naming the stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_deleted_and_created_again_is_refused() {
    let Some(nats) = NatsCluster::single().await else {
        return;
    };
    let root = tempfile::tempdir().expect("tempdir");
    let client = http();
    let mut a = node(root.path(), &nats, "a", "WR_AGAIN", 1, "");
    a.start();
    a.ready(&client).await;
    let (status, _, reply) = post(&client, &a.base, &body("again", 5))
        .await
        .expect("post");
    assert_eq!((status, counts(&reply)), (200, (6, 0, 1)), "{reply}");
    assert!(a.terminate().success(), "{}", a.log());

    let js = jetstream::new(nats.client().await);
    js.delete_stream("WR_AGAIN")
        .await
        .expect("delete the stream");
    js.create_stream(stream::Config {
        name: "WR_AGAIN".into(),
        subjects: vec!["warroom.WR_AGAIN.batches".into()],
        storage: stream::StorageType::File,
        num_replicas: 1,
        deny_delete: true,
        deny_purge: true,
        duplicate_window: Duration::from_secs(120),
        ..Default::default()
    })
    .await
    .expect("create it again");
    a.start();
    let (status, log) = a.exit(Duration::from_secs(30));
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{log}");
    assert!(
        log.contains("follows stream WR_AGAIN") && log.contains("deleted and created again"),
        "the refusal names the stream:\n{log}"
    );
}

/// A cluster node's data directory started without `[cluster]`: its
/// checkpoints are numbered by stream sequence and a local log after them
/// would take batches the stream never sees, so the single node refuses it,
/// naming `stream.json` and what to do, and changes nothing in it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_nodes_directory_is_refused_by_a_single_node() {
    let Some(nats) = NatsCluster::single().await else {
        return;
    };
    let root = tempfile::tempdir().expect("tempdir");
    let client = http();
    let mut a = node(root.path(), &nats, "a", "WR_SOLO", 1, "");
    a.start();
    a.ready(&client).await;
    let (status, _, reply) = post(&client, &a.base, &body("solo", 5))
        .await
        .expect("post");
    assert_eq!((status, counts(&reply)), (200, (6, 0, 1)), "{reply}");
    assert!(a.terminate().success(), "{}", a.log());
    let files = |dir: &std::path::Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("data directory")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        names.sort();
        names
    };
    let before = files(&a.data());
    assert!(before.iter().any(|n| n == "stream.json"), "{before:?}");

    // The same node, its [cluster] section gone.
    let text = std::fs::read_to_string(&a.config).expect("config");
    let cut = text.find("\n[cluster]").expect("a [cluster] section");
    std::fs::write(&a.config, &text[..cut]).expect("write the config");
    a.start();
    let (status, log) = a.exit(Duration::from_secs(30));
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{log}");
    for part in [
        "stream.json",
        "WR_SOLO",
        "cluster mode",
        "empty data directory",
    ] {
        assert!(log.contains(part), "{part:?} not in:\n{log}");
    }
    assert_eq!(files(&a.data()), before, "nothing written or removed");
}

/// docs/operations.md, Cluster mode: a record that does not decode stops
/// apply at its sequence — `/readyz` 503 naming it, the log naming it,
/// ingest refused, and a valid record after it not applied, also after a
/// restart. Nothing is skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_that_does_not_decode_stops_apply_at_its_sequence() {
    let Some(nats) = NatsCluster::single().await else {
        return;
    };
    let root = tempfile::tempdir().expect("tempdir");
    let client = http();
    let mut a = node(root.path(), &nats, "a", "WR_BAD", 1, "");
    a.start();
    a.ready(&client).await;
    let (status, _, reply) = post(&client, &a.base, &body("good", 5))
        .await
        .expect("post");
    assert_eq!((status, counts(&reply)), (200, (6, 0, 1)), "{reply}");

    // Sequence 2: not a record. Sequence 3: a copy of the valid record 1.
    let js = jetstream::new(nats.client().await);
    let subject = "warroom.WR_BAD.batches";
    let ack = js
        .publish(subject, "not a warroom record".into())
        .await
        .expect("publish")
        .await
        .expect("ack");
    assert_eq!(ack.sequence, 2);
    let stream = js.get_stream("WR_BAD").await.expect("stream");
    let first = stream.get_raw_message(1).await.expect("record 1");
    let ack = js
        .publish(subject, first.payload.clone())
        .await
        .expect("publish")
        .await
        .expect("ack");
    assert_eq!(ack.sequence, 3);

    for run in 0..2 {
        let halted = wait_for(Duration::from_secs(15), || async {
            let (status, text) = readyz(&client, &a.base).await?;
            (status == 503 && text.contains("sequence 2")).then_some(text)
        })
        .await;
        assert!(
            halted.is_some(),
            "run {run}: /readyz does not name sequence 2: {:?}\n{}",
            readyz(&client, &a.base).await,
            a.log()
        );
        assert!(
            a.current_log()
                .contains("stream sequence 2 does not decode"),
            "run {run}: the log names the sequence:\n{}",
            a.log()
        );
        let (status, retry, reply) = post(&client, &a.base, &body("later", 3))
            .await
            .expect("post");
        assert_eq!((status, retry.as_deref()), (503, Some("1")), "{reply}");
        let s = get(&client, &a.base, "/api/v1/summary").await;
        assert_eq!(
            s["events_applied"], 6,
            "run {run}: nothing after sequence 1 applied"
        );
        assert_eq!(applied_seq(&client, &a.base).await, Some(1));
        if run == 0 {
            assert!(a.terminate().success(), "{}", a.log());
            a.start();
        }
    }
}

/// docs/api.md, Reply: with every NATS server gone, a batch is answered
/// 503 + Retry-After within `[cluster] ack_timeout_ms` (never 200 for
/// events not stored); once NATS is back the node takes batches again, and
/// the retry of the refused body counts once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_gone_answers_503_within_the_ack_bound_and_recovers() {
    let Some(mut nats) = NatsCluster::single().await else {
        return;
    };
    let root = tempfile::tempdir().expect("tempdir");
    let client = http();
    let mut a = node(
        root.path(),
        &nats,
        "a",
        "WR_GONE",
        1,
        "ack_timeout_ms = 1000\n",
    );
    a.start();
    a.ready(&client).await;
    let (status, _, reply) = post(&client, &a.base, &body("before", 4))
        .await
        .expect("post");
    assert_eq!((status, counts(&reply)), (200, (5, 0, 1)), "{reply}");

    nats.kill(0);
    let during = body("during", 4);
    for _ in 0..3 {
        let started = Instant::now();
        let (status, retry, reply) = post(&client, &a.base, &during).await.expect("post");
        let took = started.elapsed();
        assert_eq!((status, retry.as_deref()), (503, Some("1")), "{reply}");
        assert!(
            took < Duration::from_millis(2_500),
            "a 503 within the ack bound of 1 s (and the apply wait), not {took:?}: {reply}"
        );
    }

    nats.restart(0).await;
    let back = wait_for(Duration::from_secs(30), || async {
        match post(&client, &a.base, &during).await {
            Ok((200, _, reply)) => Some(reply),
            _ => None,
        }
    })
    .await
    .unwrap_or_else(|| panic!("the node never took a batch again:\n{}", a.log()));
    let (accepted, duplicates, rejected) = counts(&back);
    assert_eq!((accepted + duplicates, rejected), (5, 1), "{back}");
    let (status, _, reply) = post(&client, &a.base, &body("after", 2))
        .await
        .expect("post");
    assert_eq!((status, counts(&reply)), (200, (3, 0, 1)), "{reply}");
    let s = get(&client, &a.base, "/api/v1/summary").await;
    assert_eq!(s["totals"]["orders"], 4 + 4 + 2, "every order once: {s}");
}
