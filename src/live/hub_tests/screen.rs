//! What the hub's tests drive: a sale on a manual clock fed through
//! ingest, and a screen that merges frames as the page does
//! (`web/figures.js`: rows by id, store arrays and names, rows that left
//! dropped, series by second, timeline by minute).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::alerts::Alerts;
use crate::clock::ManualClock;
use crate::engine::Engine;
use crate::ingest::Ingest;
use crate::live::catch_up::{Next, next};
use crate::live::hub::{Hub, Subscription};
use crate::live::payload::Payload;
use crate::live::publish::Budget;
use crate::metrics::HttpMetrics;

pub(super) const SALE: &str = r#"
[sale]
name = "hub"
currency = "CNY"
timezone = "Asia/Shanghai"
starts = "2026-11-11T00:00:00+08:00"
ends = "2026-11-12T00:00:00+08:00"
target = "1000000"

[[channels]]
id = "tmall"
name = "天猫"

budget = "5000"

[[campaigns]]
id = "直通车"
channel = "tmall"
budget = "2000"

[[stores]]
id = "s1"
name = "旗舰店"
channel = "tmall"
target = "300000"

[[skus]]
id = "k1"
name = "保温杯"
stock = 100
low_stock = 10
"#;
/// An hour into the sale.
pub(super) const NOW_MS: i64 = 1_794_330_000_000;

pub(super) struct Setup {
    pub(super) hub: Hub,
    pub(super) ingest: Ingest,
    pub(super) clock: ManualClock,
}

pub(super) fn setup() -> Setup {
    let cfg = crate::config::parse_str(SALE, "hub.toml", Path::new(".")).expect("valid");
    let clock = ManualClock::new(NOW_MS);
    let engine = Engine::new(Arc::new(cfg), Arc::new(clock.clone()));
    let alerts = Alerts::new(engine.clone(), None);
    let ingest = Ingest::new(engine.clone(), Arc::new(HttpMetrics::default()));
    Setup {
        hub: Hub::new(engine, alerts),
        ingest,
        clock,
    }
}

impl Setup {
    pub(super) fn order(&self, id: &str, store: &str, qty: u32) {
        let line = format!(
            r#"{{"type":"order","id":"{id}","ts":{NOW_MS},"store":"{store}","buyer":"b{id}","items":[{{"sku":"k1","qty":{qty},"price":100}}]}}"#
        );
        let reply = self
            .ingest
            .submit(line.as_bytes(), Some("application/x-ndjson"))
            .expect("readable");
        assert_eq!(reply.reply.accepted, 1, "{line}");
    }

    /// Any event line, stamped now (`{ts}` in `line` is replaced).
    pub(super) fn submit(&self, line: &str) {
        let line = line.replace("{ts}", &NOW_MS.to_string());
        let reply = self
            .ingest
            .submit(line.as_bytes(), Some("application/x-ndjson"))
            .expect("readable");
        assert_eq!(reply.reply.accepted, 1, "{line}: {:?}", reply.reply.errors);
    }

    /// One tick 250 ms after the last, with `fired` alert frames riding on it.
    pub(super) fn tick(&self, fired: &[&'static str]) {
        self.clock.advance(250);
        let all = Duration::from_secs(3600);
        let fired = fired.iter().map(|f| Payload::new(f.to_string())).collect();
        self.hub.tick_with(
            fired,
            Budget {
                tick: all,
                chunk: all,
            },
        );
    }
}

pub(super) fn json(bytes: &str) -> Value {
    serde_json::from_str(bytes).expect("a frame is JSON")
}

/// A screen's figures, merged from a snapshot and tick frames as the page
/// does (`web/figures.js`: rows by id, store deltas over full rows,
/// series by second, timeline by minute).
#[derive(Default)]
pub(super) struct Screen {
    pub(super) seq: u64,
    pub(super) totals: Value,
    pub(super) channels: BTreeMap<String, Value>,
    pub(super) stores: BTreeMap<String, Value>,
    pub(super) top_skus: Value,
    pub(super) warnings: Value,
    pub(super) series: BTreeMap<i64, Value>,
    pub(super) timeline: BTreeMap<String, Value>,
    pub(super) alerts: Vec<String>,
    pub(super) kinds: Vec<String>,
    /// Region arrays `[id, gmv, orders, buyers]` and campaign objects, by id.
    pub(super) regions: BTreeMap<String, Value>,
    pub(super) campaigns: BTreeMap<String, Value>,
    /// The last frame merged, as sent.
    pub(super) last: Value,
}

pub(super) fn by_id(rows: &Value) -> impl Iterator<Item = (String, Value)> + '_ {
    rows.as_array()
        .into_iter()
        .flatten()
        .map(|r| (r["id"].as_str().unwrap_or_default().to_string(), r.clone()))
}

/// Rows merged over the rows held, field by field (a tick's rows carry
/// only what moves).
pub(super) fn merge(
    held: &mut BTreeMap<String, Value>,
    rows: impl Iterator<Item = (String, Value)>,
) {
    for (id, row) in rows {
        let merged = held.entry(id).or_insert(Value::Object(Default::default()));
        for (k, v) in row.as_object().into_iter().flatten() {
            merged[k] = v.clone();
        }
    }
}

/// The fields of SKU rows a tick carries, for comparing with a snapshot's.
pub(super) fn sku_cells(rows: &Value) -> Vec<Value> {
    rows.as_array()
        .into_iter()
        .flatten()
        .map(|r| serde_json::json!([r["id"], r["units"], r["gmv"], r["stock_left"], r["warning"]]))
        .collect()
}

impl Screen {
    pub(super) fn frame(&mut self, text: &str) {
        let f = json(text);
        self.last = f.clone();
        let kind = f["type"].as_str().unwrap_or_default().to_string();
        self.kinds.push(kind.clone());
        if kind == "alert" {
            self.alerts.push(text.to_string());
            return;
        }
        if kind == "snapshot" {
            self.channels.clear();
            self.stores.clear();
            self.series.clear();
            self.timeline.clear();
            self.regions.clear();
            self.campaigns.clear();
        }
        for r in f["regions"].as_array().into_iter().flatten() {
            let id = r[0].as_str().unwrap_or_default().to_string();
            self.regions.insert(id, r.clone());
        }
        merge(&mut self.campaigns, by_id(&f["campaigns"]));
        self.seq = f["seq"].as_u64().unwrap_or_default();
        self.totals = f["totals"].clone();
        merge(&mut self.channels, by_id(&f["channels"]));
        // A tick's stores are `[id, gmv, orders, completion]`, their names
        // beside (docs/api.md, Tick rows).
        let stores = f["stores"].as_array().into_iter().flatten().map(|r| {
            if let Some(cells) = r.as_array() {
                let id = cells[0].as_str().unwrap_or_default().to_string();
                let mut row = serde_json::json!({
                    "id": id, "gmv": cells[1], "orders": cells[2], "completion": cells[3],
                });
                if let Some(name) = f["store_names"].get(&id) {
                    row["name"] = name.clone();
                }
                (id, row)
            } else {
                (r["id"].as_str().unwrap_or_default().to_string(), r.clone())
            }
        });
        merge(&mut self.stores, stores);
        for (key, held) in [
            ("stores_left", &mut self.stores),
            ("channels_left", &mut self.channels),
        ] {
            for id in f[key].as_array().into_iter().flatten() {
                held.remove(id.as_str().unwrap_or_default());
            }
        }
        for key in ["top_skus", "stock_warnings"] {
            if !f[key].is_null() {
                let slot = if key == "top_skus" {
                    &mut self.top_skus
                } else {
                    &mut self.warnings
                };
                *slot = f[key].clone();
            }
        }
        for p in f["series"].as_array().into_iter().flatten() {
            self.series
                .insert(p[0].as_i64().unwrap_or_default(), p.clone());
        }
        for row in f["timeline"].as_array().into_iter().flatten() {
            let at = row["minute_start"].as_str().unwrap_or_default().to_string();
            self.timeline.insert(at, row.clone());
        }
    }

    /// What the serve loop does with the topic's newest frame.
    pub(super) fn serve(&mut self, sub: &mut Subscription) -> Next {
        let p = sub.rx.borrow_and_update().clone();
        let what = next(self.seq, &p);
        match what {
            Next::Skip => {}
            Next::Regular => {
                p.alerts.iter().for_each(|a| self.frame(a));
                self.frame(&p.tick);
            }
            Next::CatchUp { since } => {
                let c = sub.catch_up(since, &p);
                c.alerts.iter().for_each(|a| self.frame(a));
                self.frame(&c.tick);
            }
        }
        sub.handled(&p);
        what
    }
}
