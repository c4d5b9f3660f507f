//! docs/api.md, Export `export` and the baseline (docs/api.md, Config): the pack from a running
//! server and offline from its data directory, every file present and
//! readable, agreeing with the API; last sale's timeline as the baseline.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::{MIN, SALE_TOML, START, spawn_app, test_config};

fn orders(n: usize) -> String {
    (0..n)
        .map(|i| {
            let store = ["s1", "s2", "s3"][i % 3];
            format!(
                r#"{{"type":"order","id":"x{i}","ts":{},"store":"{store}","items":[{{"sku":"k{}","qty":2,"price":"{}.50"}}]}}"#,
                START + (i as i64 % 50) * MIN + 1000,
                1 + i % 4,
                1000 + i
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let bytes = std::fs::read(path).expect("csv");
    assert!(
        bytes.starts_with("\u{feff}".as_bytes()),
        "{} starts with a BOM for Excel",
        path.display()
    );
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let header = r
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = r
        .records()
        .map(|x| x.expect("row").iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

pub(crate) fn col(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).expect("column")
}

/// Major-unit decimal text to minor units.
pub(crate) fn minor(s: &str) -> i64 {
    let (i, f) = s.split_once('.').unwrap_or((s, "0"));
    i.parse::<i64>().expect("int") * 100 + format!("{f:0<2}")[..2].parse::<i64>().expect("frac")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_zip_pack_is_complete_and_agrees_with_the_api() {
    let app = spawn_app(test_config(), START + 60 * MIN).await;
    assert_eq!(
        app.post_events(orders(600), "application/x-ndjson")
            .await
            .status(),
        200
    );
    // The alert task runs as in production: one evaluation settles what
    // fires at this (manual) time, so the pack and the API agree after it.
    app.alerts.evaluate();
    let listed = app.get("/api/v1/alerts").await;
    let r = app
        .client
        .get(format!("{}/api/v1/export", app.base))
        .send()
        .await
        .expect("export");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
    let zip = r.bytes().await.expect("zip");
    let dir = tempfile::tempdir().expect("tempdir");
    let names = warroom::export::unzip_into(&zip, dir.path()).expect("unzip");
    for want in [
        "snapshot.json",
        "stores.csv",
        "channels.csv",
        "skus.csv",
        "timeline.csv",
        "alerts.csv",
        "report.html",
        "cumulative_gmv.svg",
        "gmv_per_minute.svg",
        "top_stores.svg",
        "top_skus.svg",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
    let font = Path::new("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc").exists();
    assert!(
        font || std::env::var_os("CI").is_none(),
        "CI installs fonts-wqy-microhei for PNG charts"
    );
    if font {
        for png in [
            "cumulative_gmv.png",
            "gmv_per_minute.png",
            "top_stores.png",
            "top_skus.png",
        ] {
            let bytes = std::fs::read(dir.path().join(png)).expect("png");
            assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{png} is a PNG");
        }
    }
    for svg in names.iter().filter(|n| n.ends_with(".svg")) {
        let text = std::fs::read_to_string(dir.path().join(svg)).expect("svg");
        assert!(
            text.trim_start().starts_with("<svg") && text.trim_end().ends_with("</svg>"),
            "{svg}"
        );
    }
    let top = std::fs::read_to_string(dir.path().join("top_stores.svg")).expect("svg");
    assert!(
        top.contains("天猫旗舰店"),
        "Chinese names are kept as text in SVG"
    );

    let summary = app.get("/api/v1/summary").await;
    let snap: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("snapshot.json")).expect("json"))
            .expect("JSON");
    assert_eq!(snap["summary"]["totals"], summary["totals"]);
    assert_eq!(snap["stores"], app.get("/api/v1/stores").await);
    assert_eq!(snap["channels"], app.get("/api/v1/channels").await);

    let (h, rows) = read_csv(&dir.path().join("stores.csv"));
    let gmv: i64 = rows.iter().map(|r| minor(&r[col(&h, "gmv")])).sum();
    assert_eq!(
        Some(gmv),
        summary["totals"]["gmv"].as_i64(),
        "stores.csv adds up"
    );
    assert!(rows.iter().any(|r| r[col(&h, "name")] == "天猫旗舰店"));
    let (h, rows) = read_csv(&dir.path().join("timeline.csv"));
    assert_eq!(rows.len(), 61);
    let last = rows.last().expect("rows");
    assert_eq!(
        Some(minor(&last[col(&h, "cumulative_gmv")])),
        summary["totals"]["gmv"].as_i64()
    );
    let (h, rows) = read_csv(&dir.path().join("skus.csv"));
    let k1 = rows.iter().find(|r| r[0] == "k1").expect("k1");
    assert_eq!(k1[col(&h, "warning")], "out", "k1 (stock 100) sold out");
    assert!(!k1[col(&h, "sold_out_at")].is_empty());
    let (h, rows) = read_csv(&dir.path().join("alerts.csv"));
    let listed = listed.as_array().expect("alerts").len();
    assert!(listed > 0, "k1 sold out: an alert fired");
    assert_eq!(
        (h.len(), rows.len()),
        (6, listed),
        "alerts.csv lists every alert"
    );

    // The report names when milestones were reached, from the timeline.
    let report = std::fs::read_to_string(dir.path().join("report.html")).expect("report");
    let tl = app.get("/api/v1/timeline").await;
    let half = 50_000_000; // 50 % of the 1,000,000-yuan target, in fen
    let m = tl
        .as_array()
        .expect("rows")
        .iter()
        .position(|r| r["cumulative_gmv"].as_i64().unwrap_or(0) >= half);
    if let Some(m) = m {
        let at = warroom::views::fmt_time(START + (m as i64 + 1) * MIN, chrono_tz::Asia::Shanghai);
        assert!(report.contains(&at), "50 % reached by {at}");
    }
    assert!(report.contains("GMV ¥1,000,000"), "GMV marks");
    assert!(
        report.contains("保温杯 500ml sold out 售罄"),
        "sell-outs with names, in the night's log"
    );
    // Self-contained: nothing to fetch (the SVG namespace URI is a name, not a fetch).
    assert_self_contained(&report);
}

/// Nothing in the report is fetched: no sources, links, scripts or
/// imports; `url(` only as a reference inside the page (`url(#…)`, the
/// tile map's colour scale). The SVG namespace URI is a name, not a fetch.
pub(crate) fn assert_self_contained(report: &str) {
    for external in ["src=", "<link", "<script", "@import", "href=\"http"] {
        assert!(!report.contains(external), "report.html has {external}");
    }
    for (at, _) in report.match_indices("url(") {
        assert!(
            report[at..].starts_with("url(#"),
            "report.html fetches {}",
            report[at..].chars().take(40).collect::<String>()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_export_from_the_data_directory_matches_the_live_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let now = chrono::Utc::now();
    let config = SALE_TOML
        .replace(
            "2026-11-11T00:00:00+08:00",
            &(now - chrono::Duration::hours(1)).to_rfc3339(),
        )
        .replace(
            "2026-11-12T00:00:00+08:00",
            &(now + chrono::Duration::hours(23)).to_rfc3339(),
        )
        + "\n[storage]\ndir = \"data\"\n";
    let cfg_path = dir.path().join("sale.toml");
    std::fs::write(&cfg_path, config).expect("config");
    let bin = env!("CARGO_BIN_EXE_warroom");
    let mut child = Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&cfg_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let out = child.stdout.take().expect("stdout");
    let base = std::io::BufRead::lines(std::io::BufReader::new(out))
        .map_while(Result::ok)
        .find_map(|l| {
            l.split_whitespace()
                .find(|w| w.starts_with("http://"))
                .map(str::to_string)
        })
        .expect("banner");
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let ts = now.timestamp_millis() - 60_000;
    let body = (0..500)
        .map(|i| format!(r#"{{"type":"order","id":"o{i}","ts":{ts},"store":"s{}","items":[{{"sku":"k{}","qty":1,"price":"{i}.25"}}]}}"#, i % 4, i % 7))
        .collect::<Vec<_>>()
        .join("\n");
    let r = client
        .post(format!("{base}/api/v1/events"))
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);

    let live = dir.path().join("live");
    let status = Command::new(bin)
        .args(["export", "--url", &base, "--out"])
        .arg(&live)
        .status()
        .expect("export --url");
    assert!(status.success());
    // Graceful stop (SIGTERM): final checkpoint, log flushed.
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(child.wait().expect("exit").success(), "exit 0 on SIGTERM");

    let offline = dir.path().join("offline");
    let out = Command::new(bin)
        .args(["export", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--out")
        .arg(&offline)
        .output()
        .expect("export --data-dir");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in ["stores.csv", "channels.csv", "skus.csv"] {
        let a = std::fs::read(live.join(file)).expect("live");
        let b = std::fs::read(offline.join(file)).expect("offline");
        assert_eq!(
            String::from_utf8_lossy(&a),
            String::from_utf8_lossy(&b),
            "{file}"
        );
    }
    let snap = |d: &Path| -> Value {
        serde_json::from_slice(&std::fs::read(d.join("snapshot.json")).expect("json"))
            .expect("JSON")
    };
    let (a, b) = (snap(&live), snap(&offline));
    for k in ["gmv", "orders", "units", "refunds", "buyers", "profit"] {
        assert_eq!(a["summary"]["totals"][k], b["summary"]["totals"][k], "{k}");
    }
    assert_eq!(a["summary"]["events_applied"], 500);
    assert_eq!(b["summary"]["events_applied"], 500);
}

#[tokio::test]
async fn a_baseline_timeline_compares_minute_for_minute() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Last year's sale: 1,000 yuan in each of its first 120 minutes.
    let mut csv = String::from(
        "\u{feff}minute,minute_start,gmv,orders,units,cumulative_gmv,plan_cumulative_gmv,baseline_cumulative_gmv\n",
    );
    for m in 0..120 {
        csv.push_str(&format!(
            "{m},2025-11-11T00:{:02}:00+08:00,1000.00,1,1,{}.00,,\n",
            m % 60,
            (m + 1) * 1000
        ));
    }
    std::fs::write(dir.path().join("last.csv"), &csv).expect("baseline");
    let text = SALE_TOML.replace(
        "plan = [[0.0, 0.0]",
        "baseline = \"last.csv\"\nplan = [[0.0, 0.0]",
    );
    std::fs::write(dir.path().join("sale.toml"), &text).expect("config");
    let cfg =
        warroom::config::load_file(&dir.path().join("sale.toml")).expect("config with baseline");
    // Now: 10 minutes 30 s in; this year has 22,000 yuan by then.
    let app = spawn_app(cfg, START + 10 * MIN + 30_000).await;
    let body = format!(
        r#"{{"type":"order","id":"b1","ts":{},"store":"s1","items":[{{"sku":"k2","qty":2,"price":"11000"}}]}}"#,
        START + 5 * MIN
    );
    app.post_events(body, "application/x-ndjson").await;
    let s = app.get("/api/v1/summary").await;
    assert_eq!(
        s["totals"]["baseline_gmv"], 1_100_000,
        "minute 10 of last year: 11,000 yuan"
    );
    let vs = s["totals"]["vs_baseline"].as_f64().expect("vs_baseline");
    assert!(
        (vs - 1.0).abs() < 1e-9,
        "22,000 against 11,000 is 100 % ahead: {vs}"
    );
    let tl = app.get("/api/v1/timeline").await;
    let rows = tl.as_array().expect("rows");
    assert_eq!(rows[4]["baseline_gmv"], 500_000);
    assert_eq!(rows[5]["baseline_gmv"], 600_000);
    assert!(
        rows[5]["vs_baseline"]
            .as_f64()
            .is_some_and(|v| (v - (2_200_000.0 / 600_000.0 - 1.0)).abs() < 1e-9)
    );
    let store_tl = app.get("/api/v1/timeline?scope=store:s1").await;
    assert!(
        store_tl[0].get("baseline_gmv").is_none(),
        "the baseline is the sale's"
    );

    // A broken baseline file is a config error naming its line.
    std::fs::write(dir.path().join("last.csv"), csv.replace("7,2025", "9,2025")).expect("write");
    let err = warroom::config::load_file(&dir.path().join("sale.toml")).expect_err("bad baseline");
    assert!(
        err.file.ends_with("last.csv") && err.line == Some(9),
        "{err}"
    );
}

#[tokio::test]
async fn a_snapshot_json_is_kept_fresh_in_the_data_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ingest, _clock) = crate::support::ingest_at(START + 60 * MIN);
    assert_eq!(crate::support::post(&ingest, &orders(10)).accepted, 10);
    let shutdown = warroom::shutdown::Shutdown::default();
    let task = warroom::export::snapshot_task(
        ingest.engine().clone(),
        None,
        dir.path().to_path_buf(),
        std::time::Duration::from_millis(50),
        shutdown.clone(),
    );
    let path = dir.path().join("snapshot.json");
    for _ in 0..100 {
        if path.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let snap: Value = serde_json::from_slice(&std::fs::read(&path).expect("snapshot.json written"))
        .expect("JSON");
    assert_eq!(snap["summary"]["events_applied"], 10);
    shutdown.trigger();
    task.await.expect("task ends on shutdown");
}

/// Issue 12, item 21: `warroom export --url` reaches a server with `[auth]`
/// with `--token` or `WARROOM_TOKEN`; without one it fails saying so.
#[tokio::test]
async fn export_from_a_server_with_auth_takes_a_token() {
    let mut cfg = test_config();
    cfg.auth = Some(warroom::config::AuthConfig {
        ingest: vec![],
        view: vec!["view-token-for-export".into()],
        admin: vec![],
        allowed_origins: vec![],
    });
    let app = spawn_app(cfg, START + MIN).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |args: Vec<String>, env: Option<&'static str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_warroom"));
        cmd.arg("export").args(args).env_remove("WARROOM_TOKEN");
        if let Some(t) = env {
            cmd.env("WARROOM_TOKEN", t);
        }
        tokio::task::spawn_blocking(move || cmd.output().expect("export"))
    };
    let out_dir = |name: &str| dir.path().join(name).display().to_string();
    let base = app.base.clone();
    let args = |out: String, token: Option<&str>| {
        let mut a = vec!["--url".to_string(), base.clone(), "--out".into(), out];
        if let Some(t) = token {
            a.extend(["--token".to_string(), t.to_string()]);
        }
        a
    };

    let out = run(args(out_dir("none"), None), None).await.expect("join");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("401") && err.contains("--token"), "{err}");

    let out = run(args(out_dir("flag"), Some("view-token-for-export")), None)
        .await
        .expect("join");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("flag/report.html").exists());

    let out = run(args(out_dir("env"), None), Some("view-token-for-export"))
        .await
        .expect("join");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("env/snapshot.json").exists());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("view-token-for-export"));
}
