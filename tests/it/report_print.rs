//! `report.html` as a reader and a printer see it (docs/api.md, Export:
//! the report): a generated sale with notes, an alert, prices, traffic,
//! spend, regions and a pre period is exported, and the report is opened
//! in a real headless Chromium. The four steps stand in order with their
//! content (the night lists the note and the alert at their clock times;
//! "for next time" names the SKU that sold out early with its minutes),
//! chart axes are clock times, nothing is wider than an A4 page, and
//! `Page.printToPDF` gives a PDF of several pages. Screenshots and the PDF
//! land in `target/report-*.png` and `target/report-print.pdf`.

use base64::Engine as _;
use serde_json::json;

use crate::cdp::{Browser, chromium};
use crate::export::{col, read_csv};
use crate::support::{MIN, SALE_TOML, START, spawn_app};

fn config() -> warroom::config::Config {
    let toml = SALE_TOML
        .replace(
            "plan = [[0.0, 0.0], [0.04, 0.30], [1.0, 1.0]]",
            "plan = [[0.0, 0.0], [0.04, 0.30], [1.0, 1.0]]\nobserve_before = \"2d\"",
        )
        .replace(
            "cost = \"60.00\"",
            "cost = \"60.00\"\nlist_price = \"129.00\"\nstandard_margin = 0.5",
        );
    warroom::config::parse_str(&toml, "report.toml", std::path::Path::new("."))
        .expect("config is valid")
}

/// Orders over the first hour (k1 sells out at minute 20), orders in the
/// two days before, traffic and spend.
fn events() -> String {
    let mut out = Vec::new();
    for i in 0..120i64 {
        let m = i / 2;
        let (store, region) = if i % 3 == 0 {
            ("s2", "上海")
        } else {
            ("s1", "广东")
        };
        let sku = if m < 20 { "k1" } else { "k2" };
        let price = if sku == "k1" { "99.00" } else { "899.00" };
        out.push(format!(
            r#"{{"type":"order","id":"o{i}","ts":{},"store":"{store}","buyer":"b{i}","region":"{region}","items":[{{"sku":"{sku}","qty":{},"price":"{price}"}}]}}"#,
            START + m * MIN + 1000,
            if sku == "k1" { 3 } else { 1 },
        ));
    }
    for d in 1..=2i64 {
        for i in 0..5 {
            out.push(format!(
                r#"{{"type":"order","id":"p{d}-{i}","ts":{},"store":"s1","buyer":"p{i}","items":[{{"sku":"k2","qty":1,"price":"899.00"}}]}}"#,
                START - d * 1440 * MIN + i * 97 * MIN,
            ));
        }
    }
    out.push(format!(
        r#"{{"type":"refund","id":"r1","ts":{},"store":"s2","items":[{{"sku":"k2","qty":5,"price":"899.00"}}]}}"#,
        START + 40 * MIN
    ));
    out.push(format!(
        r#"{{"type":"traffic","id":"t1","ts":{},"store":"s1","visitors":4000}}"#,
        START + 10 * MIN
    ));
    out.push(format!(
        r#"{{"type":"spend","id":"a1","ts":{},"channel":"jd","campaign":"京东海投","amount":"90000.00"}}"#,
        START + 10 * MIN
    ));
    out.join("\n")
}

fn target_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_reads_as_a_review_and_prints_on_a4() {
    let Some(chromium) = chromium() else { return };
    let app = spawn_app(config(), START + 61 * MIN).await;
    let reply = app.post_events(events(), "application/x-ndjson").await;
    assert_eq!(reply.status(), 200);
    let note = app
        .client
        .post(format!("{}/api/v1/notes", app.base))
        .json(&json!({"text": "支付网关变慢，切换备用 payment gateway slow", "ts": START + 12 * MIN, "author": "值班"}))
        .send()
        .await
        .expect("note");
    assert_eq!(note.status(), 201);
    app.alerts.evaluate();
    let alerts = app.get("/api/v1/notes?kind=alert_fired").await;
    let alert = alerts["notes"][0].clone();
    assert!(alert.is_object(), "the sell-out fired an alert: {alerts}");
    let sku = app.get("/api/v1/skus?limit=50").await;
    let k1 = sku
        .as_array()
        .and_then(|a| a.iter().find(|r| r["id"] == "k1"))
        .cloned()
        .expect("k1");
    assert_eq!(k1["stock_left"], 0, "k1 sold out");

    let zip = app
        .client
        .get(format!("{}/api/v1/export", app.base))
        .send()
        .await
        .expect("export")
        .bytes()
        .await
        .expect("zip");
    let dir = tempfile::tempdir().expect("tempdir");
    warroom::export::unzip_into(&zip, dir.path()).expect("unzip");
    let path = dir.path().join("report.html");

    let mut b = Browser::launch(&chromium).await;
    b.open(&format!("file://{}", path.display())).await;
    // The new tab starts on about:blank, itself "complete": wait for the
    // report's own content.
    b.wait_for(
        "document.readyState === 'complete' && document.querySelectorAll('section.step').length > 0",
        10,
        "the report",
    )
    .await;

    // The four steps, in order, each with its heading.
    let steps = b
        .eval("[...document.querySelectorAll('section.step')].map(s => s.id + '|' + s.querySelector('h2').textContent)")
        .await;
    let steps: Vec<&str> = steps
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(steps.len(), 4, "{steps:?}");
    for (got, want) in steps
        .iter()
        .zip(["target|1", "night|2", "impact|3", "next|4"])
    {
        assert!(got.starts_with(want), "{got} for {want}");
    }
    for (got, want) in
        steps
            .iter()
            .zip(["Target vs result", "The night", "Impact", "For next time"])
    {
        assert!(got.contains(want), "{got}");
    }

    // The night: the note at 00:12 and the alert at its clock time.
    let night = b
        .eval("[...document.querySelectorAll('#night table.night tr')].map(r => r.innerText)")
        .await;
    let night: Vec<String> = night
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    assert!(
        night
            .iter()
            .any(|r| r.starts_with("00:12") && r.contains("支付网关变慢") && r.contains("note")),
        "{night:?}"
    );
    let alert_at = alert["at"].as_str().expect("alert at");
    let alert_clock = &alert_at[11..16];
    assert!(
        night
            .iter()
            .any(|r| r.starts_with(alert_clock) && r.contains("alert")),
        "the alert at {alert_clock}: {night:?}"
    );
    assert!(
        night.iter().any(|r| r.contains("保温杯 500ml sold out")),
        "{night:?}"
    );
    // In time order.
    let times: Vec<String> = b
        .eval("[...document.querySelectorAll('#night time')].map(t => t.getAttribute('datetime'))")
        .await
        .as_array()
        .expect("times")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "the night is in time order");

    // For next time: k1 sold out early, with its minutes before the end.
    let (h, rows) = read_csv(&dir.path().join("skus.csv"));
    let k1_row = rows.iter().find(|r| r[0] == "k1").expect("k1 in skus.csv");
    let sold_out_at = k1_row[col(&h, "sold_out_at")].as_str();
    let ms = chrono::DateTime::parse_from_rfc3339(sold_out_at)
        .expect("time")
        .timestamp_millis();
    let before = (START + 1440 * MIN - ms) / MIN;
    let next = b
        .eval("document.querySelector('#next ol.next').innerText")
        .await;
    let next = next.as_str().unwrap_or_default();
    assert!(
        next.contains(&format!(
            "保温杯 500ml sold out at {}, {before} minutes before the end",
            &sold_out_at[11..16]
        )),
        "{next}"
    );
    assert!(
        next.contains("ROI below 1"),
        "京东海投 spent more than it bought: {next}"
    );

    // Impact: burst and decay, the days around the sale, the price charts.
    let impact = b.eval("document.querySelector('#impact').innerText").await;
    let impact = impact.as_str().unwrap_or_default();
    for want in [
        "Burst and decay",
        "before 活动前",
        "Efficiency 投入产出",
        "Regions 地域",
        "低于标准毛利",
    ] {
        assert!(impact.contains(want), "impact has {want}");
    }

    // Chart axes are clock times, never minutes since the start.
    let ticks = b
        .eval("[...document.querySelectorAll('figure svg text')].map(t => t.textContent.trim()).filter(t => /^\\d\\d:\\d\\d$/.test(t)).length")
        .await;
    assert!(ticks.as_u64() > Some(10), "HH:MM tick labels: {ticks}");
    let minutes = b
        .eval("document.body.innerHTML.includes('minutes since start')")
        .await;
    assert_eq!(minutes, json!(false));
    b.call(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": 1280, "height": 4000, "deviceScaleFactor": 1, "mobile": false }),
    )
    .await;
    b.screenshot(&target_dir().join("report-screen.png")).await;

    // At A4 width, printed: nothing wider than the page.
    b.call("Emulation.setEmulatedMedia", json!({ "media": "print" }))
        .await;
    b.call(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": 703, "height": 1000, "deviceScaleFactor": 1, "mobile": false }),
    )
    .await;
    let wide = b
        .eval("(() => { const w = document.documentElement.clientWidth; return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 1).map(e => e.tagName + '.' + e.className).slice(0, 5); })()")
        .await;
    assert_eq!(wide, json!([]), "elements wider than A4");
    assert_eq!(
        b.eval("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
            .await,
        json!(true)
    );
    b.screenshot(&target_dir().join("report-print-a4.png"))
        .await;

    let pdf = b
        .call(
            "Page.printToPDF",
            json!({ "paperWidth": 8.27, "paperHeight": 11.69, "printBackground": true, "preferCSSPageSize": true }),
        )
        .await;
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(pdf["data"].as_str().expect("pdf data"))
        .expect("base64 PDF");
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let text = String::from_utf8_lossy(&pdf);
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    assert!(pages >= 3, "several pages: {pages}");
    std::fs::write(target_dir().join("report-print.pdf"), &pdf).expect("write the PDF");
    app.stop().await;
}
