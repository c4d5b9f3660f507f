//! docs/api.md, Storage with the real binary and the events of the
//! efficiency and region figures: a sale with traffic, spend, orders with
//! regions and campaigns (every attribution case), killed with SIGKILL
//! after acknowledging, restarts with every figure the same — once from
//! the log alone, once from a checkpoint and the log after it. Whole API
//! bodies are compared (summary, channels, stores, SKUs, regions, filtered
//! regions, campaigns, the timeline), so any figure a view adds is covered.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use warroom::sim::Rng;

use crate::crash::post;
use crate::process::{Server, start};

/// A sale that ended an hour ago: no figure shown moves with the clock
/// (windows empty, the plan at its end), so bodies compare whole.
fn write_config(dir: &Path) -> PathBuf {
    let now = chrono::Utc::now();
    let starts = (now - chrono::Duration::hours(3)).to_rfc3339();
    let ends = (now - chrono::Duration::hours(1)).to_rfc3339();
    let text = format!(
        r#"[sale]
name = "crash efficiency"
currency = "CNY"
timezone = "Asia/Shanghai"
starts = "{starts}"
ends = "{ends}"
target = "500000"
budget = "20000"

[[channels]]
id = "tmall"
budget = "8000"

[[channels]]
id = "jd"

[[stores]]
id = "s1"
channel = "tmall"

[[stores]]
id = "s2"
channel = "jd"

[[campaigns]]
id = "直通车"
channel = "tmall"
budget = "5000"

[storage]
dir = "data"
fsync = "interval"
checkpoint_every = 86400
"#
    );
    let path = dir.join("sale.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// `n` events of every kind, inside the sale, from `first` on; every
/// tenth batch-worth repeats an earlier line (a duplicate).
pub(crate) fn events(first: usize, n: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let start = chrono::Utc::now().timestamp_millis() - 3 * 3_600_000;
    let regions = ["31", "上海", "Guangdong", "44", "Singapore", "北京市"];
    let campaigns = ["直通车", "京准通", "钻展"];
    let stores = ["s1", "s2", "s3"];
    let mut out: Vec<String> = Vec::new();
    for i in first..first + n {
        let ts = start + 60_000 + rng.below(7_000_000) as i64;
        let store = stores[rng.below(3) as usize];
        let opt = |rng: &mut Rng, key: &str, value: &str| {
            if rng.chance(0.5) {
                format!(r#","{key}":"{value}""#)
            } else {
                String::new()
            }
        };
        let line = match rng.below(10) {
            0..=4 => {
                let region = match rng.below(7) as usize {
                    6 => String::new(),
                    r => format!(r#","region":"{}""#, regions[r]),
                };
                let which = campaigns[rng.below(3) as usize];
                let campaign = opt(&mut rng, "campaign", which);
                let channel = opt(&mut rng, "channel", "jd");
                format!(
                    r#"{{"type":"order","id":"o{i}","ts":{ts},"store":"{store}"{channel},"buyer":"b{}"{region}{campaign},"items":[{{"sku":"k{}","qty":{},"price":"{}.50"}}]}}"#,
                    rng.below(60),
                    rng.below(5),
                    1 + rng.below(3),
                    10 + rng.below(300)
                )
            }
            5 => format!(
                r#"{{"type":"refund","id":"r{i}","ts":{ts},"store":"{store}","items":[{{"sku":"k1","qty":1,"price":"20.50"}}]}}"#
            ),
            6..=7 => {
                let store = opt(&mut rng, "store", store);
                let channel = opt(&mut rng, "channel", "tmall");
                let sku = opt(&mut rng, "sku", "k2");
                let views = if rng.chance(0.5) {
                    format!(r#","page_views":{}"#, rng.below(900))
                } else {
                    String::new()
                };
                format!(
                    r#"{{"type":"traffic","id":"t{i}","ts":{ts}{store}{channel}{sku},"visitors":{}{views}}}"#,
                    rng.below(400)
                )
            }
            _ => {
                let store = opt(&mut rng, "store", store);
                let channel = opt(&mut rng, "channel", "jd");
                let which = campaigns[rng.below(3) as usize];
                let campaign = opt(&mut rng, "campaign", which);
                format!(
                    r#"{{"type":"spend","id":"a{i}","ts":{ts}{store}{channel}{campaign},"amount":"{}.{:02}"}}"#,
                    rng.below(200),
                    rng.below(100)
                )
            }
        };
        if i % 10 == 9 && !out.is_empty() {
            let again = out[rng.below(out.len() as u64) as usize].clone();
            out.push(again);
        }
        out.push(line);
    }
    out
}

const VIEWS: [&str; 9] = [
    "/api/v1/summary",
    "/api/v1/channels",
    "/api/v1/stores",
    "/api/v1/skus",
    "/api/v1/regions",
    "/api/v1/regions?channel=tmall",
    "/api/v1/regions?store=s1",
    "/api/v1/campaigns",
    "/api/v1/timeline",
];

/// Every view's body, without the server's clock (`now`, `now_ms`).
pub(crate) async fn bodies(client: &reqwest::Client, base: &str) -> Vec<(String, Value)> {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.remove("now");
                m.remove("now_ms");
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for path in VIEWS {
        let r = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("GET");
        assert_eq!(r.status(), 200, "{path}");
        let mut body: Value = r.json().await.expect("JSON");
        strip(&mut body);
        out.push((path.to_string(), body));
    }
    out
}

pub(crate) fn assert_same(got: &[(String, Value)], want: &[(String, Value)], when: &str) {
    for ((path, g), (_, w)) in got.iter().zip(want) {
        assert_eq!(g, w, "{path} {when}");
    }
}

async fn feed(client: &reqwest::Client, server: &Server, lines: &[String]) {
    for chunk in lines.chunks(40) {
        let reply = post(client, &server.base, chunk.join("\n"))
            .await
            .expect("acknowledged");
        assert_eq!(reply["rejected"], 0, "{reply}");
    }
}

fn files(data: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(data)
        .expect("data dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .collect();
    out.sort();
    out
}

fn kill(server: &mut Server) {
    server.child.kill().expect("SIGKILL");
    let _ = server.child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traffic_spend_regions_and_campaigns_survive_sigkill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path());
    let data = dir.path().join("data");
    let client = reqwest::Client::new();

    // From the log alone: killed before any checkpoint.
    let mut server = start(&config, &[]).expect("start");
    assert!(server.ready(&client).await, "{}", server.stderr());
    feed(&client, &server, &events(0, 400, 11)).await;
    let want = bodies(&client, &server.base).await;
    kill(&mut server);
    assert!(files(&data, "checkpoint-").is_empty(), "no checkpoint yet");
    let mut server = start(&config, &[]).expect("restart");
    assert!(server.ready(&client).await, "{}", server.stderr());
    assert_same(
        &bodies(&client, &server.base).await,
        &want,
        "replayed from the log",
    );

    // From a checkpoint (the one a clean stop writes) and the log after it.
    let _ = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status();
    assert!(server.child.wait().expect("exit").success());
    let checkpoint = files(&data, "checkpoint-").pop().expect("a checkpoint");
    assert!(
        std::fs::read(&checkpoint)
            .expect("read")
            .starts_with(b"WRCP0004")
    );
    let mut server = start(&config, &[]).expect("start again");
    assert!(server.ready(&client).await, "{}", server.stderr());
    assert_same(
        &bodies(&client, &server.base).await,
        &want,
        "read from the checkpoint",
    );
    feed(&client, &server, &events(400, 300, 12)).await;
    let want = bodies(&client, &server.base).await;
    kill(&mut server);
    assert_eq!(
        files(&data, "checkpoint-").pop().as_ref(),
        Some(&checkpoint),
        "no newer checkpoint: the second half is only in the log"
    );
    let mut server = start(&config, &[]).expect("restart");
    assert!(server.ready(&client).await, "{}", server.stderr());
    let got = bodies(&client, &server.base).await;
    assert_same(&got, &want, "from the checkpoint and the log tail");

    // The figures compared are there to compare.
    let by = |path: &str| &got.iter().find(|(p, _)| p == path).expect("view").1;
    let totals = &by("/api/v1/summary")["totals"];
    assert!(
        totals["visitors"].as_u64().is_some_and(|v| v > 0),
        "{totals}"
    );
    assert!(totals["spend"].as_i64().is_some_and(|v| v > 0), "{totals}");
    let regions = by("/api/v1/regions")["regions"].as_array().expect("rows");
    assert_eq!(regions.len(), 4, "31, 44, 11 and Singapore: {regions:?}");
    assert!(regions.iter().all(|r| r["buyers"].as_u64() > Some(0)));
    let campaigns = by("/api/v1/campaigns")["campaigns"]
        .as_array()
        .expect("rows");
    assert_eq!(campaigns.len(), 3, "{campaigns:?}");
    let filtered = by("/api/v1/regions?store=s1")["regions"]
        .as_array()
        .expect("rows");
    assert!(!filtered.is_empty());
    kill(&mut server);
}
