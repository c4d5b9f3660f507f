//! A real NATS JetStream cluster for the cluster tests: `nats-server`
//! processes on free loopback ports, one config file and store directory
//! each in a temporary directory, killed (SIGKILL) and restarted at will,
//! and read through their monitoring port (health, routes, which server
//! leads a stream). Debian's `nats-server` is a test dependency: CI
//! installs it (`.ci/run`); elsewhere a missing one skips the cluster
//! tests with a `SKIPPED` line, as the browser test does for Chromium.

use std::fs::OpenOptions;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long servers get to start, answer and form their cluster.
const FORM_PATIENCE: Duration = Duration::from_secs(20);

/// Where `nats-server` is, or why the cluster tests cannot run here. In CI
/// a missing server is a failure, never a skip.
pub fn nats_server() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("nats-server"))
            .find(|p| p.is_file())
    });
    let candidates = [
        std::env::var_os("NATS_SERVER").map(PathBuf::from),
        on_path,
        Some("/usr/sbin/nats-server".into()),
        Some("/usr/bin/nats-server".into()),
    ];
    let found = candidates.into_iter().flatten().find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install nats-server (apt-get install -y nats-server): the cluster tests may not skip in CI"
        );
        eprintln!(
            "SKIPPED cluster test: no nats-server found (install the Debian package `nats-server`, or set NATS_SERVER=path)"
        );
    }
    found
}

/// One server of the cluster: its ports, config file and process.
struct Server {
    name: String,
    config: PathBuf,
    log: PathBuf,
    client_port: u16,
    http_port: u16,
    child: Option<Child>,
}

/// `n` nats-servers with JetStream, all on loopback. Dropping it kills
/// them all.
pub struct NatsCluster {
    bin: PathBuf,
    servers: Vec<Server>,
    http: reqwest::Client,
    dir: tempfile::TempDir,
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for s in &mut self.servers {
            if let Some(mut c) = s.child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

/// `count` distinct free loopback ports: all bound at once, then released,
/// so no two of them are the same.
fn free_ports(count: usize) -> Vec<u16> {
    let held: Vec<TcpListener> = (0..count)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("bind a free loopback port"))
        .collect();
    held.iter()
        .map(|l| l.local_addr().expect("bound address").port())
        .collect()
}

impl NatsCluster {
    /// A cluster of `n` servers (3 for R3 streams), formed: every server
    /// healthy, routed to the other `n - 1`, and a JetStream meta leader
    /// elected. `None` when there is no `nats-server` here (the test skips).
    pub async fn start(n: usize) -> Option<NatsCluster> {
        assert!(n >= 1, "a cluster has at least one server");
        let bin = nats_server()?;
        let dir = tempfile::tempdir().expect("temporary directory for the NATS servers");
        let ports = free_ports(3 * n);
        let routes: Vec<String> = (0..n)
            .map(|i| format!("nats-route://127.0.0.1:{}", ports[3 * i + 1]))
            .collect();
        let mut servers = Vec::with_capacity(n);
        for i in 0..n {
            let name = format!("n{i}");
            let (client_port, route_port, http_port) =
                (ports[3 * i], ports[3 * i + 1], ports[3 * i + 2]);
            let store = dir.path().join(format!("{name}-store"));
            let cluster = if n > 1 {
                format!(
                    "cluster {{\n  name: warroom-test\n  listen: \"127.0.0.1:{route_port}\"\n  routes: [{}]\n}}\n",
                    routes.join(", ")
                )
            } else {
                String::new()
            };
            let text = format!(
                "server_name: {name}\nlisten: \"127.0.0.1:{client_port}\"\nhttp: \"127.0.0.1:{http_port}\"\n\
                 jetstream {{\n  store_dir: {store:?}\n  max_file_store: 1GB\n}}\n{cluster}"
            );
            let config = dir.path().join(format!("{name}.conf"));
            std::fs::write(&config, text).expect("write a nats-server config");
            servers.push(Server {
                log: dir.path().join(format!("{name}.log")),
                name,
                config,
                client_port,
                http_port,
                child: None,
            });
        }
        let mut cluster = NatsCluster {
            bin,
            servers,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(2))
                .build()
                .expect("HTTP client"),
            dir,
        };
        for i in 0..n {
            cluster.spawn(i);
        }
        for i in 0..n {
            cluster.wait_formed(i).await;
        }
        Some(cluster)
    }

    /// One server with JetStream (`-js`), for single-server streams (R1).
    pub async fn single() -> Option<NatsCluster> {
        NatsCluster::start(1).await
    }

    fn spawn(&mut self, i: usize) {
        let s = &mut self.servers[i];
        assert!(s.child.is_none(), "server {} is already running", s.name);
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&s.log)
            .expect("open the server's log file");
        let err = log.try_clone().expect("clone the log file handle");
        let child = Command::new(&self.bin)
            .arg("-c")
            .arg(&s.config)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", self.bin.display()));
        s.child = Some(child);
    }

    /// Waits until server `i` answers `/healthz`, has routes to every
    /// other server and knows the JetStream meta leader.
    async fn wait_formed(&mut self, i: usize) {
        let n = self.servers.len();
        let started = Instant::now();
        let mut last = String::from("no answer yet");
        while started.elapsed() < FORM_PATIENCE {
            if let Some(Ok(Some(status))) = self.servers[i].child.as_mut().map(Child::try_wait) {
                panic!(
                    "nats-server {} exited ({status}) while starting:\n{}",
                    self.servers[i].name,
                    self.logs(i)
                );
            }
            match self.formed(i, n).await {
                Ok(()) => return,
                Err(why) => last = why,
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "nats-server {} not ready after {FORM_PATIENCE:?}: {last}\n{}",
            self.servers[i].name,
            self.logs(i)
        );
    }

    async fn formed(&self, i: usize, n: usize) -> Result<(), String> {
        let health = self.monitor(i, "/healthz").await?;
        if health["status"] != "ok" {
            return Err(format!("/healthz: {health}"));
        }
        if n == 1 {
            return Ok(());
        }
        let routes = self.monitor(i, "/routez").await?["num_routes"]
            .as_u64()
            .unwrap_or(0);
        if routes < n as u64 - 1 {
            return Err(format!("{routes} of {} routes", n - 1));
        }
        let jsz = self.monitor(i, "/jsz").await?;
        match jsz["meta_cluster"]["leader"].as_str() {
            Some(l) if !l.is_empty() => Ok(()),
            _ => Err(format!(
                "no JetStream meta leader yet: {}",
                jsz["meta_cluster"]
            )),
        }
    }

    /// GET on server `i`'s monitoring port, as JSON.
    async fn monitor(&self, i: usize, path: &str) -> Result<Value, String> {
        let url = format!("http://127.0.0.1:{}{path}", self.servers[i].http_port);
        let r = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let bytes = r.bytes().await.map_err(|e| format!("{url}: {e}"))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("{url}: {e}"))
    }

    /// How many servers the cluster has.
    pub fn len(&self) -> usize {
        self.servers.len()
    }

    /// Client URLs of all servers, running or not (`nats://127.0.0.1:PORT`).
    pub fn urls(&self) -> Vec<String> {
        (0..self.servers.len()).map(|i| self.url(i)).collect()
    }

    /// Client URL of server `i`.
    pub fn url(&self, i: usize) -> String {
        format!("nats://127.0.0.1:{}", self.servers[i].client_port)
    }

    /// Server `i`'s `server_name` (`n0`, `n1`, …).
    pub fn name(&self, i: usize) -> &str {
        &self.servers[i].name
    }

    /// The directory holding the configs, logs and store directories.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn is_running(&self, i: usize) -> bool {
        self.servers[i].child.is_some()
    }

    /// SIGKILLs server `i`; its store directory stays for [`restart`].
    ///
    /// [`restart`]: NatsCluster::restart
    pub fn kill(&mut self, i: usize) {
        let s = &mut self.servers[i];
        let mut child = s
            .child
            .take()
            .unwrap_or_else(|| panic!("server {} is not running", s.name));
        child.kill().expect("SIGKILL nats-server");
        let _ = child.wait();
    }

    /// Starts server `i` again with the same config and store, and waits
    /// until it is back in the cluster.
    pub async fn restart(&mut self, i: usize) {
        self.spawn(i);
        self.wait_formed(i).await;
    }

    /// Which server leads `stream`'s RAFT group, as its running servers
    /// report it (`/jsz?accounts=true&streams=true`); `None` while there is
    /// no leader (an election) or no running server knows the stream.
    pub async fn stream_leader(&self, stream: &str) -> Option<usize> {
        for i in (0..self.servers.len()).filter(|&i| self.is_running(i)) {
            let Some(detail) = self.stream_detail(i, stream).await else {
                continue;
            };
            let leader = detail["cluster"]["leader"].as_str().unwrap_or("");
            if let Some(at) = self.servers.iter().position(|s| s.name == leader)
                && self.is_running(at)
            {
                return Some(at);
            }
        }
        None
    }

    /// The number of messages server `i`'s replica of `stream` holds.
    pub async fn stream_messages(&self, i: usize, stream: &str) -> Option<u64> {
        self.stream_detail(i, stream).await?["state"]["messages"].as_u64()
    }

    /// Server `i`'s view of `stream` (`stream_detail` of `/jsz`).
    pub async fn stream_detail(&self, i: usize, stream: &str) -> Option<Value> {
        let jsz = self
            .monitor(i, "/jsz?accounts=true&streams=true")
            .await
            .ok()?;
        jsz["account_details"]
            .as_array()?
            .iter()
            .filter_map(|a| a["stream_detail"].as_array())
            .flatten()
            .find(|s| s["name"] == stream)
            .cloned()
    }

    /// Everything server `i` has logged (all its runs), for failure messages.
    pub fn logs(&self, i: usize) -> String {
        let s = &self.servers[i];
        match std::fs::read_to_string(&s.log) {
            Ok(text) => format!("--- {} ({}) ---\n{text}", s.name, s.log.display()),
            Err(e) => format!("--- {}: no log ({e}) ---", s.name),
        }
    }

    /// Every server's log.
    pub fn all_logs(&self) -> String {
        (0..self.servers.len())
            .map(|i| self.logs(i))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A `[cluster]` section for a warroom node on this cluster: every
    /// server's URL, the stream, its replicas and the node's name.
    pub fn cluster_toml(&self, stream: &str, replicas: usize, node: &str) -> String {
        let urls: Vec<String> = self.urls().iter().map(|u| format!("{u:?}")).collect();
        format!(
            "\n[cluster]\nnats = [{}]\nstream = {stream:?}\nreplicas = {replicas}\nnode = {node:?}\n",
            urls.join(", ")
        )
    }

    /// A client connected to the cluster (any server; it reconnects to
    /// another when its server dies).
    pub async fn client(&self) -> async_nats::Client {
        let urls = self.urls();
        async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(2))
            .max_reconnects(None::<usize>)
            .connect(urls.as_slice())
            .await
            .unwrap_or_else(|e| panic!("connect to {urls:?}: {e}\n{}", self.all_logs()))
    }
}

/// Polls `probe` every 100 ms until it answers `Some`, for up to `patience`.
pub async fn wait_for<T, F, Fut>(patience: Duration, mut probe: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(v) = probe().await {
            return Some(v);
        }
        if started.elapsed() >= patience {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
