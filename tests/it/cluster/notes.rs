//! The war-room log in a cluster (docs/api.md, War-room log): a note
//! posted on one node is on the stream like an event batch, so every node
//! lists it with the same server-assigned id; a deletion through another
//! node removes it everywhere; a node killed and restarted reads both back
//! from the stream. Three `nats-server`s, an R3 stream, two real nodes.

use std::time::Duration;

use serde_json::Value;

use super::node::{Node, applied_seq, get, sale_toml, starts_now};
use crate::nats::{NatsCluster, wait_for};

async fn notes(client: &reqwest::Client, base: &str) -> Vec<Value> {
    let list = get(client, base, "/api/v1/notes?kind=note").await;
    list["notes"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_posted_on_one_node_is_on_every_node_with_its_id() {
    let Some(nats) = NatsCluster::start(3).await else {
        return;
    };
    let root = tempfile::tempdir().expect("tempdir");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .expect("HTTP client");
    let sale = sale_toml(starts_now());
    let node = |name: &str| {
        let section = nats.cluster_toml("WR_NOTES", 3, name);
        Node::new(root.path(), name, &sale, "", &section)
    };
    let (mut a, mut b) = (node("a"), node("b"));
    for n in [&mut a, &mut b] {
        n.start();
        n.ready(&client).await;
    }

    let posted: Value = client
        .post(format!("{}/api/v1/notes", a.base))
        .json(&serde_json::json!({"text": "00:12 支付网关变慢，切到备用", "scope": "channel:tmall", "author": "值班"}))
        .send()
        .await
        .expect("post a note")
        .json()
        .await
        .expect("the note as JSON");
    let id = posted["id"].as_str().expect("an id").to_string();
    assert!(id.starts_with("n-"), "{posted}");

    for n in [&a, &b] {
        let seen = wait_for(Duration::from_secs(10), || async {
            let list = notes(&client, &n.base).await;
            (!list.is_empty()).then_some(list)
        })
        .await
        .unwrap_or_else(|| panic!("node {} lists the note:\n{}", n.name, n.log()));
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(seen[0]["id"], id.as_str(), "the same id on {}", n.name);
        assert_eq!(seen[0]["text"], posted["text"]);
        assert_eq!(seen[0]["scope"], "channel:tmall");
        assert_eq!(seen[0]["author"], "值班");
        assert_eq!(seen[0]["ts"], posted["ts"], "the same time on {}", n.name);
    }

    // Deleted through the other node: gone on both.
    let status = client
        .delete(format!("{}/api/v1/notes/{id}", b.base))
        .send()
        .await
        .expect("delete")
        .status();
    assert_eq!(status, 204);
    let second: Value = client
        .post(format!("{}/api/v1/notes", b.base))
        .json(&serde_json::json!({"text": "second"}))
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("JSON");
    let seq_b = applied_seq(&client, &b.base).await.expect("b's sequence");
    let seq_a = wait_for(Duration::from_secs(10), || async {
        applied_seq(&client, &a.base).await.filter(|s| *s >= seq_b)
    })
    .await;
    assert!(seq_a.is_some(), "a catches up:\n{}", a.log());
    for n in [&a, &b] {
        let list = notes(&client, &n.base).await;
        let ids: Vec<&Value> = list.iter().map(|x| &x["id"]).collect();
        assert_eq!(ids, [&second["id"]], "on {}", n.name);
    }

    // A node killed and started again reads both back from the stream.
    a.kill();
    a.start();
    a.ready(&client).await;
    let list = wait_for(Duration::from_secs(10), || async {
        let list = notes(&client, &a.base).await;
        (list.len() == 1).then_some(list)
    })
    .await
    .unwrap_or_else(|| panic!("a after its restart:\n{}", a.log()));
    assert_eq!(list[0]["id"], second["id"]);
    assert_eq!(list[0]["text"], "second");
}
