//! A warroom node of the cluster tests: the real binary on a port of its
//! own (kept across restarts, so clients find it again), a config with the
//! sale and a `[cluster]` section, a data directory, and the stderr of
//! every run it had.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::load::{SKUS, STORES, sku_cost, sku_stock};
use crate::process::{Server, start_on};

/// The sale of the cluster tests, starting a whole minute about an hour
/// before `now_ms` (so the timeline has rows) and lasting a day.
pub fn sale_toml(starts_ms: i64) -> String {
    let at = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default()
    };
    let mut s = format!(
        "[sale]\nname = \"cluster e2e\"\ncurrency = \"CNY\"\ntimezone = \"Asia/Shanghai\"\n\
         starts = \"{}\"\nends = \"{}\"\ntarget = \"5000000\"\n\n\
         [[channels]]\nid = \"tmall\"\ntarget = \"3000000\"\n\n[[channels]]\nid = \"jd\"\n",
        at(starts_ms),
        at(starts_ms + 86_400_000)
    );
    for (id, channel) in STORES {
        s.push_str(&format!(
            "\n[[stores]]\nid = \"{id}\"\nchannel = \"{channel}\"\n"
        ));
    }
    for k in 1..=SKUS {
        s.push_str(&format!("\n[[skus]]\nid = \"k{k:02}\"\n"));
        if let Some(stock) = sku_stock(k) {
            s.push_str(&format!("stock = {stock}\n"));
        }
        if let Some(cost) = sku_cost(k) {
            s.push_str(&format!("cost = \"{}.{:02}\"\n", cost / 100, cost % 100));
        }
    }
    s
}

/// The sale's start for a test run now: a whole minute about an hour ago.
pub fn starts_now() -> i64 {
    let now = chrono::Utc::now().timestamp_millis();
    (now - 3_600_000) / 60_000 * 60_000
}

/// A free loopback address, released for the node to bind.
fn free_addr() -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a free loopback port");
    let addr = l.local_addr().expect("bound address");
    format!("127.0.0.1:{}", addr.port())
}

pub struct Node {
    pub name: String,
    pub dir: PathBuf,
    pub config: PathBuf,
    pub listen: String,
    pub base: String,
    pub server: Option<Server>,
    /// stderr of the runs before the current one.
    past: String,
}

impl Node {
    /// Writes `name`'s config (the sale, `[storage]` with `storage_extra`,
    /// then `cluster`) under `root/name`.
    pub fn new(root: &Path, name: &str, sale: &str, storage_extra: &str, cluster: &str) -> Node {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).expect("node directory");
        let config = dir.join("sale.toml");
        let text = format!("{sale}\n[storage]\ndir = \"data\"\n{storage_extra}\n{cluster}");
        std::fs::write(&config, text).expect("write the node's config");
        let listen = free_addr();
        Node {
            name: name.to_string(),
            base: format!("http://{listen}"),
            dir,
            config,
            listen,
            server: None,
            past: String::new(),
        }
    }

    pub fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Starts the binary on the node's port (info logs: the catch-up line).
    pub fn start(&mut self) {
        assert!(self.server.is_none(), "{} is running", self.name);
        let server = start_on(
            &self.config,
            &self.listen,
            &[],
            &[("RUST_LOG", "warn,warroom=info")],
        )
        .unwrap_or_else(|e| panic!("start node {}: {e}\n{}", self.name, self.past));
        assert_eq!(server.base, self.base, "node {} moved", self.name);
        self.server = Some(server);
    }

    /// Waits for `/readyz` 200; panics with the node's log if it exited.
    pub async fn ready(&mut self, client: &reqwest::Client) {
        let server = self.server.as_mut().expect("running");
        assert!(
            server.ready(client).await,
            "node {} not ready:\n{}",
            self.name,
            server.stderr()
        );
    }

    /// SIGKILL, keeping what it logged.
    pub fn kill(&mut self) {
        let mut server = self.server.take().expect("running");
        let _ = server.child.kill();
        let _ = server.child.wait();
        self.past.push_str(&server.stderr());
    }

    /// SIGTERM and the exit status (a clean stop writes a final checkpoint).
    pub fn terminate(&mut self) -> ExitStatus {
        let mut server = self.server.take().expect("running");
        let _ = Command::new("kill")
            .args(["-TERM", &server.child.id().to_string()])
            .status();
        let status = server.child.wait().expect("exit");
        // The stderr reader may still be draining the pipe.
        std::thread::sleep(Duration::from_millis(100));
        self.past.push_str(&server.stderr());
        status
    }

    /// The current run's stderr.
    pub fn current_log(&self) -> String {
        self.server.as_ref().map(Server::stderr).unwrap_or_default()
    }

    /// stderr of every run.
    pub fn log(&self) -> String {
        format!("{}{}", self.past, self.current_log())
    }

    /// Waits until the process exits by itself (a refused start); its
    /// status and stderr.
    pub fn exit(&mut self, patience: Duration) -> (Option<ExitStatus>, String) {
        let mut server = self.server.take().expect("running");
        let started = Instant::now();
        let status = loop {
            if let Ok(Some(s)) = server.child.try_wait() {
                break Some(s);
            }
            if started.elapsed() > patience {
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        std::thread::sleep(Duration::from_millis(100));
        let log = server.stderr();
        self.past.push_str(&log);
        (status, log)
    }
}

/// POSTs an NDJSON body; the status, `Retry-After` and the JSON answer.
pub async fn post(
    client: &reqwest::Client,
    base: &str,
    body: &str,
) -> Result<(u16, Option<String>, Value), String> {
    let r = client
        .post(format!("{base}/api/v1/events"))
        .header("content-type", "application/x-ndjson")
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| format!("{base}: {}", chain(&e)))?;
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = r.bytes().await.map_err(|e| format!("{base}: {e}"))?;
    let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok((status, retry, v))
}

/// An error and its causes, one after the other.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(&format!(": {c}"));
        cause = c.source();
    }
    out
}

/// GET as JSON (panics on anything but 200).
pub async fn get(client: &reqwest::Client, base: &str, path: &str) -> Value {
    let url = format!("{base}{path}");
    let r = client
        .get(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    assert_eq!(r.status(), 200, "{url}");
    r.json().await.unwrap_or_else(|e| panic!("{url}: {e}"))
}

/// `/readyz`: the status and its text, or `None` if the node is down.
pub async fn readyz(client: &reqwest::Client, base: &str) -> Option<(u16, String)> {
    let r = client.get(format!("{base}/readyz")).send().await.ok()?;
    let status = r.status().as_u16();
    Some((status, r.text().await.unwrap_or_default()))
}

/// The stream sequence a node applied (`warroom_cluster_applied_seq`).
pub async fn applied_seq(client: &reqwest::Client, base: &str) -> Option<u64> {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find(|l| l.starts_with("warroom_cluster_applied_seq{"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.trim().parse().ok())
}

/// The newest `checkpoint-<seq>.bin` of a data directory: name and bytes.
pub fn newest_checkpoint(data: &Path) -> Option<(String, Vec<u8>)> {
    let mut names: Vec<String> = std::fs::read_dir(data)
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("checkpoint-") && n.ends_with(".bin"))
        .collect();
    names.sort();
    let name = names.pop()?;
    let bytes = std::fs::read(data.join(&name)).ok()?;
    Some((name, bytes))
}
