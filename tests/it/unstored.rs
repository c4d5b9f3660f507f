//! docs/api.md, Live frames, "Storage on the screen", on the real binary
//! with real files: when a batch is shown but cannot be stored (the log
//! segment is `/dev/full`, which cannot reserve space, so the batch is
//! applied before its write fails), the live socket says so in its ticks
//! and in the snapshot a new screen gets, and the web screen shows a red
//! banner across the top (screenshot: `target/screen-unstored.png`).

use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use crate::cdp::{Browser, chromium};
use crate::crash::{stream, write_config};
use crate::process::{Server, start};

fn target_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}

pub(crate) type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A server whose log segment is `/dev/full`, ready (nothing written yet).
async fn server_on_a_full_disk(dir: &Path, client: &reqwest::Client) -> Server {
    let config = write_config(dir, "interval");
    let data = dir.join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let segment = data.join(format!("wal-{:020}.log", 1));
    std::os::unix::fs::symlink("/dev/full", &segment).expect("symlink");
    let mut server = start(&config, &[]).expect("start");
    assert!(server.ready(client).await, "{}", server.stderr());
    server
}

/// Posts a batch that is applied and then cannot be written: `503`.
async fn post_unstorable(client: &reqwest::Client, server: &Server) {
    let (lines, _) = stream(50, 5);
    let r = client
        .post(format!("{}/api/v1/events", server.base))
        .header("content-type", "application/x-ndjson")
        .body(lines.join("\n"))
        .send()
        .await
        .expect("answer");
    let status = r.status().as_u16();
    assert_eq!(status, 503, "{}", r.text().await.unwrap_or_default());
}

/// A live socket to the server, unfiltered.
pub(crate) async fn connect(server: &Server) -> Ws {
    let url = format!("{}/api/v1/live", server.base.replacen("http", "ws", 1));
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("websocket");
    ws
}

/// Reads frames until one satisfies `pred` (10 s at most).
pub(crate) async fn frame_where(ws: &mut Ws, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let msg = tokio::time::timeout(left, ws.next())
            .await
            .expect("a matching frame within 10 s")
            .expect("socket open")
            .expect("frame");
        if let Message::Text(t) = msg {
            let f: Value = serde_json::from_str(&t).expect("JSON frame");
            if pred(&f) {
                return f;
            }
        }
    }
}

fn says_unstored(f: &Value) -> bool {
    f["storage"]["ok"] == false && f["storage"]["unstored"].as_u64().is_some_and(|n| n >= 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screens_are_told_when_figures_shown_are_not_yet_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = reqwest::Client::new();
    let server = server_on_a_full_disk(dir.path(), &client).await;

    // A screen watching before anything fails: all is stored, so its
    // snapshot and ticks say nothing about storage.
    let mut ws = connect(&server).await;
    let snap = frame_where(&mut ws, |f| f["type"] == "snapshot").await;
    assert!(snap.get("storage").is_none(), "{}", snap["storage"]);
    let tick = frame_where(&mut ws, |f| f["type"] == "tick").await;
    assert!(tick.get("storage").is_none(), "{}", tick["storage"]);

    post_unstorable(&client, &server).await;
    // Its ticks now say so, with the count and a generic reason.
    let tick = frame_where(&mut ws, |f| f["type"] == "tick" && says_unstored(f)).await;
    assert_eq!(tick["storage"]["unstored"], 1, "{}", tick["storage"]);
    assert_eq!(tick["storage"]["reason"], "write_failed");
    assert!(
        tick["events_applied"].as_u64().is_some_and(|n| n > 0),
        "the batch is shown: {}",
        tick["events_applied"]
    );
    let text = tick["storage"].to_string();
    assert!(
        !text.contains("/dev/full") && !text.contains(&*dir.path().to_string_lossy()),
        "no path on a screen: {text}"
    );
    // Every tick, not only the first one after the failure.
    let next = frame_where(&mut ws, |f| {
        f["type"] == "tick" && f["seq"].as_u64() > tick["seq"].as_u64()
    })
    .await;
    assert!(says_unstored(&next), "{}", next["storage"]);

    // A screen that joins meanwhile is told in its snapshot.
    let mut late = connect(&server).await;
    let snap = frame_where(&mut late, |f| f["type"] == "snapshot").await;
    assert!(says_unstored(&snap), "{}", snap["storage"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_screen_shows_a_banner_while_figures_are_not_yet_stored() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let client = reqwest::Client::new();
    let server = server_on_a_full_disk(dir.path(), &client).await;

    let mut b = Browser::launch(&chromium).await;
    b.open(&format!("{}/", server.base)).await;
    b.wait_for(
        "document.getElementById('conn').classList.contains('live')",
        20,
        "the live badge",
    )
    .await;
    let hidden = b
        .eval("document.getElementById('storage-alarm').hidden")
        .await;
    assert_eq!(hidden, Value::Bool(true), "no banner while all is stored");

    post_unstorable(&client, &server).await;
    b.wait_for(
        "!document.getElementById('storage-alarm').hidden && document.getElementById('storage-alarm').dataset.unstored === '1'",
        10,
        "the storage banner",
    )
    .await;
    let text = b
        .eval("document.getElementById('storage-alarm').textContent")
        .await;
    assert!(
        text.as_str()
            .is_some_and(|t| t.contains("数据未落盘") && t.contains("1 批")),
        "{text}"
    );
    let errors = b.eval("window.warroom.errors").await;
    assert_eq!(
        errors,
        serde_json::json!([]),
        "no script errors on the page"
    );
    b.screenshot(&target_dir().join("screen-unstored.png"))
        .await;

    // In English too.
    b.open(&format!("{}/?lang=en", server.base)).await;
    b.wait_for(
        "document.getElementById('storage-alarm').textContent.includes('1 batch(es) not yet saved')",
        20,
        "the English banner",
    )
    .await;
}
