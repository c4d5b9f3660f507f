//! docs/api.md, Shape: the burst and decay of a sale whose answers are
//! known by hand, and of a generated one checked against this test's own
//! computation, through HTTP.

use serde_json::Value;
use warroom::config;

use crate::support::{MIN, SALE_TOML, START, spawn_app};

fn with_keys(extra: &str) -> config::Config {
    let text = SALE_TOML.replace(
        "target = \"1000000\"",
        &format!("target = \"1000000\"\n{extra}"),
    );
    config::parse_str(&text, "t.toml", std::path::Path::new(".")).expect("valid")
}

/// `gmv` minor units in one order of one unit.
fn order(id: &str, ts: i64, store: &str, gmv: i64) -> String {
    format!(
        r#"{{"type":"order","id":"{id}","ts":{ts},"store":"{store}","items":[{{"sku":"k2","qty":1,"price":"{}.{:02}"}}]}}"#,
        gmv / 100,
        gmv % 100
    )
}

/// A flat pre hour of 100 a minute; 2,000 at minute 0 halving every 10
/// minutes: burst 20, and minute 10 is exactly 1,000 (half, not below),
/// so the half-life is 11.
#[tokio::test]
async fn a_spike_of_known_height_and_half_life() {
    let app = spawn_app(
        with_keys("observe_before = \"1h\""),
        START + 60 * MIN + 30_000,
    )
    .await;
    let mut lines: Vec<String> = (0..60)
        .map(|m| order(&format!("p{m}"), START - 60 * MIN + m * MIN, "s1", 100))
        .collect();
    for m in 0..60 {
        let gmv = (2000.0 * 0.5f64.powf(m as f64 / 10.0)) as i64;
        lines.push(order(&format!("o{m}"), START + m * MIN + 1_000, "s1", gmv));
    }
    lines.push(order("now", START + 60 * MIN, "s1", 1));
    let r = app
        .post_events(lines.join("\n"), "application/x-ndjson")
        .await;
    assert_eq!(r.status(), 200);
    let s = app.get("/api/v1/summary").await;
    let shape = &s["shape"];
    assert_eq!(shape["peak_minute"]["minute"], 0);
    assert_eq!(shape["peak_minute"]["at"], "2026-11-11T00:00:00+08:00");
    assert_eq!(shape["peak_minute"]["gmv"], 2000);
    assert_eq!(shape["reference"], "pre");
    assert_eq!(shape["reference_gmv"], 100);
    assert_eq!(shape["burst"], 20.0);
    assert_eq!(shape["time_to_peak_min"], 0);
    assert_eq!(shape["half_life_min"], 11);
    assert_eq!(shape["peak_second"]["orders"], 1);
    let all = app.get("/api/v1/shape").await;
    assert_eq!(&all["sale"], shape);
    let tmall = all["channels"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == "tmall"))
        .expect("tmall");
    assert_eq!(
        (&tmall["burst"], &tmall["half_life_min"]),
        (&20.0.into(), &11.into())
    );
}

#[tokio::test]
async fn no_shape_while_the_peak_minute_is_in_progress() {
    let app = spawn_app(with_keys(""), START + 3 * MIN + 10_000).await;
    let lines = [
        order("a", START, "s1", 100),
        order("b", START + 3 * MIN, "s1", 900),
    ];
    let r = app
        .post_events(lines.join("\n"), "application/x-ndjson")
        .await;
    assert_eq!(r.status(), 200);
    let s = app.get("/api/v1/summary").await;
    assert!(s.get("shape").is_none(), "{s}");
    assert_eq!(app.get("/api/v1/shape").await["sale"], Value::Null);
}

/// A tiny deterministic generator (xorshift).
struct Gen(u64);

impl Gen {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// What this test expects of one scope, computed its own way: the peak
/// scanned forward, the median by sorting, the half-life as the first
/// minute `k` for which every later complete minute is below half.
fn expected(minutes: &[i64], complete: usize, total: i64) -> (usize, i64, f64, Option<usize>, f64) {
    let peak = minutes.iter().copied().max().unwrap_or(0);
    let at = minutes.iter().position(|&g| g == peak).unwrap_or(0);
    let mut sorted = minutes.to_vec();
    sorted.sort();
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2] as f64
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0
    };
    let half = (at + 1..complete)
        .find(|&k| {
            minutes[k..complete]
                .iter()
                .all(|&g| (g as f64) < peak as f64 / 2.0)
        })
        .map(|k| k - at);
    let first_hour: i64 = minutes.iter().take(60).sum();
    (
        at,
        peak,
        peak as f64 / median,
        half,
        first_hour as f64 / total as f64,
    )
}

#[tokio::test]
async fn a_generated_sale_matches_an_independent_computation() {
    let started = 121usize; // minute 120 is in progress
    let app = spawn_app(with_keys(""), START + 120 * MIN + 30_000).await;
    let mut g = Gen(0x5eed_1234_abcd_0001);
    let mut lines = Vec::new();
    let mut sale = vec![0i64; started];
    let mut s1 = vec![0i64; started];
    let mut sec_orders = std::collections::BTreeMap::<i64, u64>::new();
    let mut s2_secs = std::collections::BTreeMap::<i64, u64>::new();
    for m in 0..started {
        // A burst early, a long tail after.
        let base = if m < 5 { 40 } else { 3 + 30 / (m as u64 + 1) };
        let n = base + g.next(5);
        for j in 0..n {
            let ts = START + m as i64 * MIN + g.next(60_000) as i64;
            let gmv = 100 + g.next(10_000) as i64;
            let store = if g.next(3) == 0 { "s2" } else { "s1" };
            lines.push((ts, order(&format!("g{m}-{j}"), ts, store, gmv)));
            sale[m] += gmv;
            *sec_orders.entry(ts / 1000).or_default() += 1;
            if store == "s1" {
                s1[m] += gmv;
            } else {
                *s2_secs.entry(ts / 1000).or_default() += 1;
            }
        }
    }
    // In time order, as the second windows expect.
    lines.sort_by_key(|l| l.0);
    let body: Vec<String> = lines.into_iter().map(|l| l.1).collect();
    for chunk in body.chunks(500) {
        let r = app
            .post_events(chunk.join("\n"), "application/x-ndjson")
            .await;
        assert_eq!(r.status(), 200);
    }
    let shapes = app.get("/api/v1/shape").await;
    let check = |got: &Value, minutes: &[i64], what: &str| {
        let total: i64 = minutes.iter().sum();
        let (at, peak, burst, half, share) = expected(minutes, started - 1, total);
        assert_eq!(got["peak_minute"]["minute"], at, "{what}");
        assert_eq!(got["peak_minute"]["gmv"], peak, "{what}");
        assert_eq!(got["time_to_peak_min"], at, "{what}");
        assert_eq!(got["reference"], "median", "{what}");
        let b = got["burst"].as_f64().expect("burst");
        assert!((b - burst).abs() < 1e-9, "{what}: burst {b} vs {burst}");
        assert_eq!(
            got["half_life_min"].as_u64().map(|h| h as usize),
            half,
            "{what}"
        );
        let f = got["first_hour_share"].as_f64().expect("share");
        assert!((f - share).abs() < 1e-12, "{what}: share {f} vs {share}");
    };
    check(&shapes["sale"], &sale, "sale");
    let s1_row = shapes["stores"]
        .as_array()
        .and_then(|s| s.iter().find(|r| r["id"] == "s1"))
        .expect("s1");
    check(s1_row, &s1, "s1");
    let tmall = shapes["channels"]
        .as_array()
        .and_then(|s| s.iter().find(|r| r["id"] == "tmall"))
        .expect("tmall");
    check(tmall, &s1, "tmall (s1's channel)");
    let peak = sec_orders.values().copied().max();
    assert_eq!(shapes["sale"]["peak_second"]["orders"].as_u64(), peak);
    let s2 = shapes["stores"]
        .as_array()
        .and_then(|s| s.iter().find(|r| r["id"] == "s2"))
        .expect("s2");
    assert_eq!(
        s2["peak_second"]["orders"].as_u64(),
        s2_secs.values().copied().max()
    );
}

/// Reads one file of `GET /api/v1/export`.
pub(crate) async fn exported(app: &crate::support::TestApp, name: &str) -> String {
    let r = app
        .client
        .get(format!("{}/api/v1/export", app.base))
        .send()
        .await
        .expect("export");
    assert_eq!(r.status(), 200);
    let zip = r.bytes().await.expect("zip");
    let dir = tempfile::tempdir().expect("tempdir");
    warroom::export::unzip_into(&zip, dir.path()).expect("unzip");
    let text = std::fs::read_to_string(dir.path().join(name)).expect(name);
    text.trim_start_matches('\u{feff}').to_string()
}

#[tokio::test]
async fn shape_csv_holds_a_row_per_scope() {
    let app = spawn_app(with_keys("observe_before = \"1h\""), START + 30 * MIN).await;
    let lines = [
        order("p", START - 30 * MIN, "s1", 6_000),
        order("a", START + 1_000, "s1", 2_000),
        order("b", START + MIN, "s2", 500),
    ];
    let r = app
        .post_events(lines.join("\n"), "application/x-ndjson")
        .await;
    assert_eq!(r.status(), 200);
    let csv = exported(&app, "shape.csv").await;
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0],
        "scope,id,name,peak_minute_at,peak_minute_gmv,peak_second_at,peak_second_orders,burst,reference,time_to_peak_min,half_life_min,first_hour_share"
    );
    // Pre: 60.00 over 60 minutes = 1.00 a minute; the peak 20.00.
    assert_eq!(
        rows[1],
        r#""sale","","","2026-11-11T00:00:00+08:00",20.00,"2026-11-11T00:00:01+08:00",1,20.000000,"pre",0,1,1.000000"#
    );
    assert!(
        rows.iter()
            .any(|r| r.starts_with(r#""channel","tmall","天猫","#)),
        "{csv}"
    );
    assert!(
        rows.iter()
            .any(|r| r.starts_with(r#""store","s2","京东自营","#) && r.contains(r#","median","#)),
        "{csv}"
    );
}
