//! Shared helpers: a test sale config, an engine on a manual clock, and a
//! real server on port 0 built by the same `App::build` as `warroom serve`
//! (with a data directory, the log, checkpoints and the alert task).

use std::path::Path;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use warroom::app::{App, Options};
use warroom::clock::ManualClock;
use warroom::config::{self, Config};
use warroom::engine::Engine;
use warroom::http::WebAssets;
use warroom::ingest::{Ingest, Reply};
use warroom::metrics::HttpMetrics;
use warroom::shutdown::Shutdown;

/// 2026-11-11T00:00:00+08:00, the test sale's start.
pub const START: i64 = 1_794_326_400_000;
pub const MIN: i64 = 60_000;

pub const SALE_TOML: &str = r#"
[sale]
name = "Test Sale 测试"
currency = "CNY"
timezone = "Asia/Shanghai"
starts = "2026-11-11T00:00:00+08:00"
ends = "2026-11-12T00:00:00+08:00"
target = "1000000"
profit_target = "100000.00"
plan = [[0.0, 0.0], [0.04, 0.30], [1.0, 1.0]]

[[channels]]
id = "tmall"
name = "天猫"
target = "600000"

[[channels]]
id = "jd"
name = "京东"
target = 300000.00
profit_target = "50000"

[[stores]]
id = "s1"
name = "天猫旗舰店"
channel = "tmall"
target = "300000"

[[stores]]
id = "s2"
name = "京东自营"
channel = "jd"
target = "200000"

[[skus]]
id = "k1"
name = "保温杯 500ml"
stock = 100
target_units = 50
cost = "60.00"
low_stock = 10

[[skus]]
id = "k2"
name = "羽绒服"
stock = 1000
target_units = 400
"#;

pub fn test_config() -> Config {
    config::parse_str(SALE_TOML, "test.toml", Path::new(".")).expect("test config is valid")
}

/// An ingest handle over a fresh engine whose clock reads `now_ms`.
pub fn ingest_at(now_ms: i64) -> (Ingest, ManualClock) {
    ingest_with(test_config(), now_ms)
}

pub fn ingest_with(cfg: Config, now_ms: i64) -> (Ingest, ManualClock) {
    let clock = ManualClock::new(now_ms);
    let engine = Engine::new(Arc::new(cfg), Arc::new(clock.clone()));
    (Ingest::new(engine, Arc::new(HttpMetrics::default())), clock)
}

/// Submits NDJSON and expects a reply (not a 400).
pub fn post(ingest: &Ingest, body: &str) -> Reply {
    ingest
        .submit(body.as_bytes(), Some("application/x-ndjson"))
        .expect("body is readable")
        .reply
}

/// A running server on loopback.
pub struct TestApp {
    pub base: String,
    pub addr: std::net::SocketAddr,
    pub client: reqwest::Client,
    pub alerts: warroom::alerts::Alerts,
    pub clock: ManualClock,
    /// The runtime the live push runs on.
    pub screens: warroom::screens::Screens,
    shutdown: Shutdown,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    /// The data directory made for a config that names none.
    _data: Option<tempfile::TempDir>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.trigger();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A server on 127.0.0.1, port 0, whose engine clock reads `now_ms`.
pub async fn spawn_app(cfg: Config, now_ms: i64) -> TestApp {
    spawn_app_on(cfg, now_ms, "127.0.0.1:0").await
}

/// A server on a given address (to bring one back on the same port).
pub async fn spawn_app_on(cfg: Config, now_ms: i64, addr: &str) -> TestApp {
    spawn(cfg, now_ms, addr, Options::default()).await
}

/// A server whose screen files come from `web` (e.g. `--web-dir`).
pub async fn spawn_app_web(cfg: Config, now_ms: i64, web: WebAssets) -> TestApp {
    let options = Options {
        web,
        ..Options::default()
    };
    spawn(cfg, now_ms, "127.0.0.1:0", options).await
}

/// A server whose alert rules run only when the test calls
/// `alerts.evaluate()`: for tests that step the clock and check what each
/// evaluation fired (the once-a-second task would race them).
pub async fn spawn_app_manual_alerts(cfg: Config, now_ms: i64) -> TestApp {
    let options = Options {
        manual_alerts: true,
        ..Options::default()
    };
    spawn(cfg, now_ms, "127.0.0.1:0", options).await
}

/// Builds and serves the app as `warroom serve` does, and returns once it
/// is ready (recovered, log attached, every task started).
async fn spawn(mut cfg: Config, now_ms: i64, addr: &str, options: Options) -> TestApp {
    let data = match cfg.storage.dir {
        Some(_) => None,
        None => {
            let dir = tempfile::tempdir().expect("tempdir");
            cfg.storage.dir = Some(dir.path().to_path_buf());
            Some(dir)
        }
    };
    let clock = ManualClock::new(now_ms);
    let app = App::build(cfg, Arc::new(clock.clone()), options).expect("app builds");
    let state = app.state().clone();
    let listener = TcpListener::bind(addr).await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let (tx, rx) = oneshot::channel::<()>();
    let stop = async {
        let _ = rx.await;
    };
    let task = tokio::spawn(app.serve(listener, stop, |_| {}));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !state.ingest.is_ready() || state.ingest.log().storage().is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "the test app did not become ready"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    TestApp {
        base: format!("http://{addr}"),
        addr,
        client: reqwest::Client::new(),
        alerts: state.alerts.clone(),
        clock,
        screens: state.screens.clone(),
        shutdown: state.shutdown.clone(),
        stop: Some(tx),
        task: Some(task),
        _data: data,
    }
}

impl TestApp {
    /// Stops the server as SIGTERM would: sockets told, listener closed.
    pub async fn stop(mut self) {
        self.shutdown.trigger();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(10), task).await;
        }
    }

    /// The `/metrics` text.
    pub async fn metrics(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    }

    pub async fn get(&self, path: &str) -> serde_json::Value {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json().await.expect("JSON")
    }

    pub async fn post_events(&self, body: String, content_type: &str) -> reqwest::Response {
        self.client
            .post(format!("{}/api/v1/events", self.base))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("POST")
    }
}

/// Sends `request` as written on a fresh connection and returns what the
/// server answered within `wait` (status line, headers, body) as text: for
/// heads no HTTP client would send (forged `Host`, `Expect`, huge lengths).
pub async fn raw_request(
    addr: std::net::SocketAddr,
    request: &[u8],
    wait: std::time::Duration,
) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(request).await.expect("write");
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let read = tokio::time::timeout_at(deadline, s.read(&mut buf)).await;
        match read {
            Ok(Ok(n)) if n > 0 => {
                got.extend_from_slice(&buf[..n]);
                // One whole answer is enough: the head and its body.
                let text = String::from_utf8_lossy(&got);
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if !head.starts_with("HTTP/1.1 100") && body.len() >= len {
                        break;
                    }
                }
            }
            _ => break,
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}
