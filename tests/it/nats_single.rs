//! One `nats-server -js` on a free loopback port, for the alert lease and
//! journal tests. Without `nats-server` the tests skip with a `SKIPPED`
//! line, except in CI (`CI` set), where that is a failure.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Nats {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Nats {
    pub fn urls(&self) -> Vec<String> {
        vec![format!("nats://127.0.0.1:{}", self.port)]
    }
}

fn nats_server() -> Option<PathBuf> {
    let found = [
        std::env::var_os("NATS_SERVER").map(PathBuf::from),
        Some("/usr/sbin/nats-server".into()),
        Some("/usr/bin/nats-server".into()),
    ]
    .into_iter()
    .flatten()
    .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install nats-server: the cluster tests may not skip in CI"
        );
        eprintln!("SKIPPED cluster test: no nats-server found (set NATS_SERVER=path)");
    }
    found
}

/// A server with JetStream, accepting connections; `None` (skip) without one.
pub async fn single() -> Option<Nats> {
    let bin = nats_server()?;
    let dir = tempfile::tempdir().expect("tempdir");
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(bin)
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server starts");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "nats-server did not listen"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Some(Nats {
        child,
        port,
        _dir: dir,
    })
}
