//! docs/api.md, Prices: a generated sale (items with and without a cost,
//! SKUs with and without a configured cost, list price and standard
//! margin, refunds in later hours, orders outside the sale) read through
//! `GET /api/v1/skus/{id}/prices`, `GET /api/v1/prices` and the pack's
//! `sku_prices.csv`, each figure against the test's own computation; and
//! the hours kept across a restart from the checkpoint a clean stop writes.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use warroom::config::{self, Config};
use warroom::sim::Rng;

use crate::export::{col, minor, read_csv};
use crate::support::{MIN, START, spawn_app};

const HOUR: i64 = 60 * MIN;

const SALE: &str = r#"
[sale]
name = "价格"
currency = "CNY"
timezone = "Asia/Shanghai"
starts = "2026-11-11T00:00:00+08:00"
ends = "2026-11-12T00:00:00+08:00"

[[channels]]
id = "tmall"

[[channels]]
id = "jd"

[[stores]]
id = "s1"
channel = "tmall"

[[stores]]
id = "s2"
channel = "jd"

[[skus]]
id = "k1"
cost = "60.00"
list_price = "120"
standard_margin = 0.45

[[skus]]
id = "k2"
list_price = 200.5
standard_margin = "0.3"

[[skus]]
id = "k3"
cost = "10"
standard_margin = 0.2

[[skus]]
id = "k4"
list_price = "50"
standard_margin = 0.5

[[skus]]
id = "k5"
cost = "80"
"#;

fn sale_config(dir: &Path) -> Config {
    let mut cfg = config::parse_str(SALE, "prices.toml", Path::new(".")).expect("valid");
    cfg.storage.dir = Some(dir.to_path_buf());
    cfg
}

/// Configured (cost, list price, standard margin) of each SKU, in minor units.
fn catalog(sku: &str) -> (Option<i64>, Option<i64>, Option<f64>) {
    match sku {
        "k1" => (Some(6000), Some(12000), Some(0.45)),
        "k2" => (None, Some(20050), Some(0.3)),
        "k3" => (Some(1000), None, Some(0.2)),
        "k4" => (None, Some(5000), Some(0.5)),
        _ => (Some(8000), None, None),
    }
}

/// One order or refund line as sent.
struct Line {
    sku: &'static str,
    qty: i64,
    price: i64,
    cost: Option<i64>,
}

fn money(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

fn items(lines: &[Line]) -> String {
    let items: Vec<String> = lines
        .iter()
        .map(|l| {
            let cost = l
                .cost
                .map(|c| format!(r#","cost":"{}""#, money(c)))
                .unwrap_or_default();
            format!(
                r#"{{"sku":"{}","qty":{},"price":"{}"{cost}}}"#,
                l.sku,
                l.qty,
                money(l.price)
            )
        })
        .collect();
    items.join(",")
}

/// The test's own hourly figures: gross GMV and units from orders; profit
/// and costed GMV from orders minus refunds, each in its own hour.
#[derive(Debug, Default, Clone, Copy)]
struct Hour {
    gmv: i64,
    units: i64,
    profit: i64,
    costed: i64,
}

#[derive(Default)]
struct Expected {
    /// (sku, hour) → figures, inside the sale only.
    hours: BTreeMap<(&'static str, i64), Hour>,
    /// sku → (units, gmv, profit, costed) over everything.
    totals: BTreeMap<&'static str, (i64, i64, i64, i64)>,
    /// hour → (orders, gmv, units) of the sale; channel likewise.
    basket: BTreeMap<(&'static str, i64), (i64, i64, i64)>,
}

fn generate(seed: u64) -> (Vec<String>, Expected) {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    let mut want = Expected::default();
    let skus = ["k1", "k2", "k3", "k4", "k5"];
    for i in 0..400 {
        // Hours 0–5 of the sale, and a few the hour before it.
        let ts = if i % 50 == 7 {
            START - 30 * MIN
        } else {
            START + rng.below(6 * 60) as i64 * MIN + rng.below(59_000) as i64
        };
        let (store, channel) = if rng.chance(0.6) {
            ("s1", "tmall")
        } else {
            ("s2", "jd")
        };
        let lines: Vec<Line> = (0..1 + rng.below(3))
            .map(|_| {
                let sku = skus[rng.below(5) as usize];
                // A price from 40 % to 130 % of 100 yuan, to the fen.
                let price = 4000 + rng.below(9000) as i64;
                let cost = match sku {
                    // k2 has no configured cost: some items carry one.
                    "k2" => rng.chance(0.5).then(|| 5000 + rng.below(3000) as i64),
                    // An item's cost wins over the SKU's.
                    "k1" if rng.chance(0.2) => Some(9000),
                    _ => None,
                };
                Line {
                    sku,
                    qty: 1 + rng.below(3) as i64,
                    price,
                    cost,
                }
            })
            .collect();
        out.push(format!(
            r#"{{"type":"order","id":"o{i}","ts":{ts},"store":"{store}","items":[{}]}}"#,
            items(&lines)
        ));
        let in_sale = ts >= START;
        let hour = (ts - START).div_euclid(HOUR);
        let (mut o_gmv, mut o_units) = (0, 0);
        for l in &lines {
            let amount = l.qty * l.price;
            let costed = l
                .cost
                .or(catalog(l.sku).0)
                .map(|c| (l.qty * (l.price - c), amount));
            let t = want.totals.entry(l.sku).or_default();
            t.0 += l.qty;
            t.1 += amount;
            if let Some((p, c)) = costed {
                t.2 += p;
                t.3 += c;
            }
            o_gmv += amount;
            o_units += l.qty;
            if in_sale {
                let h = want.hours.entry((l.sku, hour)).or_default();
                h.gmv += amount;
                h.units += l.qty;
                if let Some((p, c)) = costed {
                    h.profit += p;
                    h.costed += c;
                }
            }
        }
        if in_sale {
            for scope in ["sale", channel] {
                let b = want.basket.entry((scope, hour)).or_default();
                *b = (b.0 + 1, b.1 + o_gmv, b.2 + o_units);
            }
        }
        // Every fifth order is refunded whole, one to three hours later.
        if i % 5 == 0 && in_sale {
            let rts = ts + (1 + rng.below(3) as i64) * HOUR;
            out.push(format!(
                r#"{{"type":"refund","id":"r{i}","ts":{rts},"store":"{store}","items":[{}]}}"#,
                items(&lines)
            ));
            let rhour = (rts - START).div_euclid(HOUR);
            for l in &lines {
                let amount = l.qty * l.price;
                let Some(c) = l.cost.or(catalog(l.sku).0) else {
                    continue;
                };
                let p = l.qty * (l.price - c);
                let t = want.totals.entry(l.sku).or_default();
                t.2 -= p;
                t.3 -= amount;
                let h = want.hours.entry((l.sku, rhour)).or_default();
                h.profit -= p;
                h.costed -= amount;
            }
        }
    }
    (out, want)
}

fn close(got: &Value, want: Option<f64>, what: &str) {
    match want {
        None => assert!(got.is_null(), "{what}: {got} (want null)"),
        Some(w) => {
            let g = got.as_f64().unwrap_or(f64::NAN);
            assert!((g - w).abs() < 1e-9, "{what}: {g} (want {w})");
        }
    }
}

fn ratio(a: i64, b: i64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// The API's SKU hours against the test's.
fn check_sku(body: &Value, sku: &'static str, want: &Expected) {
    let (_, list, standard) = catalog(sku);
    assert_eq!(body["id"], sku);
    assert_eq!(body["list_price"].as_i64(), list, "{sku} list price");
    close(&body["standard_margin"], standard, "standard margin");
    let mine: Vec<(i64, Hour)> = want
        .hours
        .iter()
        .filter(|((k, _), _)| *k == sku)
        .map(|((_, h), v)| (*h, *v))
        .collect();
    let rows = body["hours"].as_array().expect("hours");
    assert_eq!(rows.len(), mine.len(), "{sku}: hours {rows:?}");
    for (row, (h, v)) in rows.iter().zip(mine) {
        let what = format!("{sku} hour {h}");
        assert_eq!(row["hour"].as_i64(), Some(h), "{what}");
        assert_eq!(row["gmv"].as_i64(), Some(v.gmv), "{what}");
        assert_eq!(row["units"].as_i64(), Some(v.units), "{what}");
        let asp = ratio(v.gmv, v.units);
        assert_eq!(row["asp"].as_i64(), asp.map(|a| a.round() as i64), "{what}");
        let margin = ratio(v.profit, v.costed);
        close(&row["margin"], margin, &format!("{what} margin"));
        assert_eq!(
            row["profit_per_unit"].as_i64(),
            asp.zip(margin).map(|(a, m)| (a * m).round() as i64),
            "{what} profit per unit"
        );
        let depth = asp.zip(list).map(|(a, l)| 1.0 - a / l as f64);
        close(&row["discount_depth"], depth, &format!("{what} depth"));
        let at = chrono::DateTime::parse_from_rfc3339(row["at"].as_str().expect("at"))
            .expect("RFC 3339");
        assert_eq!(at.timestamp_millis(), START + h * HOUR, "{what}");
        assert!(row["at"].as_str().is_some_and(|s| s.ends_with("+08:00")));
    }
}

/// The below-standard-margin list the test expects, worst gap first.
fn below(want: &Expected) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = want
        .totals
        .iter()
        .filter_map(|(sku, t)| {
            let standard = catalog(sku).2?;
            let margin = ratio(t.2, t.3)?;
            (margin < standard).then(|| (sku.to_string(), standard - margin))
        })
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn price_trends_and_the_below_margin_list_match_an_independent_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Orders in hours 0–5, refunds up to three hours later: all past.
    let now = START + 10 * HOUR;
    let app = spawn_app(sale_config(dir.path()), now).await;
    let (lines, want) = generate(16);
    let r = app
        .post_events(lines.join("\n"), "application/x-ndjson")
        .await;
    assert_eq!(r.status(), 200);

    for sku in ["k1", "k2", "k3", "k4", "k5"] {
        check_sku(
            &app.get(&format!("/api/v1/skus/{sku}/prices")).await,
            sku,
            &want,
        );
    }
    let r = app
        .client
        .get(format!("{}/api/v1/skus/nope/prices", app.base))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 404);

    let prices = app.get("/api/v1/prices").await;
    let listed = prices["below_margin"].as_array().expect("below_margin");
    let expect = below(&want);
    assert!(
        !expect.is_empty() && expect.len() < 4,
        "the generated sale has SKUs on both sides: {expect:?}"
    );
    assert_eq!(listed.len(), expect.len(), "{listed:?} vs {expect:?}");
    for (row, (sku, gap)) in listed.iter().zip(&expect) {
        assert_eq!(row["id"].as_str(), Some(sku.as_str()));
        close(&row["gap"], Some(*gap), &format!("{sku} gap"));
        let t = want.totals[sku.as_str()];
        assert_eq!(
            (row["units"].as_i64(), row["gmv"].as_i64()),
            (Some(t.0), Some(t.1))
        );
        close(&row["margin"], ratio(t.2, t.3), "margin");
    }
    assert!(
        listed.iter().all(|r| r["id"] != "k4" && r["id"] != "k5"),
        "no cost data or no standard margin: never listed"
    );

    // The basket, for the sale and each channel, hour by hour.
    let basket = &prices["basket"];
    let mut scopes = vec![("sale", &basket["sale"])];
    for c in basket["channels"].as_array().expect("channels") {
        scopes.push((if c["id"] == "tmall" { "tmall" } else { "jd" }, &c["hours"]));
    }
    for (scope, rows) in scopes {
        let rows = rows.as_array().expect("rows");
        assert_eq!(rows.len(), 6, "{scope}: hours 0–5");
        for row in rows {
            let h = row["hour"].as_i64().expect("hour");
            let (orders, gmv, units) = want.basket.get(&(scope, h)).copied().unwrap_or_default();
            assert_eq!(row["orders"].as_i64(), Some(orders), "{scope} {h}");
            assert_eq!(
                row["aov"].as_i64(),
                ratio(gmv, orders).map(|a| a.round() as i64),
                "{scope} {h}"
            );
            close(&row["units_per_order"], ratio(units, orders), scope);
        }
    }

    // Back from the checkpoint a clean stop writes: the same hours; and
    // the pack's CSV holds them, in major units.
    app.stop().await;
    let again = spawn_app(sale_config(dir.path()), now).await;
    for sku in ["k1", "k2", "k3"] {
        check_sku(
            &again.get(&format!("/api/v1/skus/{sku}/prices")).await,
            sku,
            &want,
        );
    }
    assert_eq!(again.get("/api/v1/prices").await, prices);
    let zip = again
        .client
        .get(format!("{}/api/v1/export", again.base))
        .send()
        .await
        .expect("export")
        .bytes()
        .await
        .expect("zip");
    let out = tempfile::tempdir().expect("tempdir");
    warroom::export::unzip_into(&zip, out.path()).expect("unzip");
    let report = std::fs::read_to_string(out.path().join("report.html")).expect("report");
    let section = report
        .split("低于标准毛利")
        .nth(1)
        .expect("the below-margin table");
    let worst = format!("<td>{}</td>", expect[0].0);
    assert!(section.contains(&worst), "{section}");
    let (h, rows) = read_csv(&out.path().join("sku_prices.csv"));
    assert_eq!(rows.len(), want.hours.len(), "one row per SKU and hour");
    for r in &rows {
        let sku = ["k1", "k2", "k3", "k4", "k5"]
            .into_iter()
            .find(|k| *k == r[col(&h, "sku")])
            .expect("sku");
        let hour: i64 = r[col(&h, "hour")].parse().expect("hour");
        let v = want.hours[&(sku, hour)];
        assert_eq!(minor(&r[col(&h, "gmv")]), v.gmv);
        assert_eq!(r[col(&h, "units")], v.units.to_string());
        let list = &r[col(&h, "list_price")];
        assert_eq!(catalog(sku).1.map(money).unwrap_or_default(), *list);
    }
    again.stop().await;
}

#[test]
fn catalog_errors_name_the_file_line_and_column() {
    let bad = |extra: &str| {
        let text = format!("{SALE}\n[[skus]]\nid = \"k9\"\n{extra}\n");
        config::parse_str(&text, "prices.toml", Path::new("."))
            .expect_err(extra)
            .to_string()
    };
    for (extra, want) in [
        ("standard_margin = 1.5", "standard_margin"),
        ("standard_margin = -0.1", "standard_margin"),
        ("standard_margin = \"a lot\"", "standard_margin"),
        ("list_price = \"-3\"", "list_price"),
        ("list_price = true", "list_price"),
    ] {
        let err = bad(extra);
        assert!(
            err.contains(want) && err.contains("prices.toml:"),
            "{extra}: {err}"
        );
    }

    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("skus.csv");
    let toml = format!(
        "{}\n[catalog]\nskus = \"skus.csv\"\n",
        SALE.split("[[skus]]").next().unwrap_or_default()
    );
    for (row, column, line) in [
        ("k7,12.5,0.35\nk8,10,1.2", "standard_margin", ":3"),
        ("k7,abc,0.35", "list_price", ":2"),
    ] {
        std::fs::write(&csv, format!("id,list_price,standard_margin\n{row}\n")).expect("csv");
        let err = config::parse_str(&toml, "prices.toml", dir.path())
            .expect_err(row)
            .to_string();
        assert!(
            err.contains("skus.csv") && err.contains(line) && err.contains(column),
            "{row}: {err}"
        );
    }
    std::fs::write(&csv, "id,list_price,standard_margin\nk7,12.5,0.35\nk8,,\n").expect("csv");
    let cfg = config::parse_str(&toml, "prices.toml", dir.path()).expect("valid");
    assert_eq!(cfg.skus[0].list_price, Some(1250));
    assert_eq!(cfg.skus[0].standard_margin, Some(0.35));
    assert_eq!(
        (cfg.skus[1].list_price, cfg.skus[1].standard_margin),
        (None, None)
    );
}
