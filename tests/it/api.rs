//! The real server on port 0, fed a generated stream with refunds,
//! duplicates and bad lines over HTTP; every figure the API shows is checked
//! against an expectation computed here, independently of the engine.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use warroom::sim::Rng;

use crate::support::{MIN, START, spawn_app, test_config};

#[derive(Default, Debug)]
struct Fig {
    gmv: i64,
    refunds: i64,
    orders: u64,
    refund_count: u64,
    units: u64,
    profit: i64,
    buyers: BTreeSet<String>,
}

#[derive(Default, Debug)]
struct SkuFig {
    units: u64,
    gmv: i64,
    refund_units: u64,
}

#[derive(Default)]
struct Expect {
    total: Fig,
    new_buyers: BTreeSet<String>,
    stores: BTreeMap<String, Fig>,
    channels: BTreeMap<String, Fig>,
    skus: BTreeMap<String, SkuFig>,
    accepted: usize,
    duplicates: usize,
    rejected: usize,
}

const STORES: [(&str, &str); 4] = [
    ("s1", "tmall"),
    ("s2", "jd"),
    ("s3", "other"),
    ("s4", "other"),
];

/// Builds `n` lines and the expected figures.
fn generate(n: usize, seed: u64) -> (Vec<String>, Expect) {
    let mut rng = Rng::new(seed);
    let mut ex = Expect::default();
    let mut lines: Vec<String> = Vec::new();
    let mut sent_orders: Vec<String> = Vec::new();
    for i in 0..n {
        let roll = rng.below(100);
        if roll < 4 && !sent_orders.is_empty() {
            let j = rng.below(sent_orders.len() as u64) as usize;
            lines.push(sent_orders[j].clone());
            ex.duplicates += 1;
            continue;
        }
        if roll < 7 {
            let bad = match rng.below(4) {
                0 => format!(
                    r#"{{"type":"order","id":"bad{i}","store":"s1","items":[{{"sku":"k1","qty":0,"price":1}}]}}"#
                ),
                1 => format!(
                    r#"{{"type":"order","id":"bad{i}","items":[{{"sku":"k1","qty":1,"price":1}}]}}"#
                ),
                2 => format!(r#""bad{i}""#),
                _ => format!(
                    r#"{{"type":"refund","id":"bad{i}","store":"s1","items":[{{"sku":"k1","qty":1,"price":"1.234"}}]}}"#
                ),
            };
            lines.push(bad);
            ex.rejected += 1;
            continue;
        }
        let is_refund = roll < 12;
        let (store, home) = STORES[rng.below(4) as usize];
        let channel = if rng.chance(0.3) {
            Some(["tmall", "jd", "dy"][rng.below(3) as usize])
        } else {
            None
        };
        let ch = channel.unwrap_or(home).to_string();
        let buyer = rng.chance(0.8).then(|| format!("u{}", rng.below(150)));
        let new_buyer = buyer.is_some() && rng.chance(0.3);
        let ts = START + rng.below(60 * MIN as u64) as i64;
        let mut items = Vec::new();
        let (mut gmv, mut units, mut profit) = (0i64, 0u64, 0i64);
        for _ in 0..1 + rng.below(3) {
            let sku = format!("k{}", 1 + rng.below(8));
            let qty = 1 + rng.below(3);
            let cents = rng.below(50_000) as i64;
            let price = if rng.chance(0.5) {
                format!("\"{}.{:02}\"", cents / 100, cents % 100)
            } else {
                format!("{}.{:02}", cents / 100, cents % 100)
            };
            let cost = rng.chance(0.2).then_some(cents / 2);
            let cost_json = cost.map_or(String::new(), |c| {
                format!(r#","cost":"{}.{:02}""#, c / 100, c % 100)
            });
            items.push(format!(
                r#"{{"sku":"{sku}","qty":{qty},"price":{price}{cost_json}}}"#
            ));
            let amount = qty as i64 * cents;
            // k1 has a configured cost of 60.00 for items that carry none.
            let eff_cost = cost.or((sku == "k1").then_some(6000));
            if let Some(c) = eff_cost {
                profit += qty as i64 * (cents - c);
            }
            let k = ex.skus.entry(sku).or_default();
            if is_refund {
                k.refund_units += qty;
            } else {
                k.units += qty;
                k.gmv += amount;
            }
            gmv += amount;
            units += qty;
        }
        let ty = if is_refund { "refund" } else { "order" };
        let mut line = format!(r#"{{"type":"{ty}","id":"{ty}{i}","ts":{ts},"store":"{store}""#);
        if let Some(c) = channel {
            line.push_str(&format!(r#","channel":"{c}""#));
        }
        if let Some(b) = &buyer {
            line.push_str(&format!(r#","buyer":"{b}","new_buyer":{new_buyer}"#));
        }
        line.push_str(&format!(r#","items":[{}]}}"#, items.join(",")));
        for fig in [
            &mut ex.total,
            ex.stores.entry(store.to_string()).or_default(),
            ex.channels.entry(ch).or_default(),
        ] {
            if is_refund {
                fig.refunds += gmv;
                fig.refund_count += 1;
                fig.profit -= profit;
            } else {
                fig.gmv += gmv;
                fig.orders += 1;
                fig.units += units;
                fig.profit += profit;
                if let Some(b) = &buyer {
                    fig.buyers.insert(b.clone());
                }
            }
        }
        if let (false, true, Some(b)) = (is_refund, new_buyer, &buyer) {
            ex.new_buyers.insert(b.clone());
        }
        if !is_refund {
            sent_orders.push(line.clone());
        }
        ex.accepted += 1;
        lines.push(line);
    }
    (lines, ex)
}

fn check_fig(row: &Value, fig: &Fig, what: &str) {
    assert_eq!(row["gmv"], fig.gmv, "{what} gmv");
    assert_eq!(row["refunds"], fig.refunds, "{what} refunds");
    assert_eq!(row["net_gmv"], fig.gmv - fig.refunds, "{what} net_gmv");
    assert_eq!(row["orders"], fig.orders, "{what} orders");
    assert_eq!(row["units"], fig.units, "{what} units");
    assert_eq!(row["profit"], fig.profit, "{what} profit");
    assert_eq!(row["buyers"], fig.buyers.len(), "{what} buyers");
}

#[tokio::test]
async fn a_generated_stream_is_counted_exactly() {
    let app = spawn_app(test_config(), START + 70 * MIN).await;
    let (lines, ex) = generate(3_000, 42);
    let (mut accepted, mut duplicates, mut rejected) = (0, 0, 0);
    for (n, chunk) in lines.chunks(250).enumerate() {
        let r = if n == 3 {
            app.post_events(format!("[{}]", chunk.join(",")), "application/json")
                .await
        } else {
            app.post_events(chunk.join("\n"), "application/x-ndjson")
                .await
        };
        assert_eq!(r.status(), 200);
        let reply: Value = r.json().await.expect("reply");
        accepted += reply["accepted"].as_u64().expect("accepted") as usize;
        duplicates += reply["duplicates"].as_u64().expect("duplicates") as usize;
        rejected += reply["rejected"].as_u64().expect("rejected") as usize;
    }
    assert_eq!(
        (accepted, duplicates, rejected),
        (ex.accepted, ex.duplicates, ex.rejected)
    );

    let s = app.get("/api/v1/summary").await;
    let t = &s["totals"];
    check_fig(t, &ex.total, "sale");
    assert_eq!(t["refund_count"], ex.total.refund_count);
    assert_eq!(t["new_buyers"], ex.new_buyers.len());
    assert_eq!(s["events_applied"], ex.accepted);
    assert_eq!(s["sale"]["currency"], "CNY");
    assert_eq!(s["sale"]["starts"], "2026-11-11T00:00:00+08:00");
    let gmv = ex.total.gmv as f64;
    assert_eq!(t["completion"].as_f64(), Some(gmv / 100_000_000.0));

    let stores = app.get("/api/v1/stores").await;
    let stores = stores.as_array().expect("array");
    assert_eq!(stores.len(), ex.stores.len());
    for row in stores {
        let id = row["id"].as_str().expect("id");
        check_fig(row, &ex.stores[id], id);
        let home = STORES.iter().find(|s| s.0 == id).map(|s| s.1);
        assert_eq!(row["channel"].as_str(), home);
    }
    let gmvs: Vec<i64> = stores
        .iter()
        .map(|r| r["gmv"].as_i64().unwrap_or(0))
        .collect();
    assert!(gmvs.windows(2).all(|w| w[0] >= w[1]), "sorted by GMV");

    let channels = app.get("/api/v1/channels?sort=orders").await;
    for row in channels.as_array().expect("array") {
        let id = row["id"].as_str().expect("id");
        match ex.channels.get(id) {
            Some(fig) => check_fig(row, fig, id),
            None => assert_eq!(row["gmv"], 0, "{id} configured but unused"),
        }
    }

    let skus = app.get("/api/v1/skus?limit=100").await;
    for row in skus.as_array().expect("array") {
        let id = row["id"].as_str().expect("id");
        let k = &ex.skus[id];
        assert_eq!(
            (row["units"].as_u64(), row["gmv"].as_i64()),
            (Some(k.units), Some(k.gmv)),
            "{id}"
        );
        assert_eq!(row["refund_units"], k.refund_units, "{id}");
    }
    let k1 = app.get("/api/v1/skus/k1").await;
    assert_eq!(
        k1["stock_left"],
        100i64.saturating_sub(ex.skus["k1"].units as i64).max(0)
    );
    assert_eq!(k1["name"], "保温杯 500ml");

    let s3 = app.get("/api/v1/stores/s3").await;
    check_fig(&s3, &ex.stores["s3"], "s3 single");

    let timeline = app.get("/api/v1/timeline?scope=sale").await;
    let rows = timeline.as_array().expect("rows");
    assert_eq!(rows.len(), 71);
    let sum: i64 = rows.iter().map(|r| r["gmv"].as_i64().unwrap_or(0)).sum();
    assert_eq!(sum, ex.total.gmv);
    let store_tl = app.get("/api/v1/timeline?scope=store:s2").await;
    let sum: i64 = store_tl
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["gmv"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(sum, ex.stores["s2"].gmv);

    // Re-sending everything changes nothing.
    let r = app
        .post_events(lines.join("\n"), "application/x-ndjson")
        .await;
    let reply: Value = r.json().await.expect("reply");
    assert_eq!(reply["accepted"], 0);
    assert_eq!(reply["duplicates"], ex.accepted + ex.duplicates);
    assert_eq!(app.get("/api/v1/summary").await["totals"], s["totals"]);
}

#[tokio::test]
async fn status_codes_and_errors() {
    let mut cfg = test_config();
    cfg.server.max_body_bytes = 4096;
    let app = spawn_app(cfg, START + MIN).await;
    let one = r#"{"type":"order","id":"a","store":"s1","items":[{"sku":"k1","qty":1,"price":1}]}"#;
    let r = app.post_events(one.to_string(), "application/json").await;
    assert_eq!(r.status(), 200);

    let big = format!("{one}\n").repeat(4096 / one.len() + 1);
    let r = app.post_events(big, "application/x-ndjson").await;
    assert_eq!(r.status(), 413);
    let body: Value = r.json().await.expect("json error");
    assert!(
        body["error"].as_str().is_some_and(|e| e.contains("4096")),
        "{body}"
    );

    let r = app
        .post_events("garbage".into(), "application/x-ndjson")
        .await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.expect("json error");
    assert!(
        body["error"].as_str().is_some_and(|e| e.contains("line 1")),
        "{body}"
    );

    for (path, status) in [
        ("/api/v1/stores/nope", 404),
        ("/api/v1/skus/nope", 404),
        ("/api/v1/stores?sort=nope", 400),
        ("/api/v1/skus?limit=x", 400),
        ("/api/v1/timeline?scope=planet:1", 400),
        ("/api/v1/timeline?scope=channel:nope", 404),
        ("/healthz", 200),
        ("/readyz", 200),
    ] {
        let r = app
            .client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .expect("GET");
        assert_eq!(r.status().as_u16(), status, "{path}");
    }

    let text = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        text.contains("warroom_ingest_events_total{result=\"accepted\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("warroom_ingest_requests_total{result=\"bad_body\"} 1"),
        "{text}"
    );
    assert!(text.contains("warroom_events_applied_total 1"), "{text}");
}

#[tokio::test]
async fn the_screen_is_embedded_and_can_be_served_from_a_folder() {
    let app = spawn_app(test_config(), START + MIN).await;
    let page = app
        .client
        .get(format!("{}/", app.base))
        .send()
        .await
        .expect("page");
    assert_eq!(page.headers()["cache-control"], "no-cache");
    let html = page.text().await.expect("html");
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        html.contains(&format!("/assets/{version}/app.js")),
        "versioned asset URLs"
    );
    let js = app
        .client
        .get(format!("{}/assets/{version}/app.js", app.base))
        .send()
        .await
        .expect("js");
    assert!(
        js.headers()["cache-control"]
            .to_str()
            .is_ok_and(|c| c.contains("immutable"))
    );
    assert_eq!(
        app.client
            .get(format!("{}/assets/{version}/nope.js", app.base))
            .send()
            .await
            .expect("404")
            .status(),
        404
    );

    // --web-dir: files from disk, uncached, edits seen at once.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("index.html"), "<p>edited {{VERSION}}</p>").expect("write");
    std::fs::write(dir.path().join("app.js"), "// edited").expect("write");
    let web = warroom::http::WebAssets {
        dir: Some(dir.path().to_path_buf()),
    };
    let app = crate::support::spawn_app_web(test_config(), START + MIN, web).await;
    let html = app
        .client
        .get(format!("{}/", app.base))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert_eq!(html, format!("<p>edited {version}</p>"));
    let js = app
        .client
        .get(format!("{}/assets/{version}/app.js", app.base))
        .send()
        .await
        .expect("js");
    assert_eq!(js.headers()["cache-control"], "no-cache");
    assert_eq!(js.text().await.expect("js"), "// edited");
}

/// Issue 12, item 19: every API error is JSON `{"error": …}`, also those
/// the framework raises (a repeated parameter, a path that is not UTF-8, a
/// silence body over the limit, an unknown path).
#[tokio::test]
async fn every_api_error_is_json() {
    let app = spawn_app(test_config(), START + MIN).await;
    let big = format!(
        r#"{{"rule":"spike","for_s":60,"comment":"{}"}}"#,
        "x".repeat(3 << 20)
    );
    let cases: [(reqwest::Method, &str, Option<String>, u16); 5] = [
        (
            reqwest::Method::GET,
            "/api/v1/stores?sort=gmv&sort=orders",
            None,
            400,
        ),
        (reqwest::Method::GET, "/api/v1/stores/%ff", None, 400),
        (reqwest::Method::POST, "/api/v1/silences", Some(big), 413),
        (reqwest::Method::GET, "/api/v1/nothing-here", None, 404),
        (
            reqwest::Method::GET,
            "/api/v1/timeline?scope=store:s1&scope=sale",
            None,
            400,
        ),
    ];
    for (method, path, body, status) in cases {
        let mut req = app
            .client
            .request(method.clone(), format!("{}{path}", app.base));
        if let Some(b) = body {
            req = req.body(b);
        }
        let r = req.send().await.expect("request");
        assert_eq!(r.status().as_u16(), status, "{method} {path}");
        let ct = r.headers()["content-type"]
            .to_str()
            .expect("text")
            .to_string();
        assert!(ct.starts_with("application/json"), "{path}: {ct}");
        let v: serde_json::Value = r.json().await.expect("JSON");
        assert!(
            v["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{path}: {v}"
        );
    }
}

/// A timeline scope never seen is `404` naming the kind and the id as
/// given, as `/api/v1/stores/{id}` does, not a debug form of the scope.
#[tokio::test]
async fn an_unknown_timeline_scope_is_named_plainly() {
    let app = spawn_app(test_config(), START + MIN).await;
    for (scope, said) in [
        ("channel:nope", r#"no channel "nope""#),
        ("store:a%2Cb", r#"no store "a,b""#),
    ] {
        let r = app
            .client
            .get(format!("{}/api/v1/timeline?scope={scope}", app.base))
            .send()
            .await
            .expect("GET");
        assert_eq!(r.status(), 404, "{scope}");
        let v: Value = r.json().await.expect("JSON");
        assert_eq!(v["error"], said, "{scope}");
    }
}
