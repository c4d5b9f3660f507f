//! docs/api.md, Storage, "Disk full", on the real binary and a real file
//! system that fills up: a small tmpfs mounted in a mount namespace of
//! its own (`unshare -m`), the server started inside it (`nsenter`).
//!
//! A batch answered `503` because the log has no room is not applied: the
//! figures never include it, so a `kill -9` and a restart never take
//! figures back. Screens are told the disk is full (all shown is stored)
//! and, once, that storage is ok again. When space comes back, ingest
//! resumes by itself.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::process::{Server, start_under};
use crate::unstored::{connect, frame_where};

/// A tmpfs of `size` on `dir`, in a mount namespace held open by a
/// sleeping process; `None` where namespaces or mounts are not allowed
/// (not root).
struct Mount {
    holder: Child,
}

impl Mount {
    fn new(dir: &Path, size: &str) -> Option<Mount> {
        let script = format!(
            "mount -t tmpfs -o size={size} warroom-test \"$0\" && echo mounted && exec sleep 600"
        );
        let mut holder = Command::new("unshare")
            .args(["-m", "--propagation", "private", "sh", "-c", &script])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let out = holder.stdout.take()?;
        let mut line = String::new();
        let mounted = BufReader::new(out).read_line(&mut line).is_ok() && line.trim() == "mounted";
        if !mounted {
            let _ = holder.kill();
            let _ = holder.wait();
            return None;
        }
        Some(Mount { holder })
    }

    fn pid(&self) -> String {
        self.holder.id().to_string()
    }

    /// `nsenter` into the namespace, then the command.
    fn prefix(&self) -> [String; 5] {
        ["nsenter", "-t", &self.pid(), "-m", "--"].map(String::from)
    }

    fn resize(&self, dir: &Path, size: &str) {
        let ok = Command::new("nsenter")
            .args(["-t", &self.pid(), "-m", "--", "mount", "-o"])
            .arg(format!("remount,size={size}"))
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "remount {}", dir.display());
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}

fn write_config(dir: &Path, data: &Path) -> std::path::PathBuf {
    let now = chrono::Utc::now();
    let text = format!(
        r#"[sale]
name = "full disk"
currency = "CNY"
timezone = "Asia/Shanghai"
starts = "{}"
ends = "{}"

[[skus]]
id = "k1"
stock = 100000000

[storage]
dir = "{}"
"#,
        (now - chrono::Duration::hours(1)).to_rfc3339(),
        (now + chrono::Duration::hours(23)).to_rfc3339(),
        data.display()
    );
    let path = dir.join("sale.toml");
    std::fs::write(&path, text).expect("config");
    path
}

/// Batch `n` of 200 distinct orders.
fn batch(n: usize) -> String {
    let now = chrono::Utc::now().timestamp_millis();
    (0..200)
        .map(|i| {
            format!(
                r#"{{"type":"order","id":"b{n}-{i}","ts":{now},"store":"s{}","buyer":"u{i}","items":[{{"sku":"k1","qty":1,"price":"12.34"}}]}}"#,
                i % 5
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn send(client: &reqwest::Client, server: &Server, body: String) -> (u16, String) {
    let r = client
        .post(format!("{}/api/v1/events", server.base))
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .expect("answer");
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

async fn applied(client: &reqwest::Client, server: &Server) -> u64 {
    let v: Value = client
        .get(format!("{}/api/v1/summary", server.base))
        .send()
        .await
        .expect("summary")
        .json()
        .await
        .expect("JSON");
    v["events_applied"].as_u64().expect("events_applied")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_refused_for_a_full_disk_is_never_shown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    // Needs root (CI runs as root): a test that cannot fill a real disk
    // fails rather than pass without trying.
    let mount = Mount::new(&data, "3m").expect(
        "a tmpfs in a mount namespace of its own (unshare -m, mount -t tmpfs: run as root)",
    );
    let config = write_config(dir.path(), &data);
    let prefix = mount.prefix();
    let prefix: Vec<&str> = prefix.iter().map(String::as_str).collect();
    let client = reqwest::Client::new();
    let mut server = start_under(&prefix, &config, &[], &[]).expect("start");
    assert!(server.ready(&client).await, "{}", server.stderr());

    // Fill the disk: every 200 is counted, no 503 is. A 503 may first say
    // the writer is still reserving (it tries smaller steps once a second)
    // and then that the disk has no space left.
    let mut accepted = 0u64;
    let mut refused = None;
    let deadline = Instant::now() + Duration::from_secs(60);
    for n in 0.. {
        assert!(Instant::now() < deadline, "the disk never filled up");
        let (status, body) = send(&client, &server, batch(n)).await;
        match status {
            200 => accepted += 200,
            503 => {
                assert!(
                    body.contains("nothing of it was applied")
                        || body.contains("nothing new is applied"),
                    "{body}"
                );
                assert_eq!(
                    applied(&client, &server).await,
                    accepted,
                    "a refused batch is not in the figures"
                );
                refused = Some(n);
                if body.contains("No space left on device") {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => panic!("{other}: {body}"),
        }
    }
    let refused = refused.expect("refused");
    assert!(accepted > 0, "some batches fit");
    let ready = client
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 503);
    assert_eq!(applied(&client, &server).await, accepted);
    // A screen joining now is told: nothing unstored, but no room.
    let mut ws = connect(&server).await;
    let snap = frame_where(&mut ws, |f| f["type"] == "snapshot").await;
    assert_eq!(
        snap["storage"],
        serde_json::json!({"ok": false, "unstored": 0, "reason": "disk_full"})
    );

    // Space comes back: within a few seconds the log has room again.
    mount.resize(&data, "64m");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = send(&client, &server, batch(1_000_000)).await;
        if status == 200 {
            accepted += 200;
            break;
        }
        assert!(Instant::now() < deadline, "{status}: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(applied(&client, &server).await, accepted);
    // The screen is told once that storage is ok again.
    let ok = frame_where(&mut ws, |f| {
        f["type"] == "tick" && f["storage"]["ok"] == true
    })
    .await;
    assert_eq!(ok["storage"], serde_json::json!({"ok": true}));
    let next = frame_where(&mut ws, |f| f["type"] == "tick").await;
    assert!(next.get("storage").is_none(), "{}", next["storage"]);
    drop(ws);

    // kill -9 and a restart: the figures are where they were.
    drop(server);
    let mut server = start_under(&prefix, &config, &[], &[]).expect("restart");
    assert!(server.ready(&client).await, "{}", server.stderr());
    assert_eq!(applied(&client, &server).await, accepted);
    let (status, body) = send(&client, &server, batch(refused)).await;
    assert_eq!(status, 200, "{body}");
    let reply: Value = serde_json::from_str(&body).expect("reply");
    assert_eq!(
        reply["accepted"], 200,
        "nothing of the refused batch was kept"
    );
}
