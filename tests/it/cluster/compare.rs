//! One node's figures against the test's expectation (`load::Expect`):
//! the summary, every channel, store and SKU row, and every timeline
//! minute, each difference named.

use std::collections::BTreeMap;

use serde_json::Value;

use super::load::{Expect, Figures};
use super::node::get;

fn rows_by_id(v: &Value) -> BTreeMap<String, Value> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| Some((r["id"].as_str()?.to_string(), r.clone())))
        .collect()
}

/// Differences between a node's figures and the expectation.
#[derive(Default)]
struct Diff(Vec<String>);

impl Diff {
    fn eq(&mut self, what: impl std::fmt::Display, have: &Value, want: impl Into<i128>) {
        let want = want.into();
        if have.as_i64().map(i128::from) != Some(want) {
            self.0.push(format!("{what}: {have}, expected {want}"));
        }
    }

    fn scope(&mut self, scope: &str, row: &Value, f: &Figures) {
        self.eq(format_args!("{scope} gmv"), &row["gmv"], f.gmv);
        self.eq(format_args!("{scope} refunds"), &row["refunds"], f.refunds);
        self.eq(
            format_args!("{scope} net_gmv"),
            &row["net_gmv"],
            f.gmv - f.refunds,
        );
        self.eq(format_args!("{scope} orders"), &row["orders"], f.orders);
        self.eq(format_args!("{scope} units"), &row["units"], f.units);
        self.eq(
            format_args!("{scope} buyers"),
            &row["buyers"],
            f.buyers.len() as u64,
        );
        self.eq(format_args!("{scope} profit"), &row["profit"], f.profit);
    }
}

/// Compares one node's figures with the expectation; every difference.
pub async fn differences(client: &reqwest::Client, base: &str, ex: &Expect) -> Vec<String> {
    let mut d = Diff::default();
    let s = get(client, base, "/api/v1/summary").await;
    d.eq("events_applied", &s["events_applied"], ex.events_applied);
    d.eq("duplicates", &s["duplicates"], ex.duplicates);
    let t = &s["totals"];
    d.scope("sale", t, &ex.sale);
    d.eq(
        "sale refund_count",
        &t["refund_count"],
        ex.sale.refund_count,
    );
    d.eq(
        "sale refund_units",
        &t["refund_units"],
        ex.sale.refund_units,
    );
    d.eq(
        "sale new_buyers",
        &t["new_buyers"],
        ex.new_buyers.len() as u64,
    );
    for (path, want) in [
        ("/api/v1/channels", &ex.channels),
        ("/api/v1/stores", &ex.stores),
    ] {
        let rows = rows_by_id(&get(client, base, path).await);
        let zero = Figures::default();
        for id in rows.keys().chain(want.keys()) {
            let row = rows.get(id).cloned().unwrap_or(Value::Null);
            d.scope(&format!("{path} {id}"), &row, want.get(id).unwrap_or(&zero));
        }
    }
    let rows = rows_by_id(&get(client, base, "/api/v1/skus?limit=1000").await);
    for id in rows.keys().chain(ex.skus.keys()) {
        let row = rows.get(id).cloned().unwrap_or(Value::Null);
        let want = ex.skus.get(id).cloned().unwrap_or_default();
        d.eq(format_args!("sku {id} units"), &row["units"], want.units);
        d.eq(format_args!("sku {id} gmv"), &row["gmv"], want.gmv);
        d.eq(
            format_args!("sku {id} refund_units"),
            &row["refund_units"],
            want.refund_units,
        );
        match want.stock_left {
            Some(left) => d.eq(
                format_args!("sku {id} stock_left"),
                &row["stock_left"],
                left,
            ),
            None if !row["stock_left"].is_null() => d.0.push(format!(
                "sku {id} stock_left: {}, expected null (no level known)",
                row["stock_left"]
            )),
            None => {}
        }
    }
    let timeline = get(client, base, "/api/v1/timeline").await;
    let rows = timeline.as_array().cloned().unwrap_or_default();
    let last = ex.minutes.keys().next_back().copied().unwrap_or(0);
    if rows.len() <= last {
        d.0.push(format!(
            "timeline: {} rows, minute {last} has orders",
            rows.len()
        ));
    }
    let mut cumulative = 0i64;
    for (m, row) in rows.iter().enumerate() {
        let (gmv, orders, units) = ex.minutes.get(&m).copied().unwrap_or_default();
        cumulative += gmv;
        d.eq(format_args!("minute {m} gmv"), &row["gmv"], gmv);
        d.eq(format_args!("minute {m} orders"), &row["orders"], orders);
        d.eq(format_args!("minute {m} units"), &row["units"], units);
        d.eq(
            format_args!("minute {m} cumulative_gmv"),
            &row["cumulative_gmv"],
            cumulative,
        );
    }
    d.0
}
