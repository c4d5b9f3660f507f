//! docs/api.md, Live frames, "Sequence and catch-up", over a real socket:
//! a screen whose socket stops draining (its receive buffer shrunk to a
//! few KiB, so the server's sends block within a few frames) misses many
//! ticks while ingest goes on, and while 16 other screens of its wall read
//! on (so the wall keeps its rate: one slow screen in 17 does not slow it,
//! docs/api.md, "Frame rate"). When it reads again it is brought up to
//! date with catch-up ticks, never a second snapshot; every frame's
//! `since` is the `seq` of the frame before it, so no change falls between
//! two frames; and the rows merged as the page merges them equal the API's.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::Message;

use futures_util::StreamExt;

use crate::support::{MIN, START, spawn_app, test_config};

const STORES: usize = 150;
const ROUNDS: usize = 30;

fn order(id: &str, store: &str, price: u32) -> String {
    format!(
        r#"{{"type":"order","id":"{id}","ts":{},"store":"{store}","channel":"tmall","buyer":"b{id}","items":[{{"sku":"k1","qty":1,"price":{price}}}]}}"#,
        START + 60 * MIN
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screen_that_stops_reading_is_brought_up_to_date_without_a_snapshot() {
    let mut cfg = test_config();
    cfg.server.tick_ms = 20;
    let app = spawn_app(cfg, START + 61 * MIN).await;
    // The rest of the wall, reading all along.
    let mut wall = Vec::new();
    for _ in 0..16 {
        let (mut other, _) =
            tokio_tungstenite::connect_async(format!("ws://{}/api/v1/live", app.addr))
                .await
                .expect("websocket");
        wall.push(tokio::spawn(async move {
            while let Some(Ok(_)) = other.next().await {}
        }));
    }
    // A socket that holds little: the server's sends to it block soon.
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(2048).expect("a small buffer");
    let tcp = socket.connect(app.addr).await.expect("connect");
    let url = format!("ws://{}/api/v1/live", app.addr);
    let (mut ws, _) = tokio_tungstenite::client_async(url, tcp)
        .await
        .expect("websocket");
    let mut frames: Vec<Value> = Vec::new();
    while frames.len() < 2 {
        frames.push(next(&mut ws).await);
    }
    assert_eq!(frames[1]["type"], "snapshot");

    // It reads nothing while every store sells, round after round: each
    // tick names up to 150 changed stores.
    for round in 0..ROUNDS {
        let body = (0..STORES)
            .map(|s| {
                order(
                    &format!("r{round}-{s}"),
                    &format!("pop{s:03}"),
                    100 + s as u32,
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        let resp = app.post_events(body, "application/x-ndjson").await;
        assert_eq!(resp.status(), 200);
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    let total = (ROUNDS * STORES) as u64;

    // Reading again: up to the newest state.
    loop {
        let f = next(&mut ws).await;
        let done = f["type"] == "tick" && f["events_applied"] == total;
        frames.push(f);
        if done {
            break;
        }
    }
    let data: Vec<&Value> = frames[1..]
        .iter()
        .filter(|f| f["type"] != "alert")
        .collect();
    assert!(
        data[1..].iter().all(|f| f["type"] == "tick"),
        "no snapshot after the first"
    );
    // A frame may reach further back than the screen's last one (a
    // catch-up is labelled with the newest tick versioned, which can be
    // newer than the publish that asked for it, and the next regular
    // frame is then built since that publish): never leaving a gap, never
    // going back, is what the page needs.
    for pair in data.windows(2) {
        let (since, last) = (pair[1]["since"].as_u64(), pair[0]["seq"].as_u64());
        assert!(
            since.is_some() && since <= last,
            "each frame carries every change since the one before: {} after {}",
            pair[1],
            pair[0]["seq"]
        );
        assert!(pair[1]["seq"].as_u64() > last, "sequence numbers rise");
    }
    let metrics = app.metrics().await;
    let catch_ups = metric(&metrics, "warroom_live_catch_ups_total");
    assert!(
        catch_ups >= 1.0,
        "the stalled socket was caught up: {catch_ups}"
    );
    assert_eq!(
        metric(&metrics, "warroom_live_snapshots_total"),
        17.0,
        "one a screen, on connecting"
    );

    // The rows, merged by id as the page merges them, are the API's.
    let mut stores: BTreeMap<String, (Value, Value)> = BTreeMap::new();
    for f in &data {
        for row in f["stores"].as_array().into_iter().flatten() {
            let (id, gmv, orders) = match row.as_array() {
                Some(cells) => (cells[0].clone(), cells[1].clone(), cells[2].clone()),
                None => (row["id"].clone(), row["gmv"].clone(), row["orders"].clone()),
            };
            stores.insert(id.as_str().unwrap_or_default().to_string(), (gmv, orders));
        }
    }
    let api = app.get("/api/v1/stores?limit=1000").await;
    let rows: Vec<&Value> = api
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["orders"].as_u64() > Some(0))
        .collect();
    assert_eq!(rows.len(), STORES, "{api}");
    for row in rows {
        let id = row["id"].as_str().unwrap_or_default();
        assert_eq!(
            stores.get(id),
            Some(&(row["gmv"].clone(), row["orders"].clone())),
            "store {id}"
        );
    }
    let summary = app.get("/api/v1/summary").await;
    let last = data.last().expect("frames");
    assert_eq!(last["totals"]["gmv"], summary["totals"]["gmv"]);
    assert_eq!(last["totals"]["orders"], summary["totals"]["orders"]);
}

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// The next JSON text frame.
async fn next(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(15), ws.next())
            .await
            .expect("a frame within 15 s")
            .expect("socket open")
            .expect("frame");
        if let Message::Text(t) = msg {
            return serde_json::from_str(&t).expect("JSON frame");
        }
    }
}

/// A sample's value in the Prometheus text, 0 when absent.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}
