//! No secret at rest or in the logs: the real binary, configured with auth
//! tokens (one literal, one from the environment), a signed hook and a hook
//! URL carrying an access token, takes events, fires an alert whose
//! delivery fails (so errors about the hooks are logged), checkpoints and
//! stops. Then every file of its data directory and every line it printed
//! (at debug level) is searched for each secret.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::process::start_with_env;

const INGEST_TOKEN: &str = "ingest-TOKEN-7f3a9c";
const VIEW_TOKEN_FROM_ENV: &str = "view-TOKEN-from-env-51be";
const HOOK_SECRET: &str = "SEChook-secret-4d2e8a";
const ACCESS_TOKEN: &str = "accesstoken0d9c6b";

fn config(dir: &Path) -> std::path::PathBuf {
    let now = chrono::Utc::now();
    let starts = (now - chrono::Duration::hours(1)).to_rfc3339();
    let ends = (now + chrono::Duration::hours(23)).to_rfc3339();
    // Port 9 (discard) refuses connections: every delivery fails and is
    // retried, so hook errors are logged.
    let text = format!(
        r#"[sale]
name = "secrets test"
currency = "CNY"
timezone = "Asia/Shanghai"
starts = "{starts}"
ends = "{ends}"
target = "1000"

[[stores]]
id = "s1"
target = "100"

[storage]
dir = "data"
checkpoint_every = 1

[auth]
ingest = ["{INGEST_TOKEN}"]
view = ["env:WARROOM_TEST_VIEW_TOKEN"]

[[alerts.hooks]]
name = "war room"
kind = "dingtalk"
url = "http://127.0.0.1:9/robot/send?access_token={ACCESS_TOKEN}"
secret = "{HOOK_SECRET}"

[[alerts.hooks]]
name = "ops"
kind = "slack"
url = "http://127.0.0.1:9/services/T000/B000/{ACCESS_TOKEN}"
"#
    );
    let path = dir.join("sale.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// Every file below `dir`, with its bytes.
fn files(dir: &Path, out: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir)
        .expect("read dir")
        .map_while(Result::ok)
    {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else {
            let bytes = std::fs::read(&path).expect("read file");
            out.push((path, bytes));
        }
    }
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_hook_url_or_secret_reaches_the_disk_or_the_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(dir.path());
    let mut server = start_with_env(
        &cfg,
        &[],
        &[
            ("WARROOM_TEST_VIEW_TOKEN", VIEW_TOKEN_FROM_ENV),
            ("RUST_LOG", "debug"),
        ],
    )
    .expect("server starts");
    let client = reqwest::Client::new();
    assert!(server.ready(&client).await, "ready: {}", server.stderr());
    let body: String = (0..20)
        .map(|i| format!(r#"{{"type":"order","id":"o{i}","store":"s1","items":[{{"sku":"k1","qty":1,"price":"10.00"}}]}}"#))
        .collect::<Vec<_>>()
        .join("\n");
    let r = client
        .post(format!("{}/api/v1/events", server.base))
        .bearer_auth(INGEST_TOKEN)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    let summary = client
        .get(format!("{}/api/v1/summary", server.base))
        .bearer_auth(VIEW_TOKEN_FROM_ENV)
        .send()
        .await
        .expect("summary");
    assert_eq!(summary.status(), 200, "the token from env: works");

    // Wait until an alert (store s1 past its target) has tried its hooks.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let alerts: serde_json::Value = client
            .get(format!("{}/api/v1/alerts", server.base))
            .bearer_auth(VIEW_TOKEN_FROM_ENV)
            .send()
            .await
            .expect("alerts")
            .json()
            .await
            .expect("json");
        let tried = alerts.as_array().is_some_and(|a| {
            a.iter()
                .any(|x| x["deliveries"].as_array().is_some_and(|d| d.len() >= 2))
        });
        if tried {
            break;
        }
        assert!(Instant::now() < deadline, "no delivery attempts: {alerts}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // SIGTERM: final checkpoint, alert book saved.
    let pid = server.child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.child.try_wait().ok().flatten().is_none() {
        assert!(Instant::now() < deadline, "did not stop");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let mut all = Vec::new();
    files(&dir.path().join("data"), &mut all);
    let names: Vec<String> = all
        .iter()
        .map(|(p, _)| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    assert!(
        names.iter().any(|n| n.starts_with("checkpoint-"))
            && names.iter().any(|n| n == "sale.json"),
        "the data directory holds a checkpoint and the sale record: {names:?}"
    );
    let log = server.stderr();
    assert!(
        log.contains("DEBUG") || log.contains("INFO"),
        "the log was captured: {log}"
    );
    for secret in [INGEST_TOKEN, VIEW_TOKEN_FROM_ENV, HOOK_SECRET, ACCESS_TOKEN] {
        assert!(!log.contains(secret), "{secret:?} in the log:\n{log}");
    }
    for secret in [INGEST_TOKEN, VIEW_TOKEN_FROM_ENV, HOOK_SECRET, ACCESS_TOKEN] {
        for (path, bytes) in &all {
            assert!(
                !contains(bytes, secret),
                "{secret:?} written to {}",
                path.display()
            );
        }
    }
}
