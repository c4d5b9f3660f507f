//! What a screen costs the server in memory once it has had its snapshot
//! (docs/scaling.md, Many screens on one node): the real binary, its
//! resident memory (VmRSS) before and after hundreds of screens connect.
//! A screen's frames are shared bytes written from where they are; nothing
//! the size of the connect's snapshot stays behind per socket.

use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::memory::rss_kb;
use crate::process;

fn write_config(dir: &Path) -> std::path::PathBuf {
    let now = chrono::Utc::now();
    let starts = (now - chrono::Duration::hours(1)).to_rfc3339();
    let ends = (now + chrono::Duration::hours(23)).to_rfc3339();
    let text = format!(
        "[sale]\nname = \"screens\"\ncurrency = \"CNY\"\ntimezone = \"Asia/Shanghai\"\nstarts = \"{starts}\"\nends = \"{ends}\"\n"
    );
    let path = dir.join("sale.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// A screen that reads and drops everything; counts what it read.
async fn screen(addr: String, read: std::sync::Arc<std::sync::atomic::AtomicU64>) {
    let Ok(mut tcp) = TcpStream::connect(&addr).await else {
        return;
    };
    let req = format!(
        "GET /api/v1/live HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    if tcp.write_all(req.as_bytes()).await.is_err() {
        return;
    }
    let mut buf = [0u8; 16 * 1024];
    while let Ok(n) = tcp.read(&mut buf).await {
        if n == 0 {
            return;
        }
        read.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screen_keeps_nothing_the_size_of_its_snapshot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path());
    let mut server = process::start(&config, &[]).expect("start");
    let client = reqwest::Client::new();
    assert!(server.ready(&client).await, "{}", server.stderr());
    // Hundreds of stores and SKUs: a snapshot of tens of KB.
    let ts = chrono::Utc::now().timestamp_millis() - 1000;
    let body: Vec<String> = (0..3000)
        .map(|i| {
            format!(
                r#"{{"type":"order","id":"o{i}","ts":{ts},"store":"store-with-a-long-name-{:04}","items":[{{"sku":"sku-with-a-long-name-{:04}","qty":1,"price":"{}.37"}}]}}"#,
                i % 700,
                i % 900,
                10 + i % 97
            )
        })
        .collect();
    let r = client
        .post(format!("{}/api/v1/events", server.base))
        .body(body.join("\n"))
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 200);
    let addr = server.base.trim_start_matches("http://").to_string();
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/api/v1/live"))
        .await
        .expect("websocket");
    let snapshot = loop {
        let msg = ws.next().await.expect("open").expect("frame");
        let text = msg.into_text().expect("text");
        if text.contains(r#""type":"snapshot""#) {
            break text.len() as u64;
        }
    };
    drop(ws);
    assert!(snapshot > 40_000, "the snapshot is {snapshot} bytes");

    let pid = server.child.id();
    let read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let open = |n: usize| {
        for _ in 0..n {
            tokio::spawn(screen(addr.clone(), read.clone()));
        }
    };
    let wait_for = |bytes: u64| {
        let read = read.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(30);
            while read.load(std::sync::atomic::Ordering::Relaxed) < bytes {
                assert!(Instant::now() < deadline, "the screens got their snapshots");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    };
    // Warm up (threads, allocator arenas), then measure many more.
    open(50);
    wait_for(50 * snapshot).await;
    let before = rss_kb(pid);
    const SCREENS: u64 = 300;
    open(SCREENS as usize);
    wait_for((50 + SCREENS) * snapshot).await;
    let after = rss_kb(pid);
    let per_screen = after.saturating_sub(before) * 1024 / SCREENS;
    assert!(
        per_screen < snapshot / 2,
        "{per_screen} bytes a screen for a snapshot of {snapshot} (RSS {before} → {after} KB)"
    );
}
