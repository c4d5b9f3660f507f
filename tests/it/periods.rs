//! docs/api.md, The days around the sale: with `observe_before` /
//! `observe_after` an order, refund, visit or spend stamped before or after
//! the sale counts in `pre` / `post` only, on both sides of every edge;
//! the figures survive a clean stop and a SIGKILL of the real binary.

use serde_json::{Value, json};
use warroom::config;

use crate::crash::post as post_to;
use crate::process::start;
use crate::support::{MIN, SALE_TOML, START, spawn_app};

const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
const END: i64 = START + DAY;

fn observed(before: &str, after: &str) -> config::Config {
    let text = SALE_TOML.replace(
        "target = \"1000000\"",
        &format!(
            "target = \"1000000\"\nobserve_before = \"{before}\"\nobserve_after = \"{after}\""
        ),
    );
    config::parse_str(&text, "t.toml", std::path::Path::new(".")).expect("valid")
}

fn order(id: &str, ts: i64, store: &str, buyer: &str, price: u32) -> String {
    format!(
        r#"{{"type":"order","id":"{id}","ts":{ts},"store":"{store}","buyer":"{buyer}","items":[{{"sku":"k2","qty":1,"price":{price}}}]}}"#
    )
}

#[tokio::test]
async fn each_edge_puts_an_event_on_its_own_side() {
    let app = spawn_app(observed("1d", "12h"), END + 13 * HOUR).await;
    let body = [
        order("out-before", START - DAY - 1, "s1", "b9", 1),
        order("pre-first", START - DAY, "s1", "b1", 10),
        order("pre-last", START - 1, "s2", "b1", 20),
        order("sale-first", START, "s1", "b1", 100),
        order("sale-last", END - 1, "s1", "b2", 200),
        order("post-first", END, "s2", "b3", 1000),
        order("post-last", END + 12 * HOUR - 1, "s1", "b4", 2000),
        order("out-after", END + 12 * HOUR, "s1", "b9", 3),
        format!(
            r#"{{"type":"refund","id":"r-pre","ts":{},"store":"s1","items":[{{"sku":"k2","qty":1,"price":10}}]}}"#,
            START - HOUR
        ),
        format!(
            r#"{{"type":"traffic","id":"t-post","ts":{},"store":"s1","visitors":70}}"#,
            END + HOUR
        ),
        format!(
            r#"{{"type":"traffic","id":"t-sale","ts":{},"store":"s1","visitors":5}}"#,
            START + HOUR
        ),
    ]
    .join("\n");
    let r = app.post_events(body, "application/x-ndjson").await;
    assert_eq!(r.status(), 200);
    let s = app.get("/api/v1/summary").await;
    let t = &s["totals"];
    assert_eq!(
        (t["orders"].as_i64(), t["gmv"].as_i64()),
        (Some(2), Some(30_000))
    );
    assert_eq!(t["buyers"], 2, "pre and post buyers are not the sale's");
    assert_eq!(t["refunds"], 0);
    assert_eq!(t["visitors"], 5);
    let pre = &s["pre"];
    assert_eq!(pre["from"], "2026-11-10T00:00:00+08:00");
    assert_eq!(pre["to"], "2026-11-11T00:00:00+08:00");
    assert_eq!(
        (
            &pre["orders"],
            &pre["gmv"],
            &pre["buyers"],
            &pre["refunds"],
            &pre["aov"]
        ),
        (
            &json!(2),
            &json!(3_000),
            &json!(1),
            &json!(1_000),
            &json!(3_000)
        )
    );
    assert_eq!(
        pre["days"],
        json!([{"date":"2026-11-10","gmv":3000,"orders":2,"units":2,"buyers":1}])
    );
    let post = &s["post"];
    assert_eq!(
        (&post["orders"], &post["gmv"]),
        (&json!(2), &json!(300_000))
    );
    assert_eq!(post["visitors"], 70);
    assert_eq!(
        post["days"],
        json!([{"date":"2026-11-12","gmv":300000,"orders":2,"units":2,"buyers":2}])
    );
    let p = app.get("/api/v1/periods").await;
    assert_eq!(p["outside"], json!({"gmv": 400, "orders": 2, "refunds": 0}));
    assert_eq!(
        p["pre"]["channels"],
        json!([
            {"id":"tmall","name":"天猫","gmv":1000,"orders":1,"units":1},
            {"id":"jd","name":"京东","gmv":2000,"orders":1,"units":1}
        ])
    );
    assert_eq!(p["pre"]["skus"][0]["id"], "k2");
    assert_eq!(p["post"]["skus"][0]["gmv"], 300_000);
    assert_eq!(
        p["sale"]["days"],
        json!([{"date":"2026-11-11","gmv":30000,"orders":2,"units":2,"buyers":2}])
    );
    let channels = app.get("/api/v1/channels").await;
    let gmv: i64 = channels
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|c| c["gmv"].as_i64())
        .sum();
    assert_eq!(gmv, 30_000, "channels hold the sale only");
    let tl = app.get("/api/v1/timeline?periods=1&step=60").await;
    assert_eq!(tl["pre"], pre["days"]);
    assert_eq!(tl["post"], post["days"]);
    assert_eq!(tl["sale"], p["sale"]["days"]);
    assert!(tl["rows"].as_array().is_some_and(|r| !r.is_empty()));
    let plain = app.get("/api/v1/timeline?step=60").await;
    assert!(
        plain.is_array(),
        "without periods=1 the answer is unchanged"
    );
}

#[tokio::test]
async fn without_the_keys_events_outside_count_as_before() {
    let cfg = config::parse_str(SALE_TOML, "t.toml", std::path::Path::new(".")).expect("valid");
    let app = spawn_app(cfg, END + HOUR).await;
    let body = [
        order("a", START - 1, "s1", "b1", 10),
        order("b", END, "s1", "b2", 20),
    ]
    .join("\n");
    assert_eq!(
        app.post_events(body, "application/x-ndjson").await.status(),
        200
    );
    let s = app.get("/api/v1/summary").await;
    assert_eq!(s["totals"]["orders"], 2);
    assert!(s.get("pre").is_none() && s.get("post").is_none());
    let p = app.get("/api/v1/periods").await;
    assert_eq!(
        (&p["pre"], &p["post"], &p["outside"]),
        (&Value::Null, &Value::Null, &Value::Null)
    );
}

fn write_config(dir: &std::path::Path, starts: &str, ends: &str) -> std::path::PathBuf {
    let text = format!(
        r#"[sale]
name = "periods restart"
currency = "CNY"
timezone = "Asia/Shanghai"
starts = "{starts}"
ends = "{ends}"
observe_before = "1d"
observe_after = "1d"

[storage]
dir = "data"
"#
    );
    let path = dir.join("sale.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

async fn read(client: &reqwest::Client, base: &str, path: &str) -> Value {
    let r = client
        .get(format!("{base}{path}"))
        .send()
        .await
        .expect("GET");
    r.json().await.expect("JSON")
}

/// Pre-period orders, sale orders in a burst two minutes ago, and the
/// figures they make, after a clean stop and after a SIGKILL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_the_days_around_and_the_peaks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let now = chrono::Utc::now().timestamp_millis();
    let starts = now - 10 * MIN;
    let fmt = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .expect("time")
            .to_rfc3339()
    };
    let config = write_config(dir.path(), &fmt(starts), &fmt(now + HOUR));
    let client = reqwest::Client::new();
    let mut lines = Vec::new();
    for i in 0..30 {
        lines.push(order(
            &format!("p{i}"),
            starts - HOUR + i * MIN,
            "s1",
            &format!("b{i}"),
            5,
        ));
    }
    let burst = starts + 2 * MIN + 500;
    for i in 0..40 {
        let store = if i % 4 == 0 { "s2" } else { "s1" };
        lines.push(order(
            &format!("o{i}"),
            burst + i / 10,
            store,
            &format!("c{i}"),
            50,
        ));
    }
    lines.push(order("late", starts + 5 * MIN, "s2", "c0", 50));
    let mut server = start(&config, &[]).expect("start");
    assert!(server.ready(&client).await, "{}", server.stderr());
    post_to(&client, &server.base, lines.join("\n"))
        .await
        .expect("accepted");
    let paths = ["/api/v1/periods", "/api/v1/shape"];
    let mut before = Vec::new();
    for p in paths {
        before.push(read(&client, &server.base, p).await);
    }
    assert_eq!(before[0]["pre"]["orders"], 30);
    assert_eq!(before[1]["sale"]["peak_second"]["orders"], 40);
    let s2 = before[1]["stores"]
        .as_array()
        .and_then(|s| s.iter().find(|r| r["id"] == "s2"))
        .cloned()
        .expect("s2 has a shape");
    assert_eq!(s2["peak_second"]["orders"], 10);
    assert_eq!(s2["reference"], "median", "s2 sold nothing before the sale");
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status();
    let _ = server.child.wait();
    for round in ["after a clean stop", "after SIGKILL"] {
        let mut server = start(&config, &[]).expect("restart");
        assert!(server.ready(&client).await, "{}", server.stderr());
        for (p, want) in paths.iter().zip(&before) {
            let mut got = read(&client, &server.base, p).await;
            let mut want = want.clone();
            // Half-lives move with the clock; the rest must not.
            for v in [&mut got, &mut want] {
                strip_clocked(v);
            }
            assert_eq!(got, want, "{p} {round}");
        }
        let _ = server.child.kill();
        let _ = server.child.wait();
    }
}

fn strip_clocked(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("half_life_min");
            m.remove("reference_gmv");
            m.remove("burst");
            m.values_mut().for_each(strip_clocked);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_clocked),
        _ => {}
    }
}

#[tokio::test]
async fn periods_csv_holds_every_day_around_the_sale() {
    let app = spawn_app(observed("2d", "1d"), END + DAY + HOUR).await;
    let body = [
        order("a", START - DAY - HOUR, "s1", "b1", 10), // 2026-11-09 23:00
        order("b", START + HOUR, "s1", "b2", 100),
        order("c", END + HOUR, "s1", "b3", 1000),
        order("d", END + 2 * HOUR, "s2", "b3", 1000),
    ]
    .join("\n");
    assert_eq!(
        app.post_events(body, "application/x-ndjson").await.status(),
        200
    );
    let csv = crate::shape::exported(&app, "periods.csv").await;
    assert_eq!(
        csv.lines().collect::<Vec<_>>(),
        [
            "period,date,gmv,orders,units,buyers",
            r#""pre","2026-11-09",10.00,1,1,1"#,
            r#""pre","2026-11-10",0.00,0,0,0"#,
            r#""sale","2026-11-11",100.00,1,1,1"#,
            r#""post","2026-11-12",2000.00,2,2,1"#,
        ]
    );
}
