//! The real `warroom` binary as a child process: started on port 0, its
//! address read from the banner, its stderr kept for assertions, killed
//! and reaped when dropped.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `warroom serve` process on a port of its choosing.
pub struct Server {
    pub child: Child,
    pub base: String,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// The child is owned by `Server`, whose Drop kills and reaps it; clippy
// cannot see through that hand-off.
#[allow(clippy::zombie_processes)]
pub fn start(config: &Path, extra: &[&str]) -> Result<Server, String> {
    start_with_env(config, extra, &[])
}

/// `start`, with environment variables for the child (`RUST_LOG` is
/// `warn` unless given).
#[allow(clippy::zombie_processes)]
pub fn start_with_env(
    config: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Result<Server, String> {
    start_under(&[], config, extra, env)
}

/// `start_with_env`, the binary run by a wrapper command (`prefix`, e.g.
/// `nsenter … --`) that execs it, so the child is still the server.
#[allow(clippy::zombie_processes)]
pub fn start_under(
    prefix: &[&str],
    config: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Result<Server, String> {
    spawn(prefix, config, "127.0.0.1:0", extra, env)
}

/// `start_with_env` on a chosen address (a node restarted on its port).
#[allow(clippy::zombie_processes)]
pub fn start_on(
    config: &Path,
    listen: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Result<Server, String> {
    spawn(&[], config, listen, extra, env)
}

#[allow(clippy::zombie_processes)]
fn spawn(
    prefix: &[&str],
    config: &Path,
    listen: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Result<Server, String> {
    let bin = env!("CARGO_BIN_EXE_warroom");
    let (program, wrapper_args) = match prefix.split_first() {
        Some((first, rest)) => (*first, rest),
        None => (bin, &[][..]),
    };
    let mut command = Command::new(program);
    command.args(wrapper_args);
    if !prefix.is_empty() {
        command.arg(bin);
    }
    let mut child = command
        .args(["serve", "--config"])
        .arg(config)
        .args(["--listen", listen])
        .args(extra)
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start warroom");
    let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let err_pipe = child.stderr.take().expect("stderr");
    let sink = stderr.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(err_pipe).lines().map_while(Result::ok) {
            if let Ok(mut s) = sink.lock() {
                s.push_str(&line);
                s.push('\n');
            }
        }
    });
    let out = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) {
                let _ = tx.send(url.to_string());
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(20))
        .map_err(|_| "no banner".to_string())?;
    Ok(Server {
        child,
        base,
        stderr,
    })
}

impl Server {
    /// Waits for `/readyz`; returns false if the process exited instead.
    pub async fn ready(&mut self, client: &reqwest::Client) -> bool {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            let r = client.get(format!("{}/readyz", self.base)).send().await;
            if r.is_ok_and(|r| r.status() == 200) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }
}
