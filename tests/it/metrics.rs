//! `/metrics` is valid Prometheus text: `promtool check metrics` (Debian's
//! `prometheus` package, which `.ci/run` installs) accepts the live output.

use std::io::Write;
use std::process::{Command, Stdio};

use warroom::config::{HookConfig, HookKind};

use crate::support::{MIN, START, spawn_app, test_config};

fn promtool() -> Option<&'static str> {
    let found = Command::new("promtool")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install promtool (apt-get install -y prometheus)"
        );
        eprintln!("SKIPPED promtool check: promtool not installed (apt-get install prometheus)");
    }
    found.then_some("promtool")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promtool_accepts_the_metrics() {
    let Some(promtool) = promtool() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = test_config();
    cfg.alerts.hooks.push(HookConfig {
        name: "hook \"one\"".into(),
        kind: HookKind::Slack,
        url: "http://127.0.0.1:9/unreachable".into(),
        secret: None,
        mobiles: vec![],
        at_all: false,
    });
    cfg.alerts.rules.retry_base_ms = 10;
    cfg.storage.dir = Some(dir.path().to_path_buf());
    let app = spawn_app(cfg, START + 60 * MIN).await;
    let body = (0..100)
        .map(|i| format!(r#"{{"type":"order","id":"m{i}","store":"s1","items":[{{"sku":"k9","qty":1,"price":2000}}]}}"#))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        app.post_events(body, "application/x-ndjson").await.status(),
        200
    );
    app.post_events("garbage".into(), "application/x-ndjson")
        .await;
    app.get("/api/v1/summary").await;
    app.alerts.evaluate();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let text = loop {
        let text = app
            .client
            .get(format!("{}/metrics", app.base))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        if text.contains("warroom_alert_deliveries_total{") || std::time::Instant::now() > deadline
        {
            break text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    for family in [
        "warroom_ingest_events_total{result=\"accepted\"} 100",
        "warroom_http_request_duration_seconds_bucket{route=\"ingest\",le=\"+Inf\"} 2",
        "warroom_wal_bytes_total",
        "warroom_wal_fsyncs_total",
        "warroom_idempotency_keys 100",
        "warroom_live_screens 0",
        "warroom_live_bytes_sent_total{encoding=\"deflate\"} 0",
        "warroom_live_screens_deflate 0",
        "warroom_alert_deliveries_total{hook=\"hook \\\"one\\\"\"",
        "process_resident_memory_bytes",
    ] {
        assert!(text.contains(family), "{family} in:\n{text}");
    }
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("promtool output");
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
