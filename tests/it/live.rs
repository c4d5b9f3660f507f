//! docs/api.md, Live frames with a real WebSocket client: hello, snapshot, ticks that
//! match the API, filters, and screens that never hold each other up.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::support::{MIN, START, TestApp, spawn_app, test_config};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn connect(app: &TestApp, query: &str) -> Ws {
    let url = format!("ws://{}/api/v1/live{query}", app.addr);
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("websocket");
    ws
}

/// The next JSON text frame (pings are answered by the library).
async fn next_frame(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame within 10 s")
            .expect("socket open")
            .expect("frame");
        if let Message::Text(t) = msg {
            return serde_json::from_str(&t).expect("JSON frame");
        }
    }
}

/// Reads frames until one satisfies `pred`.
async fn frame_where(ws: &mut Ws, mut pred: impl FnMut(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < deadline, "no matching frame within 10 s");
        let f = next_frame(ws).await;
        if pred(&f) {
            return f;
        }
    }
}

fn order(id: &str, store: &str, price: u32) -> String {
    format!(
        r#"{{"type":"order","id":"{id}","ts":{},"store":"{store}","buyer":"b{id}","items":[{{"sku":"k1","qty":1,"price":{price}}}]}}"#,
        START + 60 * MIN
    )
}

#[tokio::test]
async fn ticks_carry_what_the_api_shows() {
    let app = spawn_app(test_config(), START + 61 * MIN).await;
    let mut ws = connect(&app, "").await;
    let hello = next_frame(&mut ws).await;
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["tick_ms"], 250);
    assert_eq!(hello["sale"]["name"], "Test Sale 测试");
    assert!(hello["server_time"].is_string());
    let snap = next_frame(&mut ws).await;
    assert_eq!(snap["type"], "snapshot");
    assert_eq!(snap["events_applied"], 0);
    assert!(snap["server_time"].is_string());

    let body = (0..50)
        .map(|i| {
            order(
                &format!("o{i}"),
                if i % 2 == 0 { "s1" } else { "s2" },
                10 + i,
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        app.post_events(body, "application/x-ndjson").await.status(),
        200
    );
    let tick = frame_where(&mut ws, |f| {
        f["type"] == "tick" && f["events_applied"] == 50
    })
    .await;
    let summary = app.get("/api/v1/summary").await;
    assert_eq!(
        tick["totals"],
        screen_rounded(&summary["totals"]),
        "tick totals equal the API's, ratios to 4 significant digits"
    );
    assert_eq!(tick["windows"], summary["windows"]);
    assert!(tick["server_time"].is_string());
    assert!(
        tick["seq"]
            .as_u64()
            .is_some_and(|s| s > snap["seq"].as_u64().unwrap_or(0))
    );
    // The stores that changed come with the tick, as the API shows them:
    // `[id, gmv, orders, completion]`.
    let stores = app.get("/api/v1/stores").await;
    let s1 = stores
        .as_array()
        .and_then(|a| a.iter().find(|r| r["id"] == "s1"))
        .cloned();
    let changed: Vec<&Value> = tick["stores"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    // Changes may have been spread over two ticks; the newest value must match.
    if let (Some(row), Some(s1)) = (changed.iter().find(|r| r[0] == "s1"), s1) {
        assert_eq!(row.as_array().map(Vec::len), Some(4), "{row}");
        assert_eq!(row[1], s1["gmv"]);
        assert_eq!(row[2], s1["orders"]);
        let exact = s1["completion"].as_f64().expect("s1 has a target");
        assert_eq!(row[3].as_f64(), Some(warroom::views::round_ratio(exact)));
        // The name comes with the snapshot, and with a store's first tick.
        let name = &tick["store_names"]["s1"];
        assert!(name.is_null() || *name == s1["name"]);
    }
    // Quiet ticks keep coming (every 250 ms) with the same totals.
    let next = frame_where(&mut ws, |f| f["type"] == "tick").await;
    assert_eq!(next["totals"], screen_rounded(&summary["totals"]));
    assert!(
        next["stores"].as_array().is_some_and(Vec::is_empty),
        "nothing changed: {}",
        next["stores"]
    );
}

#[tokio::test]
async fn a_filtered_screen_sees_only_its_store() {
    let app = spawn_app(test_config(), START + 61 * MIN).await;
    let body = (0..20)
        .map(|i| order(&format!("f{i}"), if i < 5 { "s1" } else { "s2" }, 100))
        .collect::<Vec<_>>()
        .join("\n");
    app.post_events(body, "application/x-ndjson").await;
    let mut ws = connect(&app, "?stores=s1").await;
    let hello = next_frame(&mut ws).await;
    assert_eq!(hello["filter"]["stores"], serde_json::json!(["s1"]));
    let snap = next_frame(&mut ws).await;
    let ids: Vec<&str> = snap["stores"]
        .as_array()
        .expect("stores")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(ids, vec!["s1"]);
    assert_eq!(snap["totals"]["gmv"], 5 * 10_000);
    assert_eq!(
        snap["totals"]["target"], 30_000_000,
        "the store's own target"
    );
    assert_eq!(
        snap["channels"].as_array().map(Vec::len),
        Some(1),
        "its channel only"
    );

    app.post_events(
        order("late1", "s2", 1) + "\n" + &order("late2", "s1", 2),
        "application/x-ndjson",
    )
    .await;
    let tick = frame_where(&mut ws, |f| {
        f["type"] == "tick" && f["events_applied"] == 22
    })
    .await;
    assert_eq!(tick["totals"]["gmv"], 5 * 10_000 + 200);
    for row in tick["stores"].as_array().expect("stores") {
        assert_eq!(row[0], "s1");
    }
    let many = (0..101)
        .map(|i| format!("s{i}"))
        .collect::<Vec<_>>()
        .join(",");
    let bad =
        tokio_tungstenite::connect_async(format!("ws://{}/api/v1/live?stores={many}", app.addr))
            .await;
    assert!(bad.is_err(), "more than 100 ids is refused");
}

#[tokio::test]
async fn a_stalled_screen_holds_up_neither_ingest_nor_other_screens() {
    let mut cfg = test_config();
    cfg.server.tick_ms = 20;
    let app = spawn_app(cfg, START + 61 * MIN).await;
    let mut stalled = connect(&app, "").await;
    let _ = next_frame(&mut stalled).await; // hello; then it reads nothing
    let mut active = connect(&app, "").await;
    let _ = next_frame(&mut active).await;
    let mut last_seen = 0;
    let mut slowest_post = Duration::ZERO;
    for round in 0..40 {
        let body = (0..100)
            .map(|i| order(&format!("r{round}-{i}"), "s1", 1))
            .collect::<Vec<_>>()
            .join("\n");
        let t = Instant::now();
        assert_eq!(
            app.post_events(body, "application/x-ndjson").await.status(),
            200
        );
        slowest_post = slowest_post.max(t.elapsed());
        let want = (round + 1) * 100;
        let f = frame_where(&mut active, |f| {
            f["events_applied"].as_u64().is_some_and(|n| n >= want)
        })
        .await;
        let n = f["events_applied"].as_u64().unwrap_or(0);
        assert!(n > last_seen, "the active screen keeps moving");
        last_seen = n;
    }
    assert!(
        slowest_post < Duration::from_secs(2),
        "ingest kept answering: {slowest_post:?}"
    );
    // The stalled screen, once it reads again, catches up to the newest
    // state with ticks (a catch-up frame where it missed some), never a
    // second snapshot, and ends on the API's figures.
    let mut kinds = Vec::new();
    let caught_up = frame_where(&mut stalled, |f| {
        kinds.push(f["type"].clone());
        f["events_applied"] == 4000
    })
    .await;
    assert_eq!(kinds[0], "snapshot");
    assert!(kinds[1..].iter().all(|k| k != "snapshot"), "{kinds:?}");
    let summary = app.get("/api/v1/summary").await;
    assert_eq!(caught_up["totals"]["gmv"], summary["totals"]["gmv"]);
    assert_eq!(caught_up["totals"]["orders"], summary["totals"]["orders"]);
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("warroom_live_snapshots_total 2\n"),
        "one snapshot a screen: {metrics}"
    );
    let _ = stalled.close(None).await;
    let _ = active.send(Message::Close(None)).await;
}

#[tokio::test]
async fn shutdown_tells_screens_the_server_is_going_away() {
    let app = spawn_app(test_config(), START + 61 * MIN).await;
    let mut ws = connect(&app, "").await;
    let _ = next_frame(&mut ws).await;
    app.stop().await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        assert!(Instant::now() < deadline, "no close frame");
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            Ok(Some(Ok(Message::Close(Some(frame))))) => {
                assert_eq!(u16::from(frame.code), 1001);
                break;
            }
            Ok(Some(Ok(_))) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_new_store_brings_its_name_once() {
    let app = spawn_app(test_config(), START + 61 * MIN).await;
    let mut ws = connect(&app, "").await;
    let snap = frame_where(&mut ws, |f| f["type"] == "snapshot").await;
    assert!(
        snap["stores"]
            .as_array()
            .is_some_and(|a| a.iter().all(|r| r["id"] != "pop-up")),
        "not there yet"
    );
    app.post_events(order("n1", "pop-up", 100), "application/x-ndjson")
        .await;
    let has = |f: &Value| {
        f["type"] == "tick"
            && f["stores"]
                .as_array()
                .is_some_and(|a| a.iter().any(|r| r[0] == "pop-up"))
    };
    let pop_up = |tick: &Value| {
        tick["stores"]
            .as_array()
            .and_then(|a| a.iter().find(|r| r[0] == "pop-up"))
            .cloned()
            .unwrap_or_default()
    };
    let tick = frame_where(&mut ws, has).await;
    assert_eq!(
        tick["store_names"],
        serde_json::json!({"pop-up": "pop-up"}),
        "its first tick names it"
    );
    assert_eq!(pop_up(&tick)[2], 1);
    app.post_events(order("n2", "pop-up", 100), "application/x-ndjson")
        .await;
    let tick = frame_where(&mut ws, has).await;
    assert!(
        tick.get("store_names").is_none(),
        "later ticks do not: {tick}"
    );
    assert_eq!(pop_up(&tick)[2], 2, "orders");
}

/// The keys of a JSON object, sorted.
fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    k.sort_unstable();
    k
}

#[tokio::test]
async fn frames_carry_exactly_the_fields_the_screen_reads() {
    let app = spawn_app(test_config(), START + 61 * MIN).await;
    let mut ws = connect(&app, "").await;
    let hello = next_frame(&mut ws).await;
    assert_eq!(
        keys(&hello),
        [
            "filter",
            "plan",
            "sale",
            "server_time",
            "server_time_ms",
            "tick_ms",
            "type",
            "version"
        ]
    );
    let opening = [
        "channels",
        "events_applied",
        "rates",
        "seq",
        "series",
        "server_time",
        "server_time_ms",
        "stores",
        "timeline",
        "totals",
        "type",
        "windows",
    ];
    let snap = next_frame(&mut ws).await;
    let mut want = [
        &opening[..],
        &[
            "alerts",
            "campaigns",
            "regions",
            "stock_warnings",
            "top_skus",
        ],
    ]
    .concat();
    want.sort_unstable();
    assert_eq!(keys(&snap), want);
    let row = [
        "buyers",
        "completion",
        "conversion",
        "cost_to_sales",
        "gmv",
        "id",
        "name",
        "net_gmv",
        "orders",
        "page_views",
        "profit",
        "profit_completion",
        "profit_target",
        "refunds",
        "roi",
        "spend",
        "target",
        "units",
        "visitors",
        "windows",
    ];
    assert_eq!(keys(&snap["channels"][0]), row);
    let mut store_row = [&row[..], &["channel"]].concat();
    store_row.sort_unstable();
    assert_eq!(keys(&snap["stores"][0]), store_row);

    app.post_events(order("a", "s1", 100), "application/x-ndjson")
        .await;
    let tick = frame_where(&mut ws, |f| f["type"] == "tick" && f["events_applied"] == 1).await;
    let ticked: Vec<&str> = keys(&tick)
        .into_iter()
        .filter(|k| !["top_skus", "stock_warnings"].contains(k))
        .collect();
    let mut tick_keys = [&opening[..], &["every_ms", "since"]].concat();
    tick_keys.sort_unstable();
    assert_eq!(ticked, tick_keys);
    // A channel in a tick: what moves (a configured channel's name, its
    // targets and windows came with the snapshot).
    assert_eq!(
        keys(&tick["channels"][0]),
        [
            "buyers",
            "completion",
            "cost_to_sales",
            "gmv",
            "id",
            "net_gmv",
            "orders",
            "profit",
            "profit_completion",
            "refunds",
            "units",
        ],
        "no traffic or spend yet: cost-to-sales alone (0 once sold)"
    );
    // With traffic, a channel's tick carries them.
    let traffic = format!(
        r#"{{"type":"traffic","id":"t1","ts":{},"channel":"tmall","visitors":9}}"#,
        START + 60 * MIN
    );
    app.post_events(traffic, "application/x-ndjson").await;
    let later = frame_where(&mut ws, |f| f["type"] == "tick" && f["events_applied"] == 2).await;
    let mut with = [
        "buyers",
        "completion",
        "gmv",
        "id",
        "net_gmv",
        "orders",
        "profit",
        "profit_completion",
        "refunds",
        "units",
        "visitors",
        "page_views",
        "spend",
        "conversion",
        "roi",
        "cost_to_sales",
    ];
    with.sort_unstable();
    assert_eq!(keys(&later["channels"][0]), with);
    // A store in a tick: `[id, gmv, orders, completion]`.
    let store = &tick["stores"][0];
    assert_eq!(store.as_array().map(Vec::len), Some(4), "{store}");
    assert_eq!(store[0], "s1");
    assert_eq!(store[2], 1);
}

/// A frame's totals are the API's with every ratio to 4 significant
/// digits (docs/api.md, Live frames).
fn screen_rounded(totals: &Value) -> Value {
    let mut t = totals.clone();
    for key in [
        "units_per_order",
        "margin",
        "profit_completion",
        "completion",
        "pace",
        "vs_baseline",
        "conversion",
        "roi",
        "cost_to_sales",
        "budget_used",
        "budget_plan",
    ] {
        if let Some(x) = t[key].as_f64() {
            t[key] = Value::from(warroom::views::round_ratio(x));
        }
    }
    t
}

/// Issue 12, item 22: a client message over 4 KiB is answered with close
/// 1009 ("message too big"), not a TCP reset.
#[tokio::test]
async fn a_message_over_4_kib_is_closed_with_1009() {
    let app = spawn_app(test_config(), START + 61 * MIN).await;
    let mut ws = connect(&app, "").await;
    assert_eq!(next_frame(&mut ws).await["type"], "hello");
    assert_eq!(next_frame(&mut ws).await["type"], "snapshot");
    // Just under the limit is fine.
    ws.send(Message::text("x".repeat(4096)))
        .await
        .expect("send");
    ws.send(Message::text("x".repeat(5000)))
        .await
        .expect("send");
    let deadline = Instant::now() + Duration::from_secs(10);
    let close = loop {
        assert!(Instant::now() < deadline, "no close within 10 s");
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => break frame,
            Ok(Some(Ok(_))) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    let close = close.expect("a close code");
    assert_eq!(u16::from(close.code), 1009, "{close:?}");
}

/// Issue 12, item 22: a store id holding a comma can be selected: lists may
/// be repeated parameters, and `%2C` is a comma inside an id.
#[tokio::test]
async fn filters_take_repeated_parameters_and_encoded_commas() {
    let app = spawn_app(test_config(), START + 61 * MIN).await;
    let body = [order("c1", "a,b", 100), order("c2", "s1", 7)].join("\n");
    let r = app.post_events(body, "application/x-ndjson").await;
    assert_eq!(r.status(), 200);
    let mut ws = connect(&app, "?stores=a%2Cb").await;
    let hello = next_frame(&mut ws).await;
    assert_eq!(hello["filter"]["stores"], serde_json::json!(["a,b"]));
    let snap = next_frame(&mut ws).await;
    assert_eq!(snap["totals"]["gmv"], 10000, "the store a,b alone");
    let mut ws = connect(&app, "?stores=s2&stores=s1,a%2Cb&channels=jd").await;
    let hello = next_frame(&mut ws).await;
    assert_eq!(
        hello["filter"]["stores"],
        serde_json::json!(["a,b", "s1", "s2"])
    );
    assert_eq!(hello["filter"]["channels"], serde_json::json!(["jd"]));
}

/// A screen merges a channel's tick onto its snapshot row (docs/api.md,
/// Tick rows): a channel that had no sales at the snapshot and then sells
/// without traffic or spend must show the API's cost-to-sales (0: spend 0
/// ÷ GMV), not the snapshot's `null` (no GMV yet) left standing.
#[tokio::test]
async fn a_channels_merged_cost_to_sales_is_the_apis_after_its_first_sale() {
    let app = spawn_app(test_config(), START + 61 * MIN).await;
    let mut ws = connect(&app, "").await;
    assert_eq!(next_frame(&mut ws).await["type"], "hello");
    let snap = next_frame(&mut ws).await;
    let mut row = snap["channels"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["id"] == "tmall"))
        .cloned()
        .expect("tmall in the snapshot");
    assert_eq!(row["cost_to_sales"], Value::Null, "no GMV yet");

    app.post_events(order("a", "s1", 100), "application/x-ndjson")
        .await;
    let tick = frame_where(&mut ws, |f| f["type"] == "tick" && f["events_applied"] == 1).await;
    let delta = tick["channels"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["id"] == "tmall"))
        .cloned()
        .expect("tmall in the tick");
    for (k, v) in delta.as_object().expect("object") {
        row[k] = v.clone();
    }
    let api = app.get("/api/v1/channels").await;
    let tmall = api
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["id"] == "tmall"))
        .cloned()
        .expect("tmall in the API");
    assert_eq!(tmall["cost_to_sales"], 0.0, "sales and no spend");
    for k in ["cost_to_sales", "conversion", "roi", "spend", "visitors"] {
        assert_eq!(row[k], tmall[k], "{k}: the merged row against the API");
    }
}
