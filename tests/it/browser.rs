//! The screen in a real headless Chromium: it shows the API's figures,
//! over a compressed socket (Chromium offers `permessage-deflate`), turns
//! stale when the server goes away, and recovers when it returns.
//! Screenshots land in `target/screen.png` and `target/screen-reconnected.png`
//! (page 1, the rotation off: `browser_efficiency` covers page 2).

use std::path::PathBuf;

use serde_json::Value;

use crate::cdp::{Browser, chromium};
use crate::support::{MIN, START, TestApp, spawn_app_manual_alerts, spawn_app_on, test_config};

fn orders(prefix: &str, n: usize) -> String {
    (0..n)
        .map(|i| {
            let store = ["s1", "s2", "s2", "s9"][i % 4];
            format!(
                r#"{{"type":"order","id":"{prefix}{i}","ts":{},"store":"{store}","buyer":"u{i}","items":[{{"sku":"k{}","qty":{},"price":"{}.{:02}"}}]}}"#,
                START + 60 * MIN - (i as i64 % 300) * 1000,
                1 + i % 3,
                1 + i % 2,
                100 + i * 37 % 5000,
                i % 100
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// Asserts the screen's headline, completion and top store equal the API's
/// (completion as frames round it).
async fn assert_screen_matches(b: &mut Browser, app: &TestApp) {
    let summary = app.get("/api/v1/summary").await;
    let gmv = summary["totals"]["gmv"].as_i64().expect("gmv");
    b.wait_for(
        &format!("document.getElementById('gmv').dataset.value === '{gmv}'"),
        20,
        "the GMV figure",
    )
    .await;
    // The rolling counter settles on the exact figure, formatted by the page.
    b.wait_for(
        "document.getElementById('gmv').textContent === window.warroom.fmt.moneyFull(Number(document.getElementById('gmv').dataset.value))",
        10,
        "the rolling counter to settle",
    )
    .await;
    // Frames carry ratios to 4 significant digits (docs/api.md, Live frames).
    let completion = warroom::views::round_ratio(
        summary["totals"]["completion"]
            .as_f64()
            .expect("completion"),
    );
    b.wait_for(
        &format!("Number(document.getElementById('completion').dataset.value) === {completion}"),
        10,
        "the completion figure",
    )
    .await;
    let errors = b.eval("window.warroom.errors").await;
    assert_eq!(
        errors,
        serde_json::json!([]),
        "no script errors on the page"
    );
    let shown: f64 = b
        .eval("Number(document.getElementById('completion').dataset.value)")
        .await
        .as_f64()
        .expect("completion on screen");
    assert_eq!(shown, completion);
    let text = b
        .eval("document.getElementById('completion').textContent")
        .await;
    assert_eq!(text, Value::from(format!("{:.1}%", completion * 100.0)));
    let stores = app.get("/api/v1/stores?limit=1").await;
    let top = stores[0]["id"].clone();
    b.wait_for(
        &format!("document.getElementById('stores').dataset.top === {top}"),
        10,
        "the top store",
    )
    .await;
    let first_row = b
        .eval("document.querySelector('#stores li').dataset.id")
        .await;
    assert_eq!(
        first_row, top,
        "the ranking's first row is the API's top store"
    );
}

/// Chromium offers `permessage-deflate`: the page's socket negotiated it
/// (docs/api.md, Live frames, "Compression"), and the figures it showed
/// above came through compressed frames.
async fn assert_screen_is_compressed(app: &TestApp) {
    let metrics = app.metrics().await;
    let value = |prefix: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or_else(|| panic!("{prefix} in {metrics}"))
    };
    assert_eq!(
        value("warroom_live_screens_deflate "),
        1,
        "the page's socket"
    );
    assert!(value("warroom_live_bytes_sent_total{encoding=\"deflate\"} ") > 0);
    assert!(value("warroom_live_frames_compressed_total ") > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_screen_shows_the_api_figures_and_survives_a_server_restart() {
    let Some(chromium) = chromium() else { return };
    let now = START + 61 * MIN;
    let app = spawn_app_manual_alerts(test_config(), now).await;
    assert_eq!(
        app.post_events(orders("a", 400), "application/x-ndjson")
            .await
            .status(),
        200
    );

    let mut b = Browser::launch(&chromium).await;
    b.open(&format!("{}/?rotate=0", app.base)).await;
    assert_screen_matches(&mut b, &app).await;
    assert_screen_is_compressed(&app).await;
    b.wait_for(
        "document.getElementById('conn').classList.contains('live')",
        5,
        "the live badge",
    )
    .await;
    // An alert reaches the feed through the socket, and stays through
    // later ticks and snapshots.
    let notices = app.alerts.evaluate();
    let more = notices.len() as i64 - warroom::alerts::SCREEN_ALERTS_PER_EVAL as i64;
    assert!(
        more > 0,
        "the orders cross more milestones than a screen gets one by one: {}",
        notices.len()
    );
    b.wait_for(
        "document.querySelectorAll('#alerts li.alert').length > 0",
        10,
        "an alert in the feed",
    )
    .await;
    // The rest arrive as one digest line: "+N" and the rules' titles.
    b.wait_for(
        &format!(
            "[...document.querySelectorAll('#alerts li.digest .tag')].some((t) => t.textContent === '+{more}')"
        ),
        10,
        "the digest line in the feed",
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let n = b
        .eval("document.querySelectorAll('#alerts li.alert').length")
        .await;
    assert!(
        n.as_u64().is_some_and(|n| n > 0),
        "the alert stays in the feed"
    );
    // Ticks move the figures while the page is open: channels and stores
    // merge onto the snapshot's rows (docs/api.md, Tick rows), names kept.
    // (The headline counter rolls toward a jump this size for several
    // seconds: the figure behind it is checked, not the roll.)
    let burst = (0..10)
        .map(|i| {
            format!(
                r#"{{"type":"order","id":"t{i}","ts":{},"store":"s1","buyer":"t{i}","items":[{{"sku":"k3","qty":100,"price":"9000.00"}}]}}"#,
                START + 60 * MIN
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        app.post_events(burst, "application/x-ndjson")
            .await
            .status(),
        200
    );
    let summary = app.get("/api/v1/summary").await;
    b.wait_for(
        &format!(
            "document.getElementById('gmv').dataset.value === '{}'",
            summary["totals"]["gmv"]
        ),
        10,
        "the GMV after the burst",
    )
    .await;
    let top = app.get("/api/v1/stores?limit=1").await;
    assert_eq!(top[0]["id"], "s1", "the burst puts s1 on top");
    let completion = warroom::views::round_ratio(top[0]["completion"].as_f64().expect("target"));
    b.wait_for(
        &format!(
            "(() => {{ const li = document.querySelector('#stores li'); const f = window.warroom.fmt; \
               return li.dataset.id === 's1' && li.querySelector('.name').textContent === '天猫旗舰店' \
                 && li.querySelector('.v').textContent === `${{f.money({})}} · ${{f.pct({completion}, 0)}}`; }})()",
            top[0]["gmv"]
        ),
        10,
        "the top store's row: its name kept, its figures from a tick",
    )
    .await;
    let channel = app.get("/api/v1/channels?sort=completion&limit=1").await;
    let shown = b
        .eval("document.querySelector('#channels li .name').textContent")
        .await;
    assert_eq!(shown, channel[0]["name"], "the channel list's first row");
    let title = b
        .eval("document.getElementById('sale-name').textContent")
        .await;
    assert_eq!(title, "Test Sale 测试");
    b.screenshot(&target_dir().join("screen.png")).await;

    // The server goes away: the badge turns stale within a few ticks.
    let addr = app.addr.to_string();
    app.stop().await;
    b.wait_for(
        "document.getElementById('conn').classList.contains('stale')",
        5,
        "the stale badge",
    )
    .await;

    // It comes back on the same address with other figures: the screen
    // reconnects by itself and shows them.
    let back = spawn_app_on(test_config(), now, &addr).await;
    assert_eq!(
        back.post_events(orders("b", 150), "application/x-ndjson")
            .await
            .status(),
        200
    );
    b.wait_for(
        "document.getElementById('conn').classList.contains('live')",
        30,
        "the reconnection",
    )
    .await;
    assert_screen_matches(&mut b, &back).await;
    b.screenshot(&target_dir().join("screen-reconnected.png"))
        .await;

    // English and a store manager's view.
    b.open(&format!("{}/?lang=en&store=s1&rotate=0", back.base))
        .await;
    b.wait_for("document.getElementById('scope').textContent.includes('s1') || document.getElementById('scope').textContent.includes('天猫旗舰店')", 20, "the store view").await;
    let s1 = back.get("/api/v1/stores/s1").await;
    b.wait_for(
        &format!(
            "document.getElementById('gmv').dataset.value === '{}'",
            s1["gmv"]
        ),
        20,
        "the store's GMV as the headline",
    )
    .await;
    let rows = b
        .eval("[...document.querySelectorAll('#stores li')].map(li => li.dataset.id)")
        .await;
    assert_eq!(rows, serde_json::json!(["s1"]));
    let label = b
        .eval("document.querySelector('[data-i18n=gmv]').textContent")
        .await;
    assert_eq!(label, "GMV");
    b.screenshot(&target_dir().join("screen-store-en.png"))
        .await;
}
