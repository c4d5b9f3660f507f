//! docs/operations.md, Nodes joining, dying and catching up, "Starting
//! from another node's checkpoint", done as written: two real nodes on one
//! `nats-server -js`; the files the procedure names copied from a running
//! node into an empty directory; the new node starts from that checkpoint
//! (it does not replay the stream from 1), applies only what came after,
//! and holds the same figures and idempotency keys as the node it came from.
//! Then traffic, spend and orders with regions and campaigns, posted
//! through both nodes, show the same on both (whole API bodies), and a
//! third node started from a checkpoint holding them shows them too.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use super::node::{Node, applied_seq, get, newest_checkpoint, post, sale_toml, starts_now};
use crate::crash_efficiency::{assert_same, bodies, events};
use crate::nats::{NatsCluster, wait_for};

/// `n` orders `{tag}-0`… of 10.00 each, stamped two hours ago (inside
/// the sale, which ended an hour ago: no figure moves with the clock).
fn orders(tag: &str, n: usize) -> String {
    let now = chrono::Utc::now().timestamp_millis() - 2 * 3_600_000;
    (0..n)
        .map(|i| {
            format!(
                r#"{{"type":"order","id":"{tag}-{i}","ts":{now},"store":"s1","buyer":"b{i}","items":[{{"sku":"k02","qty":1,"price":"10.00"}}]}}"#
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The sequence in a `checkpoint-<seq>.bin` or `keys-<seq>.bin` name.
fn seq_of(name: &str, prefix: &str) -> Option<u64> {
    name.strip_prefix(prefix)?
        .strip_suffix(".bin")?
        .parse()
        .ok()
}

/// The procedure's copy: the key files at or below the newest checkpoint,
/// `stream.json` and `sale.json`, then the checkpoint last. Returns its
/// sequence.
fn copy_from(from: &Path, to: &Path) -> u64 {
    std::fs::create_dir_all(to).expect("the new node's data directory");
    let (checkpoint, _) = newest_checkpoint(from).expect("a checkpoint to copy");
    let seq = seq_of(&checkpoint, "checkpoint-").expect("a numbered checkpoint");
    for entry in std::fs::read_dir(from).expect("read the running node's directory") {
        let name = entry.expect("entry").file_name();
        let name = name.to_string_lossy();
        if seq_of(&name, "keys-").is_some_and(|k| k <= seq) {
            std::fs::copy(from.join(&*name), to.join(&*name)).expect("copy a key file");
        }
    }
    for name in ["stream.json", "sale.json", checkpoint.as_str()] {
        std::fs::copy(from.join(name), to.join(name)).expect("copy");
    }
    seq
}

fn figures(s: &Value) -> Vec<Value> {
    let mut out = vec![s["events_applied"].clone()];
    for k in ["gmv", "orders", "units", "buyers"] {
        out.push(s["totals"][k].clone());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_started_from_another_nodes_checkpoint_follows_on_from_it() {
    let Some(nats) = NatsCluster::single().await else {
        return;
    };
    let root = tempfile::tempdir().expect("tempdir");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .expect("HTTP client");
    // A day's sale that ended an hour ago.
    let sale = sale_toml(starts_now() - 86_400_000);
    let node = |name: &str| {
        let section = nats.cluster_toml("WR_COPY", 1, name);
        Node::new(root.path(), name, &sale, "checkpoint_every = 1", &section)
    };
    let mut a = node("a");
    a.start();
    a.ready(&client).await;
    // Three batches: sequences 1–3, checkpointed on a.
    for round in 0..3 {
        let (status, _, reply) = post(&client, &a.base, &orders(&format!("r{round}"), 50))
            .await
            .expect("post to a");
        assert_eq!(
            (status, reply["accepted"].as_u64()),
            (200, Some(50)),
            "{reply}"
        );
    }
    let covered = wait_for(Duration::from_secs(20), || async {
        newest_checkpoint(&a.data())
            .and_then(|(name, _)| seq_of(&name, "checkpoint-"))
            .filter(|seq| *seq >= 3)
    })
    .await;
    assert_eq!(
        covered,
        Some(3),
        "a checkpoints within seconds:\n{}",
        a.log()
    );

    // Stop nothing: copy while a runs, then the stream moves on.
    let mut b = node("b");
    let seq = copy_from(&a.data(), &b.data());
    assert_eq!(seq, 3);
    for round in 3..5 {
        let (status, _, reply) = post(&client, &a.base, &orders(&format!("r{round}"), 50))
            .await
            .expect("post to a");
        assert_eq!(status, 200, "{reply}");
    }
    b.start();
    b.ready(&client).await;
    let log = b.current_log();
    assert!(
        log.contains("checkpoint_seq=3"),
        "b loads the copied checkpoint:\n{log}"
    );
    assert!(
        log.contains("caught up with the stream seq=5 records=2"),
        "b applies only the 2 batches after it, not the stream from 1:\n{log}"
    );
    assert!(!log.contains(" ERROR "), "{log}");
    let on_a = get(&client, &a.base, "/api/v1/summary").await;
    let on_b = get(&client, &b.base, "/api/v1/summary").await;
    assert_eq!(figures(&on_b), figures(&on_a), "b: {on_b}\na: {on_a}");
    assert_eq!(on_b["events_applied"], 250);

    // The copied key files: a batch from before the checkpoint, sent again
    // through b, is all duplicates.
    let (status, _, again) = post(&client, &b.base, &orders("r0", 50))
        .await
        .expect("post to b");
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        (again["accepted"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), Some(50)),
        "{again}"
    );
    // And b takes ingest that a applies.
    let (status, _, reply) = post(&client, &b.base, &orders("r5", 50))
        .await
        .expect("post to b");
    assert_eq!(
        (status, reply["accepted"].as_u64()),
        (200, Some(50)),
        "{reply}"
    );
    let a_seq = wait_for(Duration::from_secs(10), || async {
        applied_seq(&client, &a.base).await.filter(|s| *s >= 7)
    })
    .await;
    assert_eq!(a_seq, Some(7));
    let on_a = get(&client, &a.base, "/api/v1/summary").await;
    let on_b = get(&client, &b.base, "/api/v1/summary").await;
    assert_eq!(figures(&on_b), figures(&on_a), "b: {on_b}\na: {on_a}");
    assert_eq!(on_a["events_applied"], 300);

    // Traffic, spend, regions and campaigns through both nodes: sequences
    // 8–11, the same figures on both, whole bodies.
    for (i, chunk) in events(0, 200, 21).chunks(55).enumerate() {
        let to = if i % 2 == 0 { &a.base } else { &b.base };
        let (status, _, reply) = post(&client, to, &chunk.join("\n")).await.expect("post");
        assert_eq!(
            (status, reply["rejected"].as_u64()),
            (200, Some(0)),
            "{reply}"
        );
    }
    for node in [&a, &b] {
        let seq = wait_for(Duration::from_secs(10), || async {
            applied_seq(&client, &node.base).await.filter(|s| *s >= 11)
        })
        .await;
        assert_eq!(seq, Some(11));
    }
    let on_a = bodies(&client, &a.base).await;
    assert_same(&bodies(&client, &b.base).await, &on_a, "on b against a");
    let regions = &on_a[4].1["regions"];
    assert!(
        regions.as_array().is_some_and(|r| r.len() == 4),
        "{regions}"
    );
    assert!(on_a[0].1["totals"]["visitors"].as_u64() > Some(0));

    // A checkpoint of a holds them: a node started from it shows the same.
    let covered = wait_for(Duration::from_secs(20), || async {
        newest_checkpoint(&a.data())
            .and_then(|(name, _)| seq_of(&name, "checkpoint-"))
            .filter(|seq| *seq >= 11)
    })
    .await;
    assert_eq!(covered, Some(11), "{}", a.log());
    let mut c = node("c");
    assert_eq!(copy_from(&a.data(), &c.data()), 11);
    let (name, _) = newest_checkpoint(&c.data()).expect("copied");
    let bytes = std::fs::read(c.data().join(name)).expect("checkpoint");
    assert!(bytes.starts_with(b"WRCP0004"));
    c.start();
    c.ready(&client).await;
    assert!(c.current_log().contains("checkpoint_seq=11"), "{}", c.log());
    assert_same(
        &bodies(&client, &c.base).await,
        &on_a,
        "on c, from a's checkpoint",
    );
}
