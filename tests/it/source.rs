//! docs/operations.md, Cluster mode → Reading the order bus: warroom nodes
//! (real processes) on a real `nats-server -js` read `[cluster] source`
//! — one node at a time, the lease holder — count what order systems
//! published there exactly once on every node, send the rejected lines to
//! the dead-letter subject, and acknowledge every message; a message
//! handled again (its dead letters refused, the holder killed) publishes
//! nothing new.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::{self, consumer::pull, stream};
use serde_json::Value;

use crate::nats::{NatsCluster, wait_for};
use crate::process::{Server, start};

/// A sale around now (the binary's clock is the system's) reading
/// `source` as node `node` of stream `stream`.
fn write_config(dir: &Path, nats: &str, stream: &str, node: &str, extra: &str) -> PathBuf {
    let now = chrono::Utc::now();
    let starts = (now - chrono::Duration::hours(1)).to_rfc3339();
    let ends = (now + chrono::Duration::hours(23)).to_rfc3339();
    let text = format!(
        r#"[sale]
name = "bus"
currency = "CNY"
timezone = "Asia/Shanghai"
starts = "{starts}"
ends = "{ends}"

[[stores]]
id = "s1"
name = "旗舰店"

[cluster]
nats = ["{nats}"]
stream = "{stream}"
replicas = 1
node = "{node}"
source = "orders.>"
ack_timeout_ms = 1000
{extra}
"#
    );
    let path = dir.join(format!("{node}.toml"));
    std::fs::write(&path, text).expect("write config");
    path
}

/// An order of `yuan` yuan (one unit of k1), stamped now unless `ts` is false.
fn order(id: &str, yuan: u32, ts: bool) -> String {
    let ts = if ts {
        format!(r#""ts":{},"#, chrono::Utc::now().timestamp_millis())
    } else {
        String::new()
    };
    format!(
        r#"{{"type":"order","id":"{id}",{ts}"store":"s1","items":[{{"sku":"k1","qty":1,"price":{yuan}}}]}}"#
    )
}

async fn js(nats: &NatsCluster) -> jetstream::Context {
    jetstream::new(nats.client().await)
}

async fn orders_stream(js: &jetstream::Context) {
    js.create_stream(stream::Config {
        name: "ORDERS".into(),
        subjects: vec!["orders.>".into()],
        ..Default::default()
    })
    .await
    .expect("create ORDERS");
}

async fn publish(js: &jetstream::Context, subject: &str, headers: &[(&str, &str)], body: Vec<u8>) {
    let mut h = HeaderMap::new();
    for (k, v) in headers {
        h.insert(*k, *v);
    }
    js.publish_with_headers(subject.to_string(), h, body.into())
        .await
        .expect("publish")
        .await
        .expect("stored in ORDERS");
}

async fn get(client: &reqwest::Client, node: &Server, path: &str) -> Option<Value> {
    let r = client
        .get(format!("{}{path}", node.base))
        .send()
        .await
        .ok()?;
    if r.status() != 200 {
        return None;
    }
    r.json().await.ok()
}

/// (orders, gmv in fen) on `node`.
async fn totals(client: &reqwest::Client, node: &Server) -> Option<(i64, i64)> {
    let s = get(client, node, "/api/v1/summary").await?;
    Some((
        s["totals"]["orders"].as_i64()?,
        s["totals"]["gmv"].as_i64()?,
    ))
}

async fn until_totals(client: &reqwest::Client, node: &Server, want: (i64, i64), patience: u64) {
    let got = wait_for(Duration::from_secs(patience), || async {
        totals(client, node).await.filter(|t| *t == want)
    })
    .await;
    let now = totals(client, node).await;
    assert!(
        got.is_some(),
        "{}: totals {now:?}, want {want:?}\n{}",
        node.base,
        node.stderr()
    );
}

/// The source consumer's (ack pending, pending) once both are 0, or as
/// they are after `patience`.
async fn drained(js: &jetstream::Context, stream: &str, patience: u64) -> (usize, u64) {
    let name = format!("warroom-{stream}");
    let probe = || async {
        let mut c: jetstream::consumer::Consumer<pull::Config> = js
            .get_stream("ORDERS")
            .await
            .ok()?
            .get_consumer(&name)
            .await
            .ok()?;
        let i = c.info().await.ok()?;
        Some((i.num_ack_pending, i.num_pending))
    };
    wait_for(Duration::from_secs(patience), || async {
        probe().await.filter(|p| *p == (0, 0))
    })
    .await
    .or(probe().await)
    .unwrap_or((usize::MAX, u64::MAX))
}

async fn messages_in(js: &jetstream::Context, stream: &str) -> u64 {
    let mut s = js.get_stream(stream).await.expect("the stream");
    s.info().await.expect("stream info").state.messages
}

/// Every message of `stream`: (headers, payload).
async fn all_messages(js: &jetstream::Context, stream: &str) -> Vec<(HeaderMap, String)> {
    let s = js.get_stream(stream).await.expect("the stream");
    let n = messages_in(js, stream).await;
    let mut out = Vec::new();
    for seq in 1..=n {
        let m = s.get_raw_message(seq).await.expect("a dead letter");
        out.push((m.headers, String::from_utf8_lossy(&m.payload).into_owned()));
    }
    out
}

fn header<'h>(h: &'h HeaderMap, name: &str) -> Option<&'h str> {
    h.get(name).map(|v| v.as_str())
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).expect("write");
    enc.finish().expect("finish")
}

/// A figure of `/metrics`, summed over its labels.
async fn metric(client: &reqwest::Client, node: &Server, name: &str) -> u64 {
    let Ok(r) = client.get(format!("{}/metrics", node.base)).send().await else {
        return 0;
    };
    let text = r.text().await.unwrap_or_default();
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_holder_reads_the_bus_once_dead_letters_its_rejects_and_acks_every_message() {
    let Some(nats) = NatsCluster::single().await else {
        return;
    };
    let js = js(&nats).await;
    orders_stream(&js).await;
    let (o1, o2, o3) = (
        order("o1", 10, true),
        order("o2", 20, true),
        order("o3", 30, true),
    );
    // 1: NDJSON, a rule broken on line 2 and a line that is not JSON on line 4.
    let bad_qty =
        r#"{"type":"order","id":"x1","store":"s1","items":[{"sku":"k1","qty":0,"price":1}]}"#;
    let m1 = format!("{o1}\n{bad_qty}\n{o2}\noops\n{o3}\n");
    publish(&js, "orders.tmall", &[], m1.clone().into_bytes()).await;
    // 2: a JSON array: o3 again (a duplicate), o4, and an order without id.
    let m2 = format!(
        "[{o3}, {}, {{\"type\":\"order\",\"store\":\"s1\"}}]",
        order("o4", 40, true)
    );
    publish(
        &js,
        "orders.jd",
        &[("Content-Type", "application/json")],
        m2.into_bytes(),
    )
    .await;
    // 3: one pretty-printed object, framed as JSON by its content type.
    let m3 = order("o5", 50, true).replace(",", ",\n  ");
    publish(
        &js,
        "orders.jd",
        &[("content-type", "application/json")],
        m3.into_bytes(),
    )
    .await;
    // 4: not events at all: dead-lettered whole.
    publish(&js, "orders.pdd", &[], b"not json\nstill not".to_vec()).await;
    // 5: gzip, as order systems send big batches.
    let m5 = format!("{}\n{}", order("o6", 60, true), order("o7", 70, true));
    publish(
        &js,
        "orders.tmall",
        &[("Content-Encoding", "gzip")],
        gzip(m5.as_bytes()),
    )
    .await;
    // 6: message 1 published again by a retrying order system: the same
    // events, so the same message ids in the sale's stream; its rejected
    // lines are dead-lettered again (another source message).
    publish(&js, "orders.tmall", &[], m1.into_bytes()).await;
    // 7: a stock level without ts.
    publish(
        &js,
        "orders.wms",
        &[],
        br#"{"type":"stock","sku":"k1","level":50}"#.to_vec(),
    )
    .await;

    let dir = tempfile::tempdir().expect("tempdir");
    let client = reqwest::Client::new();
    let url = nats.url(0);
    let mut a =
        start(&write_config(dir.path(), &url, "WARROOM_BUS", "a", ""), &[]).expect("start a");
    let mut b =
        start(&write_config(dir.path(), &url, "WARROOM_BUS", "b", ""), &[]).expect("start b");
    assert!(a.ready(&client).await, "{}", a.stderr());
    assert!(b.ready(&client).await, "{}", b.stderr());
    // 8: one more while the nodes run.
    publish(
        &js,
        "orders.tmall",
        &[],
        order("o8", 80, false).into_bytes(),
    )
    .await;

    let want = (8, (10 + 20 + 30 + 40 + 50 + 60 + 70 + 80) * 100);
    until_totals(&client, &a, want, 30).await;
    until_totals(&client, &b, want, 30).await;
    assert_eq!(
        drained(&js, "WARROOM_BUS", 20).await,
        (0, 0),
        "every message acknowledged"
    );
    // One record per message with events, message 6 recognised as message 1.
    assert_eq!(messages_in(&js, "WARROOM_BUS").await, 6);

    let letters = all_messages(&js, "WARROOM_BUS_REJECTED").await;
    let mut seen: Vec<(String, String, String, String)> = letters
        .iter()
        .map(|(h, payload)| {
            (
                header(h, "Warroom-Source-Seq").unwrap_or("-").to_string(),
                header(h, "Warroom-Line").unwrap_or("whole").to_string(),
                header(h, "Warroom-Error").unwrap_or("-").to_string(),
                payload.clone(),
            )
        })
        .collect();
    seen.sort();
    let qty = "items[0].qty: must be an integer from 1 to 1000000".to_string();
    let want_letters: Vec<(String, String, String, String)> = vec![
        ("1".into(), "2".into(), qty.clone(), bad_qty.into()),
        (
            "1".into(),
            "4".into(),
            "invalid JSON at column 1: expected value".into(),
            "oops".into(),
        ),
        (
            "2".into(),
            "3".into(),
            "id: required".into(),
            r#"{"type":"order","store":"s1"}"#.into(),
        ),
        ("6".into(), "2".into(), qty, bad_qty.into()),
        (
            "6".into(),
            "4".into(),
            "invalid JSON at column 1: expected value".into(),
            "oops".into(),
        ),
    ];
    let (whole, lines): (Vec<_>, Vec<_>) = seen.into_iter().partition(|l| l.1 == "whole");
    assert_eq!(lines, want_letters, "{letters:?}");
    assert_eq!(whole.len(), 1, "{letters:?}");
    assert_eq!(whole[0].0, "4");
    assert!(
        whole[0].2.starts_with("the body cannot be read as events"),
        "{whole:?}"
    );
    assert_eq!(whole[0].3, "not json\nstill not");
    for (h, _) in &letters {
        assert_eq!(header(h, "Warroom-Source-Stream"), Some("ORDERS"));
        assert!(header(h, "Warroom-Source-Subject").is_some_and(|s| s.starts_with("orders.")));
    }

    // Status: one node reads, the other stands by; the reader is the
    // lease holder and counted every message.
    // (Heartbeats are written every 2 s: wait for both nodes' current one.)
    let consistent = |status: &Value| {
        let holder = status["lease_holder"].as_str()?;
        let nodes = status["nodes"].as_array()?;
        let fine = nodes.len() == 2
            && nodes.iter().all(|n| {
                let want = if n["node"] == holder {
                    "reading"
                } else {
                    "standby"
                };
                n["source"]["state"] == want && n["source"]["stream"] == "ORDERS"
            });
        fine.then_some(())
    };
    let status = wait_for(Duration::from_secs(10), || async {
        let s = get(&client, &a, "/api/v1/cluster").await?;
        consistent(&s).map(|()| s)
    })
    .await;
    assert!(
        status.is_some(),
        "one node reads, the other stands by: {:?}",
        get(&client, &a, "/api/v1/cluster").await
    );
    let messages = metric(&client, &a, "warroom_source_messages_total").await
        + metric(&client, &b, "warroom_source_messages_total").await;
    assert_eq!(messages, 8);
    let dead = metric(&client, &a, "warroom_source_dead_letters_total").await
        + metric(&client, &b, "warroom_source_dead_letters_total").await;
    assert_eq!(dead, 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_handled_again_publishes_nothing_new_and_a_missing_source_is_waited_for() {
    let Some(nats) = NatsCluster::single().await else {
        return;
    };
    let js = js(&nats).await;
    // Dead letters go to a stream that is full: the message's events get
    // into the sale's stream, its dead letter is refused, so it is not
    // acknowledged and comes back, again and again.
    js.create_stream(stream::Config {
        name: "REJECTS".into(),
        subjects: vec!["rejected.orders".into()],
        max_messages: 1,
        discard: stream::DiscardPolicy::New,
        ..Default::default()
    })
    .await
    .expect("create REJECTS");
    js.publish("rejected.orders", "filler".into())
        .await
        .expect("publish")
        .await
        .expect("stored");
    let dir = tempfile::tempdir().expect("tempdir");
    let client = reqwest::Client::new();
    // No stream holds the source yet: the node serves, and says why it
    // does not read.
    let mut a = start(
        &write_config(dir.path(), &nats.url(0), "WARROOM_AGAIN", "a", ""),
        &[],
    )
    .expect("start a");
    assert!(a.ready(&client).await, "{}", a.stderr());
    let unavailable = wait_for(Duration::from_secs(10), || async {
        let s = get(&client, &a, "/api/v1/cluster").await?;
        let src = s["nodes"].as_array()?.iter().find(|n| n["node"] == "a")?["source"].clone();
        (src["state"] == "unavailable").then_some(src)
    })
    .await
    .expect("the source shown unavailable");
    assert!(
        unavailable["error"]
            .as_str()
            .is_some_and(|e| e.contains("no stream holds the source subject \"orders.>\"")),
        "{unavailable}"
    );
    assert!(
        a.stderr().contains("the bus source cannot be read"),
        "{}",
        a.stderr()
    );
    assert_eq!(metric(&client, &a, "warroom_source_unavailable").await, 1);

    orders_stream(&js).await;
    // Events without ts take the time the source stream stored the
    // message, on every delivery: each handling publishes the same batch.
    let body = format!(
        "{}\n{}\nnot an event\n{}",
        order("n1", 10, false),
        order("n2", 20, false),
        r#"{"type":"stock","sku":"k1","level":7}"#
    );
    publish(&js, "orders.tmall", &[], body.into_bytes()).await;
    // Found at the next check (every 10 s), then handled and put back
    // while its dead letter is refused.
    let retried = wait_for(Duration::from_secs(25), || async {
        let n = metric(&client, &a, "warroom_source_retries_total").await;
        (n >= 3).then_some(n)
    })
    .await;
    assert!(retried.is_some(), "the message is put back\n{}", a.stderr());
    assert!(metric(&client, &a, "warroom_source_redeliveries_total").await >= 2);
    assert_eq!(totals(&client, &a).await, Some((2, 3000)));
    assert_eq!(
        messages_in(&js, "WARROOM_AGAIN").await,
        1,
        "handled again, stored once"
    );

    // Room for dead letters: the next delivery goes through and is acked.
    js.update_stream(stream::Config {
        name: "REJECTS".into(),
        subjects: vec!["rejected.orders".into()],
        discard: stream::DiscardPolicy::New,
        ..Default::default()
    })
    .await
    .expect("lift the limit");
    assert_eq!(drained(&js, "WARROOM_AGAIN", 20).await, (0, 0));
    assert_eq!(
        metric(&client, &a, "warroom_source_messages_total").await,
        1
    );
    assert_eq!(messages_in(&js, "WARROOM_AGAIN").await, 1);
    assert_eq!(totals(&client, &a).await, Some((2, 3000)));
    let letters = all_messages(&js, "REJECTS").await;
    assert_eq!(letters.len(), 2, "the filler and one dead letter");
    assert_eq!(letters[1].1, "not an event");
    assert_eq!(header(&letters[1].0, "Warroom-Line"), Some("3"));
    let sku = get(&client, &a, "/api/v1/skus").await.expect("skus");
    assert!(sku.to_string().contains("\"k1\""), "{sku}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_holder_killed_mid_stream_loses_and_doubles_nothing() {
    let Some(nats) = NatsCluster::single().await else {
        return;
    };
    let js = js(&nats).await;
    orders_stream(&js).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let client = reqwest::Client::new();
    let url = nats.url(0);
    let mut nodes = vec![
        start(
            &write_config(dir.path(), &url, "WARROOM_KILL", "a", ""),
            &[],
        )
        .expect("start a"),
        start(
            &write_config(dir.path(), &url, "WARROOM_KILL", "b", ""),
            &[],
        )
        .expect("start b"),
    ];
    for n in &mut nodes {
        assert!(n.ready(&client).await, "{}", n.stderr());
    }
    // 150 messages of 4 orders each (some without ts), published over
    // about 3 s; the holder is killed once it has handled some.
    const MESSAGES: usize = 150;
    let publisher = {
        let js = js.clone();
        tokio::spawn(async move {
            for m in 0..MESSAGES {
                let body: Vec<String> = (0..4)
                    .map(|i| order(&format!("k{m}-{i}"), 1 + i as u32, i % 2 == 0))
                    .collect();
                publish(&js, "orders.tmall", &[], body.join("\n").into_bytes()).await;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let holder = wait_for(Duration::from_secs(15), || async {
        for (i, n) in nodes.iter().enumerate() {
            if metric(&client, n, "warroom_source_messages_total").await >= 20 {
                return Some(i);
            }
        }
        None
    })
    .await
    .expect("a node reads the source");
    nodes[holder].child.kill().expect("SIGKILL the holder");
    let _ = nodes[holder].child.wait();
    publisher.await.expect("published");
    let survivor = &nodes[1 - holder];
    // Every order once: 150 × (1 + 2 + 3 + 4) yuan.
    until_totals(
        &client,
        survivor,
        (4 * MESSAGES as i64, MESSAGES as i64 * 1000),
        45,
    )
    .await;
    assert_eq!(drained(&js, "WARROOM_KILL", 20).await, (0, 0));
    // One record per source message: a message the dead holder had
    // published but not acknowledged was published again to the same ids.
    assert_eq!(messages_in(&js, "WARROOM_KILL").await, MESSAGES as u64);
    assert!(metric(&client, survivor, "warroom_source_reading").await == 1);
}
