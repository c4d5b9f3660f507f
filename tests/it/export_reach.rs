//! docs/api.md, Export: `regions.csv`, `campaigns.csv`, the efficiency
//! columns of `channels.csv`, `stores.csv` and `timeline.csv`, and the
//! report's Efficiency and Regions sections, checked against the test's
//! own count of the events it sent; a sale without traffic, spend or
//! regions exports the files with a header only; `export --data-dir` gives
//! the same files; a `timeline.csv` with the new columns reads as a baseline.

use std::path::Path;
use std::process::Command;

use serde_json::json;

use crate::export::{assert_self_contained, col, minor, read_csv};
use crate::support::{MIN, SALE_TOML, START, spawn_app};

mod mix;

use mix::{Fig, mix, sale_toml};

fn ratio(a: f64, b: f64) -> Option<f64> {
    (b != 0.0).then(|| a / b)
}

/// A six-decimal ratio cell against the test's value (empty for `None`).
fn assert_ratio(cell: &str, want: Option<f64>, what: &str) {
    match want {
        None => assert_eq!(cell, "", "{what}: undefined is an empty cell"),
        Some(w) => {
            let got: f64 = cell.parse().unwrap_or_else(|_| panic!("{what}: {cell:?}"));
            assert!((got - w).abs() <= 1e-6, "{what}: {got} vs {w}");
        }
    }
}

async fn export_pack(app: &crate::support::TestApp) -> tempfile::TempDir {
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
    dir
}

fn config(text: &str) -> warroom::config::Config {
    warroom::config::parse_str(text, "test.toml", Path::new(".")).expect("config")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pack_counts_traffic_spend_regions_and_campaigns_as_the_test_does() {
    let app = spawn_app(config(&sale_toml()), START + 60 * MIN).await;
    let (first, orders, e) = mix(START);
    for body in [first, orders] {
        let r = app.post_events(body, "application/x-ndjson").await;
        assert_eq!(r.status(), 200);
        let reply: serde_json::Value = r.json().await.expect("reply");
        assert_eq!(reply["rejected"], 0, "{reply}");
    }
    let dir = export_pack(&app).await;
    let p = dir.path();

    // regions.csv: every region, by GMV descending.
    let (h, rows) = read_csv(&p.join("regions.csv"));
    assert_eq!(
        h,
        [
            "id", "name", "name_en", "gmv", "orders", "units", "buyers", "aov", "share"
        ]
    );
    assert_eq!(rows.len(), e.regions.len());
    let gmvs: Vec<i64> = rows.iter().map(|r| minor(&r[col(&h, "gmv")])).collect();
    assert!(gmvs.windows(2).all(|w| w[0] >= w[1]), "by GMV: {gmvs:?}");
    for row in &rows {
        // A formula-like region comes back with the defusing `'`.
        let id = row[0].strip_prefix('\'').unwrap_or(&row[0]);
        let (f, buyers) = &e.regions[id];
        assert_eq!(minor(&row[col(&h, "gmv")]), f.gmv, "{id}");
        assert_eq!(row[col(&h, "orders")], f.orders.to_string(), "{id}");
        assert_eq!(row[col(&h, "units")], f.units.to_string(), "{id}");
        assert_eq!(row[col(&h, "buyers")], buyers.len().to_string(), "{id}");
        let aov = (f.gmv as f64 / buyers.len() as f64).round() as i64;
        assert_eq!(minor(&row[col(&h, "aov")]), aov, "{id}: GMV ÷ buyers");
        let share = ratio(f.gmv as f64, e.total.gmv as f64);
        assert_ratio(&row[col(&h, "share")], share, id);
    }
    assert_eq!(rows[0][0], "31", "上海 has four of the eleven variants");
    assert_eq!((&*rows[0][1], &*rows[0][2]), ("上海", "Shanghai"));
    let sg = rows.iter().find(|r| r[0] == "新加坡").expect("新加坡");
    assert_eq!(
        (&*sg[1], &*sg[2]),
        ("新加坡", "新加坡"),
        "other regions: the id"
    );

    // campaigns.csv: by spend, with the configured budget and channel.
    let (h, rows) = read_csv(&p.join("campaigns.csv"));
    assert_eq!(
        h,
        [
            "id",
            "channel",
            "spend",
            "budget",
            "budget_used",
            "gmv",
            "orders",
            "roi",
            "cost_to_sales"
        ]
    );
    assert_eq!(rows.len(), 2);
    assert!(minor(&rows[0][2]) >= minor(&rows[1][2]), "by spend");
    for row in &rows {
        let f = e.campaigns[row[0].as_str()];
        assert_eq!(minor(&row[col(&h, "spend")]), f.spend);
        assert_eq!(minor(&row[col(&h, "gmv")]), f.gmv);
        assert_eq!(row[col(&h, "orders")], f.orders.to_string());
        assert_ratio(
            &row[col(&h, "roi")],
            ratio(f.gmv as f64, f.spend as f64),
            "roi",
        );
        assert_ratio(
            &row[col(&h, "cost_to_sales")],
            ratio(f.spend as f64, f.gmv as f64),
            "cost_to_sales",
        );
        let (channel, budget) = match row[0].as_str() {
            "直通车" => ("tmall", Some(2_000_000)),
            _ => ("jd", None),
        };
        assert_eq!(row[col(&h, "channel")], channel, "{row:?}");
        assert_eq!(
            row[col(&h, "budget")],
            budget.map_or(String::new(), |b: i64| format!("{}.00", b / 100))
        );
        assert_ratio(
            &row[col(&h, "budget_used")],
            budget.map(|b| f.spend as f64 / b as f64),
            "budget_used",
        );
    }

    // channels.csv and stores.csv: the existing columns first, then these.
    let (h, rows) = read_csv(&p.join("channels.csv"));
    assert_eq!(
        h[..13].last().map(String::as_str),
        Some("profit_completion")
    );
    assert_eq!(
        h[13..],
        [
            "visitors",
            "page_views",
            "conversion",
            "spend",
            "roi",
            "cost_to_sales",
            "budget",
            "budget_used"
        ]
    );
    for (id, f) in &e.channels {
        let row = rows.iter().find(|r| r[0] == *id).expect("channel row");
        check_reach(&h, row, f, id);
        let budget = (*id == "tmall").then_some(3_000_000i64);
        assert_eq!(
            row[col(&h, "budget")],
            budget.map_or(String::new(), |b| format!("{}.00", b / 100))
        );
        assert_ratio(
            &row[col(&h, "budget_used")],
            budget.map(|b| f.spend as f64 / b as f64),
            "budget_used",
        );
    }
    let (h, rows) = read_csv(&p.join("stores.csv"));
    assert_eq!(
        h[14..],
        [
            "visitors",
            "page_views",
            "conversion",
            "spend",
            "roi",
            "cost_to_sales"
        ]
    );
    for (id, f) in &e.stores {
        let row = rows.iter().find(|r| r[0] == *id).expect("store row");
        check_reach(&h, row, f, id);
    }

    // timeline.csv: visitors and spend per minute, last.
    let (h, rows) = read_csv(&p.join("timeline.csv"));
    assert_eq!(h[h.len() - 2..], ["visitors", "spend"]);
    for (m, (visitors, spend)) in e.minutes.iter().enumerate() {
        assert_eq!(
            rows[m][col(&h, "visitors")],
            visitors.to_string(),
            "minute {m}"
        );
        assert_eq!(minor(&rows[m][col(&h, "spend")]), *spend, "minute {m}");
    }

    // The report: both sections, the worst ROI marked, the tile map.
    let report = std::fs::read_to_string(p.join("report.html")).expect("report");
    assert!(report.contains("Efficiency 投入产出") && report.contains("Regions 地域"));
    let worst = ["tmall", "jd"]
        .into_iter()
        .min_by(|a, b| {
            let roi = |c: &str| e.channels[c].gmv as f64 / e.channels[c].spend as f64;
            roi(a).total_cmp(&roi(b))
        })
        .expect("two channels");
    let name = if worst == "tmall" { "天猫" } else { "京东" };
    let row = report
        .split("<tr class=worst-row>")
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .expect("one row marked");
    assert!(row.contains(name) && row.contains("lowest ROI"), "{row}");
    assert_eq!(report.matches("class=worst-row").count(), 1);
    assert!(report.contains("上海 Shanghai"), "top regions table");
    assert!(report.contains("Other regions 其他地区") && report.contains("新加坡"));
    assert_self_contained(&report);
    let map = std::fs::read_to_string(p.join("region_map.svg")).expect("region_map.svg");
    // The map's list gives shares of the whole sale, as regions.csv does
    // (some orders named no region).
    let sh = e.regions["31"].0.gmv as f64 * 100.0 / e.total.gmv as f64;
    assert!(map.contains(&format!("{sh:.1}%")), "上海's share {sh:.1}%");
    for svg in [&map, &report] {
        assert_eq!(svg.matches("class=\"tile\"").count(), 34, "34 tiles");
        assert!(svg.contains("上海"));
    }
    assert!(
        p.join("spend_per_hour.svg").exists(),
        "the efficiency chart"
    );
    assert!(report.contains("GMV and spend per hour"));

    // The exported timeline.csv, new columns and all, is next year's baseline.
    let base = tempfile::tempdir().expect("tempdir");
    std::fs::copy(p.join("timeline.csv"), base.path().join("last.csv")).expect("copy");
    let text = SALE_TOML.replace(
        "plan = [[0.0, 0.0]",
        "baseline = \"last.csv\"\nplan = [[0.0, 0.0]",
    );
    std::fs::write(base.path().join("sale.toml"), text).expect("config");
    let cfg = warroom::config::load_file(&base.path().join("sale.toml")).expect("baseline reads");
    let baseline = cfg.sale.baseline.expect("baseline");
    assert_eq!(baseline.cumulative.len(), 61);
    assert_eq!(baseline.cumulative.last().copied(), Some(e.total.gmv));
}

/// The efficiency columns of a channel or store row.
fn check_reach(h: &[String], row: &[String], f: &Fig, id: &str) {
    assert_eq!(row[col(h, "visitors")], f.visitors.to_string(), "{id}");
    assert_eq!(row[col(h, "page_views")], f.page_views.to_string(), "{id}");
    assert_eq!(minor(&row[col(h, "spend")]), f.spend, "{id}");
    let (gmv, spend) = (f.gmv as f64, f.spend as f64);
    assert_ratio(
        &row[col(h, "conversion")],
        ratio(f.orders as f64, f.visitors as f64),
        &format!("{id} conversion"),
    );
    assert_ratio(&row[col(h, "roi")], ratio(gmv, spend), &format!("{id} roi"));
    assert_ratio(
        &row[col(h, "cost_to_sales")],
        ratio(spend, gmv),
        &format!("{id} cost_to_sales"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_without_traffic_spend_or_regions_writes_headers_and_says_so() {
    let app = spawn_app(config(SALE_TOML), START + 10 * MIN).await;
    let body = (0..30)
        .map(|i| {
            json!({"type": "order", "id": format!("p{i}"), "ts": START + i * 10_000,
                "store": "s1", "items": [{"sku": "k2", "qty": 1, "price": "10.00"}]})
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        app.post_events(body, "application/x-ndjson").await.status(),
        200
    );
    let dir = export_pack(&app).await;
    let p = dir.path();
    for file in ["regions.csv", "campaigns.csv"] {
        let (h, rows) = read_csv(&p.join(file));
        assert!(h.len() == 9 && rows.is_empty(), "{file}: a header only");
    }
    let (h, rows) = read_csv(&p.join("channels.csv"));
    let tmall = rows.iter().find(|r| r[0] == "tmall").expect("tmall");
    assert_eq!(tmall[col(&h, "visitors")], "0");
    assert_eq!(tmall[col(&h, "spend")], "0.00");
    for c in ["conversion", "roi", "budget", "budget_used"] {
        assert_eq!(tmall[col(&h, c)], "", "{c}: undefined is empty");
    }
    assert_eq!(
        tmall[col(&h, "cost_to_sales")],
        "0.000000",
        "no spend, some GMV"
    );
    let report = std::fs::read_to_string(p.join("report.html")).expect("report");
    assert!(report.contains("No traffic or spend was reported"));
    assert!(report.contains("No order named a region"));
    assert!(!report.contains("class=\"tile\""));
    assert!(!p.join("region_map.svg").exists() && !p.join("spend_per_hour.svg").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_from_the_data_directory_gives_the_same_efficiency_and_region_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let now = chrono::Utc::now();
    let start = now - chrono::Duration::hours(1);
    let text = sale_toml()
        .replace("2026-11-11T00:00:00+08:00", &start.to_rfc3339())
        .replace(
            "2026-11-12T00:00:00+08:00",
            &(now + chrono::Duration::hours(23)).to_rfc3339(),
        )
        + "\n[storage]\ndir = \"data\"\n";
    let cfg_path = dir.path().join("sale.toml");
    std::fs::write(&cfg_path, text).expect("config");
    let mut server = crate::process::start(&cfg_path, &[]).expect("serve");
    let client = reqwest::Client::new();
    assert!(server.ready(&client).await, "ready");
    let (first, orders, e) = mix(start.timestamp_millis() + 30_000);
    for body in [first, orders] {
        let r = client
            .post(format!("{}/api/v1/events", server.base))
            .body(body)
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 200);
    }
    let bin = env!("CARGO_BIN_EXE_warroom");
    let live = dir.path().join("live");
    let status = Command::new(bin)
        .args(["export", "--url", &server.base, "--out"])
        .arg(&live)
        .status()
        .expect("export --url");
    assert!(status.success());
    // Graceful stop (SIGTERM): final checkpoint, log flushed.
    let _ = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status();
    assert!(
        server.child.wait().expect("exit").success(),
        "exit 0 on SIGTERM"
    );

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
    for file in ["regions.csv", "campaigns.csv", "channels.csv", "stores.csv"] {
        let a = std::fs::read_to_string(live.join(file)).expect("live");
        let b = std::fs::read_to_string(offline.join(file)).expect("offline");
        assert_eq!(a, b, "{file}");
    }
    let (_, rows) = read_csv(&offline.join("regions.csv"));
    assert_eq!(rows.len(), e.regions.len(), "every region from disk");
    let (h, rows) = read_csv(&offline.join("channels.csv"));
    let tmall = rows.iter().find(|r| r[0] == "tmall").expect("tmall");
    assert_eq!(minor(&tmall[col(&h, "spend")]), e.channels["tmall"].spend);
    assert!(offline.join("region_map.svg").exists());
}

/// docs/api.md, Export: the lowest ROI is marked among the channels that
/// spent. One channel with spend beside one that only sold has no "lowest"
/// (as on the screen: one channel that spent is not the worst).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_channel_that_spent_is_not_marked_lowest_roi() {
    let app = spawn_app(config(SALE_TOML), START + 60 * MIN).await;
    let at = START + 30 * MIN;
    let body = [
        format!(
            r#"{{"type":"order","id":"o1","ts":{at},"store":"s1","items":[{{"sku":"k1","qty":1,"price":100}}]}}"#
        ),
        format!(
            r#"{{"type":"order","id":"o2","ts":{at},"store":"s2","items":[{{"sku":"k2","qty":1,"price":300}}]}}"#
        ),
        format!(r#"{{"type":"spend","id":"a1","ts":{at},"channel":"tmall","amount":"50.00"}}"#),
    ]
    .join("\n");
    let r = app.post_events(body, "application/x-ndjson").await;
    assert_eq!(r.status(), 200);
    let dir = export_pack(&app).await;
    let report = std::fs::read_to_string(dir.path().join("report.html")).expect("report");
    assert!(report.contains("Channels 渠道投产"), "the channel table");
    assert_eq!(
        report.matches("class=worst-row").count(),
        0,
        "only tmall spent: nothing to compare"
    );
}
