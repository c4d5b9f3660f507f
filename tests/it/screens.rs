//! The screen in a cluster (docs/api.md, Screens in a cluster): it moves
//! to the next node when its own is gone and never shows a lower figure
//! than it has shown. Frame by frame against stand-in nodes here (a node
//! below what was shown is held until it catches up; a node behind says
//! so); against real nodes on a real stream in `failover`.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::cdp::{Browser, chromium};
use crate::fake_node::FakeNode;
use crate::support::{MIN, START, TestApp, spawn_app, test_config};

/// Records, every 10 ms, any fall of the figure shown, of the rolling
/// counter, or of the stream sequence shown: `window.__falls` stays empty
/// while nothing ever runs back.
pub const WATCH_FALLS: &str = r#"(() => {
  const w = { last: 0, counter: 0, seq: 0 };
  window.__falls = [];
  setInterval(() => {
    const st = window.warroom.state;
    const v = Number(document.getElementById('gmv').dataset.value);
    if (v < w.last) window.__falls.push(['figure', w.last, v]);
    if (st.shownGmv < w.counter) window.__falls.push(['counter', w.counter, st.shownGmv]);
    if ((st.streamSeq ?? 0) < w.seq) window.__falls.push(['seq', w.seq, st.streamSeq]);
    w.last = Math.max(w.last, v);
    w.counter = Math.max(w.counter, st.shownGmv);
    w.seq = Math.max(w.seq, st.streamSeq ?? 0);
  }, 10);
  return true;
})()"#;

/// A real single node's hello, snapshot and first tick, to dress as a
/// cluster node's.
async fn real_frames(app: &TestApp) -> (Value, Value, Value) {
    let url = format!("ws://{}/api/v1/live", app.addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("live socket");
    let mut next = async || loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame")
            .expect("open")
            .expect("a message");
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(&t).expect("JSON");
            if v["type"] != "alert" {
                return v;
            }
        }
    };
    let hello = next().await;
    let snapshot = next().await;
    let tick = next().await;
    assert_eq!(
        (&hello["type"], &snapshot["type"], &tick["type"]),
        (&json!("hello"), &json!("snapshot"), &json!("tick"))
    );
    (hello, snapshot, tick)
}

/// `frame` as node `node` at stream sequence `seq` would send it, with `gmv`.
fn at(frame: &Value, node: &str, seq: u64, gmv: i64, lag_ms: u64) -> Value {
    let mut f = frame.clone();
    f["stream"] = json!({"seq": seq, "lag_ms": lag_ms, "behind": lag_ms > 3_000, "node": node});
    f["totals"]["gmv"] = json!(gmv);
    f
}

fn orders(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                r#"{{"type":"order","id":"o{i}","ts":{},"store":"s1","buyer":"u{i}","items":[{{"sku":"k1","qty":1,"price":"12.50"}}]}}"#,
                START + 60 * MIN - i as i64 * 1000
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const SHOWN: &str = "document.getElementById('gmv').dataset.value";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_screen_moves_between_nodes_and_never_shows_a_lower_sequence() {
    let Some(chromium) = chromium() else { return };
    let app = spawn_app(test_config(), START + 61 * MIN).await;
    let posted = app.post_events(orders(20), "application/x-ndjson").await;
    assert_eq!(posted.status(), 200);
    let (hello, snapshot, tick) = real_frames(&app).await;
    let (mut b, mut c) = (FakeNode::start().await, FakeNode::start().await);

    let mut page = Browser::launch(&chromium).await;
    page.open(&format!(
        "{}/?lang=en&token=wall-token-1&servers={},{}",
        app.base, b.base, c.base
    ))
    .await;
    page.wait_for(
        "document.getElementById('conn').classList.contains('live')",
        20,
        "the page's own node",
    )
    .await;
    assert_eq!(
        page.eval("document.getElementById('node').hidden").await,
        true,
        "one node: no label"
    );

    // Its node is gone: the page moves to the next, token and all.
    app.stop().await;
    let asked = b.wait_connected().await;
    assert!(
        asked.starts_with("/api/v1/live?") && asked.contains("token=wall-token-1"),
        "{asked}"
    );
    b.send(&hello);
    b.send(&at(&snapshot, "b", 100, 500_000, 0));
    b.send(&at(&tick, "b", 101, 510_000, 0));
    page.wait_for(&format!("{SHOWN} === '510000'"), 10, "node b's figures")
        .await;
    page.wait_for(
        "document.getElementById('node').textContent === 'node b'",
        5,
        "the node label",
    )
    .await;
    assert_eq!(page.eval(WATCH_FALLS).await, true);

    // b goes too; c is behind what was shown: its figures are held back.
    b.close();
    c.wait_connected().await;
    c.send(&hello);
    c.send(&at(&snapshot, "c", 90, 400_000, 5_000));
    page.wait_for(
        "window.warroom.state.held !== null",
        10,
        "c's snapshot held",
    )
    .await;
    page.wait_for(
        "document.getElementById('stream-alarm').textContent === 'This node is 5 s behind: the figures are not the newest'",
        5,
        "the behind banner",
    )
    .await;
    page.wait_for(
        "document.getElementById('node').textContent === 'node c · catching up'",
        5,
        "the held note",
    )
    .await;
    c.send(&at(&tick, "c", 95, 450_000, 2_000));
    page.wait_for(
        "window.warroom.state.held?.totals.gmv === 450000",
        5,
        "c's tick, held",
    )
    .await;
    page.wait_for(
        "document.getElementById('stream-alarm').hidden",
        5,
        "the banner gone",
    )
    .await;
    assert_eq!(page.eval(SHOWN).await, "510000", "never a lower figure");

    // c reaches what was shown: its figures from then on.
    c.send(&at(&tick, "c", 102, 520_000, 0));
    page.wait_for(
        &format!("{SHOWN} === '520000'"),
        5,
        "c's figures once level",
    )
    .await;
    page.wait_for(
        "document.getElementById('node').textContent === 'node c'",
        5,
        "the label",
    )
    .await;
    page.wait_for(
        "document.getElementById('gmv').textContent === window.warroom.fmt.moneyFull(520000)",
        10,
        "the counter to settle",
    )
    .await;
    // A tick below what is shown (it cannot come from one node, but a
    // screen must not trust that) is not shown either.
    c.send(&at(&tick, "c", 99, 100, 0));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(page.eval(SHOWN).await, "520000");
    assert_eq!(
        page.eval("window.__falls").await,
        json!([]),
        "nothing ran back"
    );
    assert_eq!(page.eval("window.warroom.errors").await, json!([]));
}
