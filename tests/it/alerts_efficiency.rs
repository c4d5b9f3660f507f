//! docs/api.md, Alerts: the efficiency rules (`roi_low`, `budget_ahead`,
//! `conversion_drop`) through the running service, with a local HTTP
//! receiver standing in for the chat group. Traffic, spend and orders are
//! posted with timestamps over many minutes; rule time is the injected
//! clock, advanced by hand. Each alert is delivered once, resolved when its
//! condition clears, and kept from the hook when silenced.

use serde_json::Value;
use warroom::alerts::{Notice, NoticeKind};
use warroom::config::{Config, HookKind, Rule};

use crate::alerts::{Receiver, with_hook};
use crate::support::{MIN, START, TestApp, spawn_app_manual_alerts};

/// A Slack hook, alerts that resolve as soon as their condition clears.
fn config(url: String) -> Config {
    let mut cfg = with_hook(HookKind::Slack, url, None);
    cfg.alerts.rules.resolve_after_s = 0;
    cfg.alerts.rules.pending_s = 60;
    cfg
}

fn ts(minute: i64, ms: i64) -> i64 {
    START + minute * MIN + ms
}

async fn post(app: &TestApp, lines: Vec<String>) {
    let r = app
        .post_events(lines.join("\n"), "application/x-ndjson")
        .await;
    assert_eq!(r.status(), 200);
}

/// What the hook received, as text (Slack's zero-width breaks removed).
fn texts(rx: &Receiver) -> Vec<String> {
    rx.requests()
        .iter()
        .map(|(_, _, body)| {
            body["text"]
                .as_str()
                .unwrap_or_default()
                .replace('\u{200b}', "")
        })
        .collect()
}

fn kinds(n: &[Notice]) -> Vec<(NoticeKind, Rule, String)> {
    n.iter()
        .map(|n| (n.kind(), n.record().rule, n.record().scope.to_string()))
        .collect()
}

/// The alert `key` from `/api/v1/alerts`.
async fn alert(app: &TestApp, key: &str) -> Value {
    let all = app.get("/api/v1/alerts").await;
    all.as_array()
        .and_then(|a| a.iter().find(|x| x["key"] == key).cloned())
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_campaigns_low_roi_is_sent_once_and_resolved_when_its_orders_come() {
    let rx = Receiver::default();
    let url = rx.start().await;
    let now = ts(60, 30_000);
    let app = spawn_app_manual_alerts(config(url), now).await;
    // 直通车 spends ¥200 a minute over minutes 40..50 (naming no channel,
    // so only the campaign and the sale carry it) and brings ¥500 of orders.
    let mut lines: Vec<String> = (40..50)
        .map(|m| {
            format!(
                r#"{{"type":"spend","id":"ad-{m}","ts":{},"campaign":"直通车","amount":"200.00"}}"#,
                ts(m, 0)
            )
        })
        .collect();
    lines.extend((0..5).map(|i| format!(r#"{{"type":"order","id":"o{i}","ts":{},"store":"s1","campaign":"直通车","items":[{{"sku":"k9","qty":1,"price":100}}]}}"#, ts(45, 0))));
    post(&app, lines).await;
    assert!(app.alerts.evaluate().is_empty(), "held for `for` first");
    app.clock.advance(61_000);
    let fired = app.alerts.evaluate();
    assert_eq!(
        kinds(&fired),
        [(NoticeKind::Fire, Rule::RoiLow, "campaign:直通车".into())]
    );
    rx.wait_for(1).await;
    for _ in 0..5 {
        app.clock.advance(20_000);
        assert!(app.alerts.evaluate().is_empty(), "sent once");
    }
    let text = &texts(&rx)[0];
    assert!(
        text.contains("投产比过低") && text.contains("直通车") && text.contains("0.25"),
        "{text}"
    );
    // Attributed orders worth ¥3,000 arrive: ROI 1.75 over the window.
    let more: Vec<String> = (0..10)
        .map(|i| format!(r#"{{"type":"order","id":"p{i}","ts":{},"store":"s1","campaign":"直通车","items":[{{"sku":"k9","qty":1,"price":300}}]}}"#, ts(55, 0)))
        .collect();
    post(&app, more).await;
    let resolved = app.alerts.evaluate();
    assert_eq!(
        kinds(&resolved),
        [(NoticeKind::Resolve, Rule::RoiLow, "campaign:直通车".into())]
    );
    rx.wait_for(2).await;
    assert!(texts(&rx)[1].contains("已恢复"), "{:?}", texts(&rx));
    let a = alert(&app, "roi_low:campaign:直通车").await;
    assert_eq!(
        (a["status"].as_str(), a["severity"].as_str()),
        (Some("resolved"), Some("warning"))
    );
    assert_eq!(rx.requests().len(), 2);
}

#[tokio::test]
async fn a_conversion_drop_with_traffic_arriving_fires_per_scope_and_a_silence_keeps_one_from_the_hook()
 {
    let rx = Receiver::default();
    let url = rx.start().await;
    let now = ts(60, 5_000);
    let app = spawn_app_manual_alerts(config(url), now).await;
    let r = app
        .client
        .post(format!("{}/api/v1/silences", app.base))
        .body(r#"{"rule":"conversion_drop","scope":"sale","for_s":7200,"comment":"the sale-wide one is known"}"#)
        .send()
        .await
        .expect("silence");
    assert_eq!(r.status(), 201);
    // tmall: 1,000 visitors a minute; 30 orders a minute until minute 55,
    // none since (the checkout broke, the visitors keep coming).
    let minutes = |from: i64, to: i64, orders: i64, tag: &str| {
        let mut lines = Vec::new();
        for m in from..to {
            lines.push(format!(r#"{{"type":"traffic","id":"{tag}t{m}","ts":{},"channel":"tmall","visitors":1000,"page_views":4000}}"#, ts(m, 0)));
            lines.extend((0..orders).map(|i| format!(r#"{{"type":"order","id":"{tag}o{m}-{i}","ts":{},"store":"s1","items":[{{"sku":"k9","qty":1,"price":10}}]}}"#, ts(m, 1000 + i))));
        }
        lines
    };
    post(&app, minutes(25, 55, 30, "a")).await;
    post(&app, minutes(55, 60, 0, "b")).await;
    assert!(app.alerts.evaluate().is_empty(), "held for `for` first");
    app.clock.advance(61_000);
    let mut fired = kinds(&app.alerts.evaluate());
    fired.sort_by(|a, b| a.2.cmp(&b.2));
    assert_eq!(
        fired,
        [
            (
                NoticeKind::Fire,
                Rule::ConversionDrop,
                "channel:tmall".into()
            ),
            (NoticeKind::Fire, Rule::ConversionDrop, "sale".into()),
        ]
    );
    rx.wait_for(1).await;
    let sale = alert(&app, "conversion_drop:sale").await;
    let tmall = alert(&app, "conversion_drop:channel:tmall").await;
    assert_eq!(sale["silenced"], true);
    assert_eq!(tmall["silenced"], false);
    assert_eq!(tmall["severity"], "critical");
    let text = &texts(&rx)[0];
    assert!(
        text.contains("转化率骤降") && text.contains("天猫") && text.contains("2.90%"),
        "{text}"
    );
    assert!(
        !text.contains("测试 转化率骤降"),
        "only tmall's alert reaches the hook: {text}"
    );
    // Orders come back: both resolve; the hook hears tmall's.
    post(&app, minutes(61, 66, 30, "c")).await;
    app.clock.advance(5 * MIN);
    let resolved = kinds(&app.alerts.evaluate());
    assert_eq!(resolved.len(), 2, "{resolved:?}");
    assert!(resolved.iter().all(|(k, _, _)| *k == NoticeKind::Resolve));
    rx.wait_for(2).await;
    assert!(texts(&rx)[1].contains("已恢复") && texts(&rx)[1].contains("天猫"));
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert_eq!(
        rx.requests().len(),
        2,
        "the silenced alert never reached the hook"
    );
}

#[tokio::test]
async fn spend_ahead_of_plan_warns_and_over_budget_is_its_own_critical_alert() {
    let rx = Receiver::default();
    let url = rx.start().await;
    let now = ts(60, 0);
    let mut cfg = config(url);
    cfg.alerts.rules.resolve_after_s = 60;
    // Spend with no orders is also a low ROI; that rule has its own test.
    cfg.alerts.rules.efficiency.roi_below = 0.0;
    // A ¥100,000 budget for the sale.
    cfg.sale.budget = Some(10_000_000);
    let app = spawn_app_manual_alerts(cfg, now).await;
    // An hour in, the plan ([0,0], [0.04,0.30], [1,1]) expects about 30 %
    // spent; ¥38,000 (38 %) is more than 20 % ahead of it.
    let spend = |id: &str, m: i64, yuan: i64| {
        format!(
            r#"{{"type":"spend","id":"{id}","ts":{},"channel":"tmall","campaign":"直通车","amount":{yuan}}}"#,
            ts(m, 0)
        )
    };
    post(&app, vec![spend("a1", 10, 20_000), spend("a2", 30, 18_000)]).await;
    let fired = app.alerts.evaluate();
    assert_eq!(
        kinds(&fired),
        [(NoticeKind::Fire, Rule::BudgetAhead, "sale".into())],
        "at once, no `for`"
    );
    rx.wait_for(1).await;
    let text = &texts(&rx)[0];
    assert!(
        text.contains("预算消耗超前") && text.contains("38%") && text.contains("30%"),
        "{text}"
    );
    app.clock.advance(10_000);
    assert!(app.alerts.evaluate().is_empty(), "sent once");
    // The sale goes past its budget: a new, critical alert of the rule.
    post(&app, vec![spend("a3", 59, 63_000)]).await;
    let over = app.alerts.evaluate();
    assert_eq!(
        kinds(&over),
        [(NoticeKind::Fire, Rule::BudgetAhead, "sale".into())]
    );
    assert_eq!(over[0].record().key, "budget_ahead:sale:over");
    assert_eq!(over[0].record().title, "超出预算");
    rx.wait_for(2).await;
    let text = &texts(&rx)[1];
    assert!(
        text.contains("超出预算") && text.contains("¥100,000") && text.contains("101%"),
        "{text}"
    );
    let a = alert(&app, "budget_ahead:sale:over").await;
    assert_eq!(
        (a["severity"].as_str(), a["status"].as_str()),
        (Some("critical"), Some("firing"))
    );
    // Ahead of plan gave way to over budget: it resolves once gone for
    // `resolve_after_s`; over budget holds.
    app.clock.advance(61_000);
    let later = app.alerts.evaluate();
    assert_eq!(
        kinds(&later),
        [(NoticeKind::Resolve, Rule::BudgetAhead, "sale".into())]
    );
    assert_eq!(later[0].record().key, "budget_ahead:sale");
    rx.wait_for(3).await;
    app.clock.advance(61_000);
    assert!(app.alerts.evaluate().is_empty());
    assert_eq!(rx.requests().len(), 3);
}
