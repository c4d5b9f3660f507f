//! Issue 15's figures end to end (docs/api.md, Efficiency figures,
//! `/api/v1/regions`, `/api/v1/campaigns`, Live frames): a deterministic
//! mixed sale — orders with and without region (codes, Chinese and English
//! names, foreign strings) and campaign, refunds, traffic and spend naming
//! a store, a channel, both or neither, duplicates, events before the sale
//! — is posted in random batches, and every new figure the API and a live
//! snapshot show is compared with the test's own count, kept in plain maps
//! (`efficiency/model.rs`) without any engine code.

mod model;

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use warroom::views::round_ratio;

use crate::support::{MIN, SALE_TOML, START, TestApp, spawn_app};
use model::{Expected, Figures, Rng, generate};

/// 90 minutes into the sale.
const NOW: i64 = START + 90 * MIN;

fn config() -> warroom::config::Config {
    let toml = SALE_TOML
        .replacen("plan = ", "budget = \"80000\"\nplan = ", 1)
        .replacen(
            "target = \"600000\"\n",
            "target = \"600000\"\nbudget = \"30000.50\"\n",
            1,
        )
        + "\n[[campaigns]]\nid = \"直通车\"\nchannel = \"tmall\"\nbudget = \"12000\"\n";
    warroom::config::parse_str(&toml, "eff.toml", std::path::Path::new(".")).expect("valid")
}

/// `a ÷ b` as the docs define every ratio: `null` when `b` is 0.
fn ratio(a: f64, b: f64) -> Value {
    if b == 0.0 {
        Value::Null
    } else {
        Value::from(a / b)
    }
}

/// Two JSON numbers (or nulls) equal to 1e-12, relative.
fn close(got: &Value, want: &Value, what: &str) {
    match (got.as_f64(), want.as_f64()) {
        (Some(g), Some(w)) => assert!(
            (g - w).abs() <= 1e-12 * w.abs().max(1.0),
            "{what}: got {g}, want {w}"
        ),
        _ => assert_eq!(got, want, "{what}"),
    }
}

/// The efficiency fields of a row or totals against the model's figures;
/// `rounded`: as a live frame carries them (4 significant digits).
fn check_efficiency(got: &Value, f: &Figures, budget: Option<i64>, rounded: bool, what: &str) {
    let r = |v: Value| match v.as_f64() {
        Some(x) if rounded => Value::from(round_ratio(x)),
        _ => v,
    };
    assert_eq!(got["gmv"], f.gmv, "{what} gmv");
    assert_eq!(got["orders"], f.orders, "{what} orders");
    assert_eq!(got["visitors"], f.visitors, "{what} visitors");
    assert_eq!(got["spend"], f.spend, "{what} spend");
    if !got["page_views"].is_null() || !rounded {
        assert_eq!(got["page_views"], f.page_views, "{what} page_views");
    }
    let conv = ratio(f.orders as f64, f.visitors as f64);
    close(&got["conversion"], &r(conv), &format!("{what} conversion"));
    let roi = ratio(f.gmv as f64, f.spend as f64);
    close(&got["roi"], &r(roi), &format!("{what} roi"));
    let cts = ratio(f.spend as f64, f.gmv as f64);
    close(
        &got["cost_to_sales"],
        &r(cts),
        &format!("{what} cost_to_sales"),
    );
    match budget {
        Some(b) => {
            assert_eq!(got["budget"], b, "{what} budget");
            let used = ratio(f.spend as f64, b as f64);
            close(
                &got["budget_used"],
                &r(used),
                &format!("{what} budget_used"),
            );
            // A plan of (0, 0), (0.04, 0.3), (1, 1), 90 of 1440 minutes gone.
            let plan = 0.3 + (90.0 / 1440.0 - 0.04) / 0.96 * 0.7;
            close(
                &got["budget_plan"],
                &r(Value::from(plan)),
                &format!("{what} budget_plan"),
            );
        }
        None => {
            assert!(got.get("budget").is_none(), "{what}: no budget, no field");
            assert!(got.get("budget_used").is_none(), "{what}");
        }
    }
}

fn by_id(rows: &Value) -> BTreeMap<String, Value> {
    rows.as_array()
        .into_iter()
        .flatten()
        .map(|r| (r["id"].as_str().unwrap_or_default().to_string(), r.clone()))
        .collect()
}

/// `/api/v1/regions` rows (or a frame's arrays) against the model.
fn check_regions(
    got: &BTreeMap<String, Value>,
    want: &BTreeMap<String, model::RegionFig>,
    scope_gmv: i64,
    exact_buyers: bool,
    what: &str,
) {
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "{what}: the regions"
    );
    for (id, w) in want {
        let row = &got[id];
        assert_eq!(row["gmv"], w.gmv, "{what} {id} gmv");
        assert_eq!(row["orders"], w.orders, "{what} {id} orders");
        let buyers = exact_buyers.then_some(w.buyers.len() as u64);
        assert_eq!(
            row["buyers"],
            serde_json::json!(buyers),
            "{what} {id} buyers"
        );
        let per = match buyers {
            Some(b) if b > 0 => b,
            _ => w.orders,
        };
        let aov = (w.gmv as f64 / per as f64).round() as i64;
        assert_eq!(row["aov"], aov, "{what} {id} aov");
        close(
            &row["share"],
            &ratio(w.gmv as f64, scope_gmv as f64),
            &format!("{what} {id} share"),
        );
    }
}

async fn post_all(app: &TestApp, lines: &[String], rng: &mut Rng) -> (u64, u64) {
    let (mut accepted, mut duplicates, mut at) = (0, 0, 0);
    while at < lines.len() {
        let n = (1 + rng.below(60) as usize).min(lines.len() - at);
        let body = lines[at..at + n].join("\n");
        at += n;
        let r = app.post_events(body, "application/x-ndjson").await;
        assert_eq!(r.status(), 200);
        let reply: Value = r.json().await.expect("reply");
        assert_eq!(reply["rejected"], 0, "{reply}");
        accepted += reply["accepted"].as_u64().unwrap_or_default();
        duplicates += reply["duplicates"].as_u64().unwrap_or_default();
    }
    (accepted, duplicates)
}

async fn snapshot(app: &TestApp, query: &str) -> Value {
    let url = format!("ws://{}/api/v1/live{query}", app.addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("websocket");
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame within 10 s")
            .expect("open")
            .expect("frame");
        if let Message::Text(t) = msg {
            let f: Value = serde_json::from_str(&t).expect("JSON");
            if f["type"] == "snapshot" {
                return f;
            }
        }
    }
}

/// A frame's region arrays `[id, gmv, orders, buyers]` as rows.
fn frame_regions(f: &Value) -> BTreeMap<String, Value> {
    f["regions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let id = r[0].as_str().unwrap_or_default().to_string();
            (
                id,
                serde_json::json!({"gmv": r[1], "orders": r[2], "buyers": r[3]}),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_new_figure_matches_an_independent_count() {
    let mut rng = Rng(0x5eed_2026_1111);
    let lines = generate(&mut rng);
    let want = Expected::of(&lines);
    // The sale is as mixed as the test says.
    assert!(want.duplicates > 10, "{}", want.duplicates);
    assert_eq!(want.regions.len(), 7, "{:?}", want.regions.keys());
    assert_eq!(want.campaigns.len(), 3);
    assert!(want.channels.contains_key("douyin") && want.channels.contains_key("other"));
    let in_sale: u64 = want.sale_minutes.values().map(|m| m.visitors).sum();
    assert!(in_sale < want.sale.visitors, "some traffic before the sale");
    assert!(want.campaigns["钻展"].channel.is_some(), "a channel learnt from events");
    let app = spawn_app(config(), NOW).await;
    let (accepted, duplicates) = post_all(&app, &lines, &mut rng).await;
    assert_eq!((accepted, duplicates), (want.accepted, want.duplicates));

    let summary = app.get("/api/v1/summary").await;
    check_efficiency(
        &summary["totals"],
        &want.sale,
        Some(8_000_000),
        false,
        "sale",
    );

    let channels = by_id(&app.get("/api/v1/channels").await);
    assert_eq!(
        channels.keys().collect::<Vec<_>>(),
        want.channels.keys().collect::<Vec<_>>()
    );
    for (id, f) in &want.channels {
        let budget = (id == "tmall").then_some(3_000_050);
        check_efficiency(&channels[id], f, budget, false, &format!("channel {id}"));
    }
    let stores = by_id(&app.get("/api/v1/stores").await);
    for (id, f) in &want.stores {
        check_efficiency(&stores[id], f, None, false, &format!("store {id}"));
        let one = app.get(&format!("/api/v1/stores/{id}")).await;
        assert_eq!(one, stores[id], "/stores/{id}");
    }
    let skus = by_id(&app.get("/api/v1/skus").await);
    for (id, (visitors, views)) in &want.sku_visits {
        assert_eq!(
            (&skus[id]["visitors"], &skus[id]["page_views"]),
            (&Value::from(*visitors), &Value::from(*views)),
            "sku {id}"
        );
    }

    // Regions: the sale (buyers exact), each channel and each store.
    let regions = app.get("/api/v1/regions").await;
    assert_eq!(regions["gmv"], want.sale.gmv);
    let rows = by_id(&regions["regions"]);
    check_regions(&rows, &want.regions, want.sale.gmv, true, "sale");
    assert_eq!(rows["31"]["name"], "上海");
    assert_eq!(rows["31"]["name_en"], "Shanghai");
    assert_eq!(rows["Singapore"]["name"], "Singapore");
    let gmvs: Vec<i64> = regions["regions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["gmv"].as_i64())
        .collect();
    assert!(gmvs.windows(2).all(|w| w[0] >= w[1]), "highest GMV first");
    for (id, f) in &want.channels {
        let got = by_id(&app.get(&format!("/api/v1/regions?channel={id}")).await["regions"]);
        let empty = BTreeMap::new();
        let w = want.channel_regions.get(id).unwrap_or(&empty);
        check_regions(&got, w, f.gmv, false, &format!("channel {id}"));
    }
    for (id, f) in &want.stores {
        let got = by_id(&app.get(&format!("/api/v1/regions?store={id}")).await["regions"]);
        let empty = BTreeMap::new();
        let w = want.store_regions.get(id).unwrap_or(&empty);
        check_regions(&got, w, f.gmv, false, &format!("store {id}"));
    }

    // Campaigns, all and one channel's.
    let campaigns = by_id(&app.get("/api/v1/campaigns").await["campaigns"]);
    assert_eq!(
        campaigns.keys().collect::<Vec<_>>(),
        want.campaigns.keys().collect::<Vec<_>>()
    );
    for (id, c) in &want.campaigns {
        let row = &campaigns[id];
        assert_eq!(
            row["channel"],
            serde_json::json!(c.channel),
            "campaign {id} channel"
        );
        assert_eq!(
            (&row["spend"], &row["gmv"], &row["orders"]),
            (
                &Value::from(c.spend),
                &Value::from(c.gmv),
                &Value::from(c.orders)
            ),
            "campaign {id}"
        );
        close(
            &row["roi"],
            &ratio(c.gmv as f64, c.spend as f64),
            &format!("campaign {id} roi"),
        );
        let budget = (id == "直通车").then_some(1_200_000i64);
        assert_eq!(
            row["budget"],
            serde_json::json!(budget),
            "campaign {id} budget"
        );
        let used = budget.map_or(Value::Null, |b| ratio(c.spend as f64, b as f64));
        close(
            &row["budget_used"],
            &used,
            &format!("campaign {id} budget_used"),
        );
    }
    let tmall = by_id(&app.get("/api/v1/campaigns?channel=tmall").await["campaigns"]);
    let tmall_want: Vec<&String> = want
        .campaigns
        .iter()
        .filter(|(_, c)| c.channel.as_deref() == Some("tmall"))
        .map(|(id, _)| id)
        .collect();
    assert_eq!(tmall.keys().collect::<Vec<_>>(), tmall_want);

    // The timeline: visitors and spend per minute, for the sale, a channel and a store.
    for (scope, minutes) in [
        ("sale".to_string(), &want.sale_minutes),
        ("channel:tmall".to_string(), &want.channel_minutes["tmall"]),
        ("store:s1".to_string(), &want.store_minutes["s1"]),
    ] {
        let rows = app.get(&format!("/api/v1/timeline?scope={scope}")).await;
        let rows = rows.as_array().cloned().unwrap_or_default();
        assert_eq!(rows.len(), 91, "{scope}: minutes 0 to 90");
        for (m, row) in rows.iter().enumerate() {
            let w = minutes.get(&(m as i64)).copied().unwrap_or_default();
            assert_eq!(
                (&row["visitors"], &row["spend"], &row["gmv"], &row["orders"]),
                (
                    &Value::from(w.visitors),
                    &Value::from(w.spend),
                    &Value::from(w.gmv),
                    &Value::from(w.orders)
                ),
                "{scope} minute {m}"
            );
        }
    }

    // A live snapshot: the same figures, ratios rounded for the screen.
    let snap = snapshot(&app, "").await;
    check_efficiency(
        &snap["totals"],
        &want.sale,
        Some(8_000_000),
        true,
        "snapshot totals",
    );
    for ch in snap["channels"].as_array().into_iter().flatten() {
        let id = ch["id"].as_str().unwrap_or_default();
        let budget = (id == "tmall").then_some(3_000_050);
        check_efficiency(
            ch,
            &want.channels[id],
            budget,
            true,
            &format!("snapshot channel {id}"),
        );
    }
    let regions = frame_regions(&snap);
    assert_eq!(regions.len(), want.regions.len());
    for (id, w) in &want.regions {
        let row = &regions[id];
        assert_eq!(
            (&row["gmv"], &row["orders"], &row["buyers"]),
            (
                &Value::from(w.gmv),
                &Value::from(w.orders),
                &Value::from(w.buyers.len())
            ),
            "snapshot region {id}"
        );
    }
    let camps = by_id(&snap["campaigns"]);
    assert_eq!(camps.len(), want.campaigns.len());
    for (id, c) in &want.campaigns {
        assert_eq!(
            (&camps[id]["spend"], &camps[id]["gmv"]),
            (&Value::from(c.spend), &Value::from(c.gmv)),
            "snapshot campaign {id}"
        );
    }
    let tmall_snap = snapshot(&app, "?channels=tmall").await;
    let regions = frame_regions(&tmall_snap);
    for (id, w) in &want.channel_regions["tmall"] {
        assert_eq!(
            (&regions[id]["gmv"], &regions[id]["buyers"]),
            (&Value::from(w.gmv), &Value::Null),
            "tmall region {id}"
        );
    }
    assert_eq!(regions.len(), want.channel_regions["tmall"].len());
    assert_eq!(
        by_id(&tmall_snap["campaigns"]).keys().collect::<Vec<_>>(),
        tmall_want
    );
    check_efficiency(
        &tmall_snap["totals"],
        &want.channels["tmall"],
        Some(3_000_050),
        true,
        "tmall totals",
    );
}
