//! docs/api.md, Alerts with real local HTTP receivers standing in for DingTalk,
//! WeCom, Slack and Alertmanager: one message per crossing, `for` and
//! resolve, retries with growing delays, rate limits, silences, a hanging
//! receiver that slows nothing. Rule time is the injected clock; the test
//! only waits for things to arrive, never sleeps to let time pass.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use warroom::config::{Config, HookConfig, HookKind, Rule};

use crate::support::{MIN, START, TestApp, spawn_app, spawn_app_manual_alerts, test_config};

/// One scripted answer: status, body, delay before answering.
type Answer = (u16, &'static str, Duration);

#[derive(Clone, Default)]
pub(crate) struct Receiver {
    got: Arc<Mutex<Vec<(Instant, String, Value)>>>,
    pub(crate) script: Arc<Mutex<VecDeque<Answer>>>,
    default: Arc<Mutex<Option<Answer>>>,
}

async fn receive(State(r): State<Receiver>, req: Request) -> Response {
    let uri = req.uri().to_string();
    let body = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if let Ok(mut g) = r.got.lock() {
        g.push((Instant::now(), uri, json));
    }
    let next = r.script.lock().ok().and_then(|mut s| s.pop_front());
    let (status, body, delay) = next
        .or_else(|| r.default.lock().ok().and_then(|d| *d))
        .unwrap_or((200, r#"{"errcode":0,"code":0}"#, Duration::ZERO));
    tokio::time::sleep(delay).await;
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        body.to_string(),
    )
        .into_response()
}

impl Receiver {
    pub(crate) async fn start(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = axum::Router::new()
            .fallback(receive)
            .with_state(self.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/hook?access_token=t")
    }

    fn count(&self) -> usize {
        self.got.lock().map(|g| g.len()).unwrap_or(0)
    }

    pub(crate) fn requests(&self) -> Vec<(Instant, String, Value)> {
        self.got.lock().map(|g| g.clone()).unwrap_or_default()
    }

    /// Waits (up to 10 s) until at least `n` requests arrived.
    pub(crate) async fn wait_for(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.count() < n {
            assert!(
                Instant::now() < deadline,
                "expected {n} requests, got {}",
                self.count()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

pub(crate) fn with_hook(kind: HookKind, url: String, secret: Option<&str>) -> Config {
    let mut cfg = test_config();
    cfg.alerts.hooks.push(HookConfig {
        name: "war-room".into(),
        kind,
        url: url.into(),
        secret: secret.map(Into::into),
        mobiles: vec![],
        at_all: false,
    });
    cfg.alerts.rules.retry_base_ms = 50;
    // The feed goes quiet in these tests; that rule has its own test.
    cfg.alerts.rules.no_events_s = 0;
    cfg.alerts.public_url = Some("http://wall.example/".into());
    cfg
}

/// Orders for `store` totalling `yuan`, one SKU without stock, at `ts`.
fn sales(prefix: &str, store: &str, n: usize, yuan: u64, ts: i64) -> String {
    (0..n)
        .map(|i| {
            format!(
                r#"{{"type":"order","id":"{prefix}{i}","ts":{ts},"store":"{store}","items":[{{"sku":"k9","qty":1,"price":{}}}]}}"#,
                yuan / n as u64
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn crossing_half_a_store_target_sends_exactly_one_signed_message() {
    let rx = Receiver::default();
    let url = rx.start().await;
    let now = START + 60 * MIN;
    let app =
        spawn_app_manual_alerts(with_hook(HookKind::DingTalk, url, Some("SECtest")), now).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/api/v1/live", app.addr))
        .await
        .expect("ws");
    // s1's target is 300,000 yuan: 160,000 is 53 %.
    app.post_events(
        sales("a", "s1", 100, 160_000, now - 1000),
        "application/x-ndjson",
    )
    .await;
    assert_eq!(app.alerts.evaluate().len(), 1);
    rx.wait_for(1).await;
    for _ in 0..5 {
        app.clock.advance(60_000);
        assert!(app.alerts.evaluate().is_empty(), "a milestone fires once");
    }
    let reqs = rx.requests();
    assert_eq!(reqs.len(), 1);
    let (_, uri, body) = &reqs[0];
    let query: std::collections::HashMap<String, String> = uri
        .split_once('?')
        .map(|(_, q)| {
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .unwrap_or_default();
    let ts: i64 = query["timestamp"].parse().expect("timestamp");
    assert_eq!(
        query["sign"],
        warroom::alerts::dingtalk_sign(ts, "SECtest")
            .replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D")
    );
    assert_eq!(body["msgtype"], "markdown");
    let text = body["markdown"]["text"].as_str().expect("text");
    assert!(
        text.contains("天猫旗舰店")
            && text.contains("50%")
            && text.contains("http://wall.example/"),
        "{text}"
    );

    let alerts = app.get("/api/v1/alerts").await;
    assert_eq!(alerts.as_array().map(Vec::len), Some(1));
    assert_eq!(alerts[0]["rule"], "milestone");
    assert_eq!(alerts[0]["scope"], "store:s1");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let a = app.get("/api/v1/alerts").await;
        if a[0]["deliveries"]
            .as_array()
            .is_some_and(|d| d.iter().any(|x| x["result"] == "delivered"))
        {
            break;
        }
        assert!(Instant::now() < deadline, "delivery recorded: {a}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The screens heard it too.
    use futures_util::StreamExt;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        assert!(Instant::now() < deadline, "no alert frame");
        let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) = ws.next().await else {
            continue;
        };
        let f: Value = serde_json::from_str(&t).expect("frame");
        if f["type"] == "alert" {
            assert_eq!(f["event"], "fire");
            assert_eq!(f["alert"]["scope"], "store:s1");
            break;
        }
    }
}

/// Ten orders a second from `from` to `to` (event time).
async fn feed(app: &TestApp, prefix: &str, from: i64, to: i64) -> reqwest::Response {
    let lines: Vec<String> = (from..to)
        .step_by(100)
        .map(|ts| format!(r#"{{"type":"order","id":"{prefix}{ts}","ts":{ts},"store":"s2","items":[{{"sku":"k9","qty":1,"price":1}}]}}"#))
        .collect();
    app.post_events(lines.join("\n"), "application/x-ndjson")
        .await
}

#[tokio::test]
async fn a_rate_drop_waits_for_its_period_ignores_a_blip_and_resolves() {
    let rx = Receiver::default();
    let url = rx.start().await;
    let now0 = START + 60 * MIN;
    let mut cfg = with_hook(HookKind::Slack, url, None);
    cfg.alerts.rules.pending_s = 60;
    cfg.alerts.rules.no_events_s = 0;
    cfg.alerts.rules.resolve_after_s = 0;
    let app = spawn_app_manual_alerts(cfg, now0).await;
    assert_eq!(
        feed(&app, "a", now0 - 11 * MIN, now0 - MIN).await.status(),
        200
    );
    assert!(app.alerts.evaluate().is_empty(), "pending, not firing");
    app.clock.advance(30_000);
    assert!(app.alerts.evaluate().is_empty(), "still pending");
    // Orders come back: the blip ends before its period.
    let now1 = now0 + 30_000;
    feed(&app, "b", now1 - MIN, now1).await;
    assert!(app.alerts.evaluate().is_empty());
    // A real drop: a silent minute, held for more than the period.
    app.clock.advance(70_000);
    assert!(app.alerts.evaluate().is_empty());
    app.clock.advance(61_000);
    let fired = app.alerts.evaluate();
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert_eq!(fired[0].record().rule, Rule::RateDrop);
    rx.wait_for(1).await;
    // Orders again: resolved.
    let now3 = now0 + 161_000;
    feed(&app, "c", now3 - MIN, now3).await;
    let resolved = app.alerts.evaluate();
    assert!(
        matches!(resolved.as_slice(), [warroom::alerts::Notice::Resolve(_)]),
        "{resolved:?}"
    );
    rx.wait_for(2).await;
    let reqs = rx.requests();
    assert_eq!(reqs.len(), 2, "one fire, one resolve, nothing for the blip");
    assert!(
        reqs[0].2["text"]
            .as_str()
            .is_some_and(|t| t.contains("下单量骤降"))
    );
    assert!(
        reqs[1].2["text"]
            .as_str()
            .is_some_and(|t| t.contains("已恢复"))
    );
    // Slack's limit (1 a second) held between the two.
    assert!(reqs[1].0.duration_since(reqs[0].0) >= Duration::from_millis(900));
}

#[tokio::test]
async fn failures_are_retried_with_growing_delays_until_delivered() {
    let rx = Receiver::default();
    rx.script.lock().expect("script").extend([
        (500, "oops", Duration::ZERO),
        (
            200,
            r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#,
            Duration::ZERO,
        ),
        (200, r#"{"errcode":0}"#, Duration::ZERO),
    ]);
    let url = rx.start().await;
    let now = START + 60 * MIN;
    let app = spawn_app_manual_alerts(with_hook(HookKind::WeCom, url, None), now).await;
    app.post_events(
        sales("a", "s1", 10, 160_000, now - 1000),
        "application/x-ndjson",
    )
    .await;
    app.alerts.evaluate();
    rx.wait_for(3).await;
    let reqs = rx.requests();
    let (gap1, gap2) = (reqs[1].0 - reqs[0].0, reqs[2].0 - reqs[1].0);
    assert!(gap1 >= Duration::from_millis(50), "{gap1:?}");
    assert!(
        gap2 >= Duration::from_millis(100) && gap2 > gap1,
        "backoff grows: {gap1:?} then {gap2:?}"
    );
    assert_eq!(reqs[2].2["msgtype"], "markdown");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let a = app.get("/api/v1/alerts").await;
        let results: Vec<String> = a[0]["deliveries"]
            .as_array()
            .map(|d| {
                d.iter()
                    .filter_map(|x| x["result"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if results.last().is_some_and(|r| r == "delivered") {
            assert_eq!(results.len(), 3, "{results:?}");
            assert!(
                results[0].contains("HTTP 500") && results[1].contains("45009"),
                "{results:?}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "{results:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    assert_eq!(
        app.alerts.drain(Duration::from_secs(1)).await,
        0,
        "nothing left to deliver"
    );

    // A refusal (bad token) is not retried.
    let bad = Receiver::default();
    *bad.default.lock().expect("default") = Some((
        200,
        r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#,
        Duration::ZERO,
    ));
    let url = bad.start().await;
    let app = spawn_app_manual_alerts(with_hook(HookKind::WeCom, url, None), now).await;
    app.post_events(
        sales("b", "s1", 10, 160_000, now - 1000),
        "application/x-ndjson",
    )
    .await;
    app.alerts.evaluate();
    bad.wait_for(1).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let a = app.get("/api/v1/alerts").await;
        if a[0]["deliveries"][0]["result"]
            .as_str()
            .is_some_and(|r| r.starts_with("refused"))
        {
            break;
        }
        assert!(Instant::now() < deadline, "{a}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(bad.count(), 1, "refused for good: no retries");
}

#[tokio::test]
async fn a_hanging_receiver_does_not_slow_ingest() {
    let rx = Receiver::default();
    *rx.default.lock().expect("default") = Some((200, "{}", Duration::from_secs(30)));
    let url = rx.start().await;
    let now = START + 60 * MIN;
    let app = spawn_app_manual_alerts(with_hook(HookKind::Alertmanager, url, None), now).await;
    app.post_events(
        sales("a", "s1", 10, 160_000, now - 1000),
        "application/x-ndjson",
    )
    .await;
    app.alerts.evaluate();
    rx.wait_for(1).await; // the receiver now holds the request open
    let started = Instant::now();
    for i in 0..50 {
        let r = app
            .post_events(
                sales(&format!("h{i}-"), "s2", 200, 1000, now - 1000),
                "application/x-ndjson",
            )
            .await;
        assert_eq!(r.status(), 200);
        app.alerts.evaluate();
    }
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "50 batches took {took:?} while the hook hung"
    );
    let s = app.get("/api/v1/summary").await;
    assert_eq!(s["events_applied"], 10 + 50 * 200);
}

#[tokio::test]
async fn a_silence_suppresses_and_many_alerts_become_one_digest() {
    let rx = Receiver::default();
    let url = rx.start().await;
    let now = START + 60 * MIN;
    let app = spawn_app_manual_alerts(with_hook(HookKind::Slack, url, None), now).await;
    let r = app
        .client
        .post(format!("{}/api/v1/silences", app.base))
        .body(r#"{"rule":"milestone","scope":"store:s1","for_s":3600,"comment":"known"}"#)
        .send()
        .await
        .expect("silence");
    assert_eq!(r.status(), 201);
    let bad = app
        .client
        .post(format!("{}/api/v1/silences", app.base))
        .body(r#"{"rule":"nope","for_s":1}"#)
        .send()
        .await
        .expect("bad");
    assert_eq!(bad.status(), 400);
    // s1 crosses 50 % (silenced); s2 (target 200,000) crosses 50 % and
    // 80 %, and takes its channel jd (target 300,000) past 50 %.
    app.post_events(
        sales("a", "s1", 10, 160_000, now - 1000),
        "application/x-ndjson",
    )
    .await;
    app.post_events(
        sales("b", "s2", 10, 170_000, now - 1000),
        "application/x-ndjson",
    )
    .await;
    let notices = app.alerts.evaluate();
    assert_eq!(notices.len(), 4);
    rx.wait_for(1).await;
    let alerts = app.get("/api/v1/alerts").await;
    let s1 = alerts
        .as_array()
        .expect("alerts")
        .iter()
        .find(|a| a["scope"] == "store:s1")
        .cloned()
        .expect("s1");
    assert_eq!(s1["silenced"], true, "recorded, marked silenced");
    let text = rx.requests()[0].2["text"]
        .as_str()
        .expect("text")
        .to_string();
    assert!(
        text.contains("京东自营") && !text.contains("天猫旗舰店"),
        "the silenced one is not sent: {text}"
    );
    assert!(
        text.contains("50%") && text.contains("80%") && text.contains("京东"),
        "three alerts in one digest: {text}"
    );
    assert!(text.contains("告警汇总：3 条"), "{text}");
    assert_eq!(rx.count(), 1);
    let silences = app.get("/api/v1/silences").await;
    assert_eq!(silences[0]["scope"], "store:s1");
}

#[test]
fn every_rule_holds_when_it_should() {
    use warroom::alerts::evaluate;
    let now = START + 60 * MIN;
    let mut cfg = test_config();
    cfg.alerts.rules.gmv_marks = vec![10_000_000]; // 100,000 yuan
    cfg.alerts.rules.no_events_s = 120;
    let (ingest, clock) = crate::support::ingest_with(cfg.clone(), now);
    let rules_now = |ingest: &warroom::ingest::Ingest| {
        let mut r: Vec<String> = ingest
            .engine()
            .read(|st, now| evaluate(st, &cfg, now))
            .into_iter()
            .map(|c| c.key)
            .collect();
        r.sort();
        r
    };
    // Nothing sold for the first hour: the feed is silent.
    assert_eq!(rules_now(&ingest), ["no_events:sale"]);
    // k1: stock 100, low at 10; 95 sold in the last 5 minutes → low, and
    // selling out within minutes. k2: stock 1000, 1000 sold → out.
    let mut lines = vec![
        format!(
            r#"{{"type":"order","id":"a","ts":{},"store":"s2","items":[{{"sku":"k1","qty":95,"price":"10"}}]}}"#,
            now - 100_000
        ),
        format!(
            r#"{{"type":"order","id":"b","ts":{},"store":"s2","items":[{{"sku":"k2","qty":1000,"price":"100"}}]}}"#,
            now - 100_000
        ),
    ];
    // 100 orders and 30 refunds in the last 15 minutes: a 30 % refund rate.
    for i in 0..100 {
        lines.push(format!(r#"{{"type":"order","id":"o{i}","ts":{},"store":"s2","items":[{{"sku":"k9","qty":1,"price":"1"}}]}}"#, now - 200_000));
    }
    for i in 0..30 {
        lines.push(format!(r#"{{"type":"refund","id":"r{i}","ts":{},"store":"s2","items":[{{"sku":"k9","qty":1,"price":"1"}}]}}"#, now - 200_000));
    }
    crate::support::post(&ingest, &lines.join("\n"));
    assert_eq!(
        rules_now(&ingest),
        [
            "gmv_mark:sale:10000000",
            "low_stock:sku:k1",
            "milestone:store:s2:0.5",
            "refund_rate:sale",
            "sellout_eta:sku:k1",
            "sold_out:sku:k2",
        ]
    );
    // A spike: 10 orders/s before, 100/s in the last minute.
    let (ingest, _clock) = crate::support::ingest_with(test_config(), now);
    let mut lines = Vec::new();
    for s in 0..6000 {
        lines.push(format!(r#"{{"type":"order","id":"p{s}","ts":{},"store":"s1","items":[{{"sku":"k9","qty":1,"price":"1"}}]}}"#, now - 70_000 - s * 100));
    }
    for s in 0..6000 {
        lines.push(format!(r#"{{"type":"order","id":"q{s}","ts":{},"store":"s1","items":[{{"sku":"k9","qty":1,"price":"1"}}]}}"#, now - 11_000 - s * 9));
    }
    crate::support::post(&ingest, &lines.join("\n"));
    let cfg = test_config();
    let keys: Vec<String> = ingest
        .engine()
        .read(|st, now| evaluate(st, &cfg, now))
        .into_iter()
        .map(|c| c.key)
        .collect();
    assert!(keys.contains(&"spike:sale".to_string()), "{keys:?}");
    drop(clock);
}

#[test]
fn the_alerts_section_is_read_and_checked() {
    let base = crate::support::SALE_TOML;
    let good = format!(
        "{base}\n[alerts]\nlanguage = \"en\"\npublic_url = \"http://wall/\"\n\n[[alerts.hooks]]\nname = \"ops\"\nkind = \"feishu\"\nurl = \"https://open.feishu.cn/x\"\nsecret = \"s\"\n\n[alerts.rules]\nmilestones = [0.5, 1.0]\ngmv_marks = [\"100000000\"]\nrate_drop = 0\nfor = 30\nresolve_after_s = 15\n\n[[alerts.silences]]\nrule = \"low_stock\"\nuntil = \"2026-11-11T02:00:00+08:00\"\n"
    );
    let cfg =
        warroom::config::parse_str(&good, "sale.toml", std::path::Path::new(".")).expect("valid");
    assert_eq!(cfg.alerts.hooks[0].kind, HookKind::Feishu);
    assert_eq!(cfg.alerts.rules.milestones, vec![0.5, 1.0]);
    assert_eq!(cfg.alerts.rules.gmv_marks, vec![10_000_000_000]);
    assert_eq!(
        (
            cfg.alerts.rules.rate_drop,
            cfg.alerts.rules.pending_s,
            cfg.alerts.rules.resolve_after_s
        ),
        (0.0, 30, 15)
    );
    assert_eq!(cfg.alerts.silences[0].until_ms, START + 2 * 60 * MIN);
    for (bad, want) in [
        (
            good.replace("kind = \"feishu\"", "kind = \"pager\""),
            "alerts.hooks.kind",
        ),
        (
            good.replace("rule = \"low_stock\"", "rule = \"typo\""),
            "unknown rule",
        ),
        (
            good.replace("rate_drop = 0", "rate_drop = -1"),
            "alerts.rules.rate_drop",
        ),
        (
            good.replace("resolve_after_s = 15", "resolve_after_s = -5"),
            "alerts.rules.resolve_after_s",
        ),
        (
            good.replace("url = \"https://open.feishu.cn/x\"", "url = \"ftp://x\""),
            "alerts.hooks.url",
        ),
    ] {
        let err = warroom::config::parse_str(&bad, "sale.toml", std::path::Path::new("."))
            .expect_err(want);
        assert!(err.message.contains(want) && err.line.is_some(), "{err}");
    }
}

/// A data directory holding `alerts.json` as the build before typed alerts
/// wrote it (`tests/data/alerts-0.1.0.json`, for `tests/data/sale.toml`).
fn old_data_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        "tests/data/alerts-0.1.0.json",
        dir.path().join(warroom::alerts::FILE),
    )
    .expect("copy the old book");
    dir
}

#[tokio::test]
async fn a_book_written_by_an_earlier_build_is_read_and_carried_on() {
    let dir = old_data_dir();
    let cfg = warroom::config::load_file(std::path::Path::new("tests/data/sale.toml"))
        .expect("example config");
    // Ten seconds after the old build's last evaluation.
    let clock = warroom::clock::ManualClock::new(1_796_002_470_000);
    let engine = warroom::engine::Engine::new(Arc::new(cfg), Arc::new(clock.clone()));
    let alerts = warroom::alerts::Alerts::new(engine, Some(dir.path()));

    // Every record as it was written, delivery results word for word.
    let old: Value = serde_json::from_str(
        &std::fs::read_to_string("tests/data/alerts-0.1.0.json").expect("old book"),
    )
    .expect("json");
    let recent = serde_json::to_value(alerts.recent(10)).expect("json");
    assert_eq!(recent, old["history"]);
    let silences = alerts.silences();
    assert_eq!(silences.len(), 1);
    assert_eq!(silences[0].rule, Rule::LowStock);

    // The low-stock alert the old build fired goes on: its SKU has no
    // stock here, so it resolves once gone for `resolve_after_s` (60 s).
    assert!(alerts.evaluate().is_empty());
    clock.advance(61_000);
    let resolved = alerts.evaluate();
    assert!(
        matches!(resolved.as_slice(), [warroom::alerts::Notice::Resolve(r)] if r.id == 11),
        "{resolved:?}"
    );
    // Saved, and read back.
    let book = warroom::alerts::load_book(dir.path());
    let again = book.recent(10);
    assert_eq!(again.len(), 5);
    assert_eq!(again[0].status, warroom::alerts::Status::Resolved);
    let untouched = serde_json::to_value(&again[1..]).expect("json");
    assert_eq!(
        untouched.as_array(),
        old["history"]
            .as_array()
            .map(|h| &h[1..])
            .map(<[Value]>::to_vec)
            .as_ref()
    );
}

#[tokio::test]
async fn an_unreadable_book_is_set_aside_not_overwritten() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join(warroom::alerts::FILE);
    std::fs::write(&file, b"{\"next_id\": 3, \"history\": [trunc").expect("write");
    let engine = warroom::engine::Engine::new(
        Arc::new(test_config()),
        Arc::new(warroom::clock::ManualClock::new(START + 60 * MIN)),
    );
    let alerts = warroom::alerts::Alerts::new(engine, Some(dir.path()));
    assert!(alerts.recent(10).is_empty());
    let aside = dir.path().join("alerts.json.unreadable");
    assert_eq!(
        std::fs::read(&aside).expect("set aside"),
        b"{\"next_id\": 3, \"history\": [trunc"
    );
    assert!(!file.exists(), "nothing written over it");
}

#[tokio::test]
async fn a_hook_that_cannot_be_reached_never_shows_its_token() {
    // A port nothing listens on: every attempt fails to connect.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = closed.local_addr().expect("addr");
    drop(closed);
    let url = format!("http://{addr}/robot/send?access_token=SECRETTOKEN");
    let mut cfg = with_hook(HookKind::DingTalk, url, Some("SECsigning"));
    cfg.alerts.rules.retry_base_ms = 5;
    let now = START + 60 * MIN;
    let app = spawn_app(cfg, now).await;
    app.post_events(
        sales("a", "s1", 10, 160_000, now - 1000),
        "application/x-ndjson",
    )
    .await;
    assert_eq!(app.alerts.evaluate().len(), 1);
    assert_eq!(app.alerts.drain(Duration::from_secs(10)).await, 0);
    let alerts = app.get("/api/v1/alerts").await;
    let results: Vec<&str> = alerts[0]["deliveries"]
        .as_array()
        .map(|d| d.iter().filter_map(|x| x["result"].as_str()).collect())
        .unwrap_or_default();
    // Five retries, then the sixth attempt's failure is the giving up:
    // one record per attempt, never "retrying" and "gave up" for one.
    assert_eq!(results.len(), 6, "six tries: {results:?}");
    assert!(
        results[..5].iter().all(|r| r.starts_with("retrying: ")),
        "{results:?}"
    );
    assert!(
        results
            .last()
            .is_some_and(|r| r.starts_with("gave up after 6 attempts: cannot connect")),
        "{results:?}"
    );
    let metrics = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    for (result, n) in [("retrying", 5), ("gave_up", 1)] {
        let line =
            format!("warroom_alert_deliveries_total{{hook=\"war-room\",result=\"{result}\"}} {n}");
        assert!(metrics.contains(&line), "{line} in:\n{metrics}");
    }
    let all = alerts.to_string();
    assert!(
        !all.contains("SECRETTOKEN") && !all.contains("access_token") && !all.contains("sign="),
        "{all}"
    );
}
