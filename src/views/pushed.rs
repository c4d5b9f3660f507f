//! Rows as a live tick pushes them: what moves, in as few bytes as a
//! person reading the frame can still follow (docs/api.md, Live frames).
//!
//! A busy sale changes every store and channel every tick, and every byte
//! goes to every screen four times a second; the snapshot (and the API)
//! has the full rows, a tick only what a screen merges onto them:
//!
//! - a **channel** is an object of its counters and ratios — no name
//!   (unless first seen), targets or windows (nothing on a screen draws a
//!   channel's windows, and they slide with the clock, so they would ride
//!   in nearly every tick);
//! - **stores** are arrays `[id, gmv, orders, completion]` (the bulk: up to
//!   200 rows per tick), with the names of stores first seen in a separate
//!   `store_names` object;
//! - **SKU rows** (top SKUs, stock warnings) carry what the screen draws.
//!
//! Ratios go through [`round_ratio`] as in every live frame.

use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::efficiency::{Efficiency, ReachFigures, channel_budget};
use super::figures::completion;
use super::rounding::{ratio, round_ratio};
use super::rows::{SkuRow, StockWarning};
use crate::config::Config;
use crate::engine::State;

/// A store's figures in a live tick; `name` only with a store's first tick
/// (the snapshot has the others). On the wire an array (see [`StoreDeltas`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StoreDelta {
    pub id: String,
    pub name: Option<String>,
    pub gmv: i64,
    pub orders: u64,
    pub completion: Option<f64>,
}

/// The column order of a store in a tick: `[id, gmv, orders, completion]`.
impl Serialize for StoreDelta {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (
            &self.id,
            self.gmv,
            self.orders,
            self.completion.map(round_ratio),
        )
            .serialize(s)
    }
}

/// Store `i`'s tick figures; `with_name` for its first tick.
pub fn store_delta(st: &State, i: usize, with_name: bool) -> StoreDelta {
    let s = &st.stores[i];
    let c = &s.scope.counters;
    StoreDelta {
        id: s.id.to_string(),
        name: with_name.then(|| s.name.to_string()),
        gmv: c.gmv,
        orders: c.orders,
        completion: completion(c.gmv, s.target),
    }
}

/// A tick's stores, flattened into the tick as two fields: `stores` (the
/// rows as arrays) and, when any store is first seen, `store_names`
/// (`{"s0009": "新店"}`). One list in Rust, so a name never parts from
/// its row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreDeltas(pub Vec<StoreDelta>);

impl FromIterator<StoreDelta> for StoreDeltas {
    fn from_iter<I: IntoIterator<Item = StoreDelta>>(iter: I) -> StoreDeltas {
        StoreDeltas(iter.into_iter().collect())
    }
}

impl Serialize for StoreDeltas {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let names: BTreeMap<&str, &str> = self
            .0
            .iter()
            .filter_map(|d| Some((d.id.as_str(), d.name.as_deref()?)))
            .collect();
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("stores", &self.0)?;
        if !names.is_empty() {
            map.serialize_entry("store_names", &names)?;
        }
        map.end()
    }
}

/// A channel in a live tick: its counters and ratios; `name` only with a
/// channel's first tick.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChannelDelta {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub gmv: i64,
    pub refunds: i64,
    pub net_gmv: i64,
    pub orders: u64,
    pub units: u64,
    pub buyers: u64,
    #[serde(serialize_with = "ratio")]
    pub completion: Option<f64>,
    pub profit: i64,
    #[serde(serialize_with = "ratio")]
    pub profit_completion: Option<f64>,
    /// Spend ÷ GMV, always: without spend it is `null` before the first
    /// sale and 0 after, so it moves even while the block below is absent.
    #[serde(serialize_with = "ratio")]
    pub cost_to_sales: Option<f64>,
    /// Traffic, spend and their ratios; absent while the channel has had
    /// neither (they are then 0 and `null`, as the snapshot has them).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub efficiency: Option<ChannelEfficiency>,
}

/// A channel's efficiency figures in a tick (docs/api.md, Tick rows).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChannelEfficiency {
    pub visitors: u64,
    pub page_views: u64,
    pub spend: i64,
    #[serde(serialize_with = "ratio")]
    pub conversion: Option<f64>,
    #[serde(serialize_with = "ratio")]
    pub roi: Option<f64>,
    /// Only for a channel with a budget.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ratio")]
    pub budget_used: Option<f64>,
}

/// Channel `i`'s tick figures; `with_name` for its first tick.
pub fn channel_delta(st: &State, cfg: &Config, i: usize, with_name: bool) -> ChannelDelta {
    let ch = &st.channels[i];
    let c = &ch.scope.counters;
    let e = Efficiency::of(&ReachFigures::of(&ch.scope.reach), c.gmv, c.orders);
    let budget = channel_budget(cfg, &ch.id);
    ChannelDelta {
        id: ch.id.to_string(),
        name: with_name.then(|| ch.name.to_string()),
        gmv: c.gmv,
        refunds: c.refunds,
        net_gmv: c.gmv - c.refunds,
        orders: c.orders,
        units: c.units,
        buyers: c.buyers,
        completion: completion(c.gmv, ch.target),
        profit: c.profit,
        profit_completion: completion(c.profit, ch.profit_target),
        cost_to_sales: e.cost_to_sales,
        efficiency: (!ch.scope.reach.is_empty()).then(|| ChannelEfficiency {
            visitors: e.visitors,
            page_views: e.page_views,
            spend: e.spend,
            conversion: e.conversion,
            roi: e.roi,
            budget_used: budget.and_then(|b| (b != 0).then(|| e.spend as f64 / b as f64)),
        }),
    }
}

/// A SKU row as a tick sends it: what the top-SKU and stock-warning panels
/// draw (the snapshot and `/api/v1/skus` have the rest).
#[derive(Serialize)]
struct SkuTick<'a> {
    id: &'a str,
    name: &'a str,
    units: u64,
    gmv: i64,
    stock_left: Option<i64>,
    sellout_eta_s: Option<f64>,
    warning: Option<StockWarning>,
}

impl<'a> From<&'a SkuRow> for SkuTick<'a> {
    fn from(k: &'a SkuRow) -> SkuTick<'a> {
        SkuTick {
            id: &k.id,
            name: &k.name,
            units: k.units,
            gmv: k.gmv,
            stock_left: k.stock_left,
            sellout_eta_s: k.sellout_eta_s,
            warning: k.warning,
        }
    }
}

/// `serialize_with` for a tick's SKU list (present only when it changed).
pub fn tick_skus<S: Serializer>(rows: &Option<Vec<SkuRow>>, s: S) -> Result<S::Ok, S::Error> {
    match rows {
        Some(rows) => s.collect_seq(rows.iter().map(SkuTick::from)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn delta(id: &str, name: Option<&str>, completion: Option<f64>) -> StoreDelta {
        StoreDelta {
            id: id.into(),
            name: name.map(Into::into),
            gmv: 123_400,
            orders: 45,
            completion,
        }
    }

    #[test]
    fn stores_are_arrays_with_the_new_names_beside() {
        let ticks: StoreDeltas = [
            delta("s0001", None, Some(0.531_249_9)),
            delta("s0009", Some("新店"), None),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            serde_json::to_value(&ticks).expect("json"),
            json!({
                "stores": [["s0001", 123_400, 45, 0.5312], ["s0009", 123_400, 45, null]],
                "store_names": {"s0009": "新店"},
            })
        );
    }

    #[test]
    fn without_new_stores_there_are_no_names() {
        let ticks = StoreDeltas(vec![delta("s0001", None, Some(0.5))]);
        assert_eq!(
            serde_json::to_string(&ticks).expect("json"),
            r#"{"stores":[["s0001",123400,45,0.5]]}"#
        );
    }

    #[test]
    fn a_tick_sku_row_is_what_the_screen_draws() {
        let row = SkuRow {
            id: "k1".into(),
            name: "保温杯".into(),
            units: 9,
            gmv: 9_900,
            refund_units: 1,
            target_units: Some(100),
            completion: Some(0.09),
            stock: Some(20),
            stock_left: Some(11),
            sellout_eta_s: Some(366.0),
            warning: Some(StockWarning::Low),
            visitors: 40,
            page_views: 90,
        };
        #[derive(Serialize)]
        struct T {
            #[serde(serialize_with = "tick_skus")]
            top_skus: Option<Vec<SkuRow>>,
        }
        assert_eq!(
            serde_json::to_value(T {
                top_skus: Some(vec![row])
            })
            .expect("json"),
            json!({"top_skus": [{
                "id": "k1", "name": "保温杯", "units": 9, "gmv": 9_900,
                "stock_left": 11, "sellout_eta_s": 366.0, "warning": "low",
            }]})
        );
    }
}
