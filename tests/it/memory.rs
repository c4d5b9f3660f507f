//! The real binary with real files: first-sight caps survive a crash and a
//! lowered cap, and resident memory stops growing at the caps however many
//! new ids clients send (VmRSS from `/proc/<pid>/status`).

use std::path::{Path, PathBuf};

use crate::process;

/// A sale of `days` days that started `ago_days` ago, with a data
/// directory and `server` lines.
fn write_config(dir: &Path, days: i64, ago_days: i64, server: &str) -> PathBuf {
    let now = chrono::Utc::now();
    let starts = (now - chrono::Duration::days(ago_days)).to_rfc3339();
    let ends = (now - chrono::Duration::days(ago_days) + chrono::Duration::days(days)).to_rfc3339();
    let text = format!(
        "[sale]\nname = \"memory\"\ncurrency = \"CNY\"\ntimezone = \"Asia/Shanghai\"\nstarts = \"{starts}\"\nends = \"{ends}\"\n\n[server]\n{server}\n\n[storage]\ndir = \"data\"\n"
    );
    let path = dir.join("sale.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// `n` orders, each naming a new store, channel and SKU (`tag` keeps ids
/// unique across bodies).
fn new_ids(tag: &str, n: usize) -> String {
    let ts = chrono::Utc::now().timestamp_millis() - 1000;
    (0..n)
        .map(|i| {
            format!(
                r#"{{"type":"order","id":"{tag}-{i}","ts":{ts},"store":"st-{tag}-{i}","channel":"ch-{tag}-{i}","items":[{{"sku":"sku-{tag}-{i}","qty":1,"price":"1"}}]}}"#
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn post(client: &reqwest::Client, base: &str, body: String) -> serde_json::Value {
    let r = client
        .post(format!("{base}/api/v1/events"))
        .body(body)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 200);
    r.json().await.expect("reply")
}

/// A process's resident memory in KiB (`VmRSS`).
pub(crate) fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmRSS")
}

#[tokio::test]
async fn entities_accepted_once_replay_after_a_crash_even_under_a_lower_cap() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), 1, 0, "max_unlisted_channels = 3");
    let client = reqwest::Client::new();
    let mut server = process::start(&config, &[]).expect("start");
    assert!(server.ready(&client).await, "{}", server.stderr());
    let r = post(&client, &server.base, new_ids("a", 5)).await;
    assert_eq!(
        (r["accepted"].as_u64(), r["rejected"].as_u64()),
        (Some(3), Some(2)),
        "{r}"
    );
    server.child.kill().expect("SIGKILL");
    let _ = server.child.wait();
    drop(server);

    // The cap lowered to 1 while down: replay keeps the three channels.
    // (The same sale: only the cap changes, so the start stays as written.)
    let text = std::fs::read_to_string(&config).expect("config");
    let lowered = text.replace("max_unlisted_channels = 3", "max_unlisted_channels = 1");
    assert_ne!(text, lowered);
    std::fs::write(&config, lowered).expect("write config");
    let mut server = process::start(&config, &[]).expect("restart");
    assert!(server.ready(&client).await, "{}", server.stderr());
    let channels: serde_json::Value = client
        .get(format!("{}/api/v1/channels", server.base))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    let mut ids: Vec<&str> = channels
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .filter(|id| id.starts_with("ch-"))
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["ch-a-0", "ch-a-1", "ch-a-2"]);
    let r = post(&client, &server.base, new_ids("b", 1)).await;
    assert_eq!(r["rejected"], 1, "over the lowered cap: {r}");
}

/// A month-long sale on its last day (the longest a config allows), and
/// bodies full of new stores, channels and SKUs: memory grows until the
/// caps, then stops. Prints the figures (`--nocapture`).
#[tokio::test]
async fn memory_stops_growing_at_the_caps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(
        dir.path(),
        31,
        30,
        "max_unlisted_channels = 200\nmax_unlisted_stores = 5000\nmax_unlisted_skus = 20000\nmax_unlisted_per_request = 30000",
    );
    let client = reqwest::Client::new();
    let mut server = process::start(&config, &[]).expect("start");
    assert!(server.ready(&client).await, "{}", server.stderr());
    let pid = server.child.id();
    let before = rss_kb(pid);
    // Up to the caps: 5,000 new stores (and 200 channels, 5,000 SKUs).
    let mut accepted = 0;
    for b in 0..5 {
        let r = post(&client, &server.base, new_ids(&format!("x{b}"), 2000)).await;
        accepted += r["accepted"].as_u64().unwrap_or(0);
    }
    assert_eq!(accepted, 200, "the channel cap bites first");
    // Orders into the known channel `other`: new stores and SKUs.
    let to_other = |tag: &str, n: usize| new_ids(tag, n).replace("\"channel\":\"ch-", "\"x\":\"");
    for b in 0..4 {
        post(&client, &server.base, to_other(&format!("y{b}"), 2000)).await;
    }
    let at_caps = rss_kb(pid);
    let (stores, skus) = {
        let m = client
            .get(format!("{}/metrics", server.base))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        let gauge = |name: &str| -> u64 {
            m.lines()
                .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
                .unwrap_or(0)
        };
        (gauge("warroom_stores "), gauge("warroom_skus "))
    };
    assert_eq!(stores, 5000);
    assert!(skus <= 20_000);
    // Far past the caps: 40,000 more lines of new ids, all refused.
    for b in 0..20 {
        let r = post(&client, &server.base, to_other(&format!("z{b}"), 2000)).await;
        assert_eq!(r["accepted"], 0, "{}", r["errors"][0]);
    }
    let after = rss_kb(pid);
    println!(
        "VmRSS: {before} kB at start, {at_caps} kB at the caps (5,000 stores, 200 channels, {skus} SKUs), {after} kB after 40,000 more lines of new ids"
    );
    // At most ~20 kB per unlisted store with its channel and SKU (rows,
    // windows, one timeline chunk each), whatever the calendar.
    assert!(
        at_caps - before < 5000 * 20 + 32 * 1024,
        "{before} → {at_caps} kB"
    );
    assert!(
        after - at_caps < 16 * 1024,
        "{at_caps} → {after} kB past the caps"
    );
}
