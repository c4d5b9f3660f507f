//! Frame shapes (`hello`, `snapshot`, `tick`) and how they are built from
//! the engine's state.
//!
//! A frame is built for a *selection* (`scope.rs`): the stores and channels
//! a filter covers and the scope its totals describe. The "what changed
//! since the last tick" sets and the sale-wide parts (top SKUs and stock
//! warnings, about once a second) are computed once in a [`TickContext`]
//! and shared by every filter's frame.

use serde::Serialize;

use super::filter::Filter;
use super::scope::{scope_view, select};
use crate::config::Config;
use crate::engine::{Counters, State};
use crate::views::{
    self, ChannelRow, Rates, SaleInfo, SkuRow, SkuSort, StoreRow, TimelineRow, Totals, WindowSet,
    fmt_time,
};

/// Stores a screen ranks: the top this many by GMV (or those it filters on).
pub const PUSH_STORES: usize = 200;
pub const TOP_SKUS: usize = 10;
pub const STOCK_WARNINGS: usize = 20;
/// A SKU selling out within this many seconds is a warning even if above its low line.
pub const ETA_WARNING_S: f64 = 3600.0;
/// Seconds of per-second series in a snapshot, and re-sent in each tick.
pub const SERIES_SNAPSHOT_S: i64 = 300;
pub const SERIES_TICK_S: i64 = 3;
/// Recent alerts a snapshot carries.
pub const SNAPSHOT_ALERTS: usize = 20;

#[derive(Debug, Clone, Serialize)]
pub struct Hello {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub sale: SaleInfo,
    /// The plan curve: (share of sale time, share of target) points.
    pub plan: Vec<(f64, f64)>,
    /// With a baseline: its cumulative GMV at the end of each minute since start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Vec<i64>>,
    pub tick_ms: u64,
    pub filter: Filter,
    pub server_time: String,
    pub server_time_ms: i64,
    pub version: &'static str,
}

/// One per-second point: `[epoch second, orders, gmv]`.
pub type SeriesPoint = [i64; 3];

/// What a screen needs to draw at once.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub seq: u64,
    pub server_time: String,
    pub server_time_ms: i64,
    pub events_applied: u64,
    pub totals: Totals,
    pub windows: WindowSet,
    pub rates: Rates,
    pub series: Vec<SeriesPoint>,
    pub timeline: Vec<TimelineRow>,
    pub channels: Vec<ChannelRow>,
    pub stores: Vec<StoreRow>,
    pub top_skus: Vec<SkuRow>,
    pub stock_warnings: Vec<SkuRow>,
    pub alerts: Vec<crate::alerts::AlertRecord>,
}

/// Every `tick_ms`: absolute totals, and what changed since the last tick.
#[derive(Debug, Clone, Serialize)]
pub struct Tick {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub seq: u64,
    pub server_time: String,
    pub server_time_ms: i64,
    pub events_applied: u64,
    pub totals: Totals,
    pub windows: WindowSet,
    pub rates: Rates,
    /// The last few seconds' points (the newest is still filling).
    pub series: Vec<SeriesPoint>,
    /// The previous and the current minute.
    pub timeline: Vec<TimelineRow>,
    pub channels: Vec<ChannelRow>,
    pub stores: Vec<StoreDelta>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_skus: Option<Vec<SkuRow>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stock_warnings: Option<Vec<SkuRow>>,
}

/// A store's figures in a tick: what a ranking draws, nothing more (a busy
/// sale changes every store every tick, and every byte goes to every screen).
/// The name only comes with a store's first tick: the snapshot has the
/// others, and a screen that missed a tick gets a new snapshot.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StoreDelta {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub gmv: i64,
    pub orders: u64,
    /// Percent, to 0.01.
    pub completion: Option<f64>,
}

impl StoreDelta {
    fn of(st: &State, i: usize, new: bool) -> StoreDelta {
        let s = &st.stores[i];
        StoreDelta {
            id: s.id.to_string(),
            name: new.then(|| s.name.to_string()),
            gmv: s.scope.counters.gmv,
            orders: s.scope.counters.orders,
            completion: views::completion(s.scope.counters.gmv, s.target)
                .map(|c| (c * 100.0).round() / 100.0),
        }
    }
}

/// The last values sent, to tell what changed; owned by the tick task.
#[derive(Debug, Default)]
pub struct Diff {
    stores: Vec<Counters>,
    channels: Vec<Counters>,
    top_skus: Vec<SkuRow>,
    warnings: Vec<SkuRow>,
}

/// Computed once per tick under the engine lock, shared by all filters.
pub struct TickContext {
    pub now_ms: i64,
    top_stores: Vec<usize>,
    store_changed: Vec<bool>,
    /// Stores at or past this index are new since the last tick.
    stores_known: usize,
    channel_changed: Vec<bool>,
    top_skus: Option<Vec<SkuRow>>,
    warnings: Option<Vec<SkuRow>>,
}

impl TickContext {
    /// `skus`: whether to recompute the sale-wide SKU lists this tick. They
    /// scan every SKU, so the hub does it about once a second, not every tick.
    pub fn new(st: &State, now_ms: i64, diff: &mut Diff, skus: bool) -> TickContext {
        let changed = |last: &mut Vec<Counters>, now: &mut dyn Iterator<Item = Counters>| {
            let mut out = Vec::new();
            for (i, c) in now.enumerate() {
                if last.len() <= i {
                    last.push(Counters::default());
                }
                out.push(last[i] != c);
                last[i] = c;
            }
            out
        };
        let stores_known = diff.stores.len();
        let store_changed = changed(
            &mut diff.stores,
            &mut st.stores.iter().map(|s| s.scope.counters),
        );
        let channel_changed = changed(
            &mut diff.channels,
            &mut st.channels.iter().map(|c| c.scope.counters),
        );
        let (mut top_skus, mut warnings) = (None, None);
        if skus {
            let top = self::top_skus(st, now_ms);
            top_skus = (top != diff.top_skus).then(|| {
                diff.top_skus.clone_from(&top);
                top
            });
            let warn = stock_warnings(st, now_ms);
            warnings = (warn != diff.warnings).then(|| {
                diff.warnings.clone_from(&warn);
                warn
            });
        }
        TickContext {
            now_ms,
            top_stores: top_store_indices(st),
            store_changed,
            stores_known,
            channel_changed,
            top_skus,
            warnings,
        }
    }
}

fn top_store_indices(st: &State) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..st.stores.len()).collect();
    let key = |i: &usize| std::cmp::Reverse(st.stores[*i].scope.counters.gmv);
    if idx.len() > PUSH_STORES {
        idx.select_nth_unstable_by_key(PUSH_STORES - 1, key);
        idx.truncate(PUSH_STORES);
    }
    idx.sort_by_key(|i| (key(i), *i));
    idx
}

pub fn top_skus(st: &State, now_ms: i64) -> Vec<SkuRow> {
    views::sku_rows(st, now_ms, SkuSort::Gmv, TOP_SKUS)
}

/// SKUs out of stock, low, or selling out within the hour: most urgent first.
pub fn stock_warnings(st: &State, now_ms: i64) -> Vec<SkuRow> {
    views::stock_warning_rows(st, now_ms, ETA_WARNING_S, STOCK_WARNINGS)
}

fn current_minute(cfg: &Config, now_ms: i64) -> usize {
    ((now_ms - cfg.sale.starts_ms).max(0) / 60_000) as usize
}

/// The snapshot a screen with `filter` draws from.
pub fn snapshot(
    st: &State,
    cfg: &Config,
    now_ms: i64,
    filter: &Filter,
    seq: u64,
    alerts: Vec<crate::alerts::AlertRecord>,
) -> Snapshot {
    let top = top_store_indices(st);
    let sel = select(st, filter, &top);
    let v = scope_view(st, cfg, now_ms, &sel.scope, SERIES_SNAPSHOT_S, 0);
    Snapshot {
        kind: "snapshot",
        seq,
        server_time: fmt_time(now_ms, cfg.sale.timezone),
        server_time_ms: now_ms,
        events_applied: st.events_applied,
        totals: v.totals,
        windows: v.windows,
        rates: v.rates,
        series: v.series,
        timeline: v.timeline,
        channels: channel_rows(st, now_ms, &sel.channels),
        stores: sel
            .stores
            .iter()
            .map(|&i| views::store_row(st, i, now_ms))
            .collect(),
        top_skus: top_skus(st, now_ms),
        stock_warnings: stock_warnings(st, now_ms),
        alerts,
    }
}

fn channel_rows(st: &State, now_ms: i64, ix: &[usize]) -> Vec<ChannelRow> {
    let all = views::channel_rows(st, now_ms, views::RowSort::Gmv, usize::MAX);
    all.into_iter()
        .filter(|r| ix.iter().any(|&i| *st.channels[i].id == *r.id))
        .collect()
}

/// The tick for `filter`, given this tick's shared context.
pub fn tick(st: &State, cfg: &Config, ctx: &TickContext, filter: &Filter, seq: u64) -> Tick {
    let now_ms = ctx.now_ms;
    let sel = select(st, filter, &ctx.top_stores);
    let from_minute = current_minute(cfg, now_ms).saturating_sub(1);
    let v = scope_view(st, cfg, now_ms, &sel.scope, SERIES_TICK_S, from_minute);
    let changed_channels: Vec<usize> = sel
        .channels
        .iter()
        .copied()
        .filter(|&i| ctx.channel_changed.get(i).copied().unwrap_or(true))
        .collect();
    Tick {
        kind: "tick",
        seq,
        server_time: fmt_time(now_ms, cfg.sale.timezone),
        server_time_ms: now_ms,
        events_applied: st.events_applied,
        totals: v.totals,
        windows: v.windows,
        rates: v.rates,
        series: v.series,
        timeline: v.timeline,
        channels: if changed_channels.is_empty() {
            Vec::new()
        } else {
            channel_rows(st, now_ms, &changed_channels)
        },
        stores: sel
            .stores
            .iter()
            .filter(|&&i| ctx.store_changed.get(i).copied().unwrap_or(true))
            .map(|&i| StoreDelta::of(st, i, i >= ctx.stores_known))
            .collect(),
        top_skus: ctx.top_skus.clone(),
        stock_warnings: ctx.warnings.clone(),
    }
}

/// The hello frame.
pub fn hello(cfg: &Config, now_ms: i64, filter: &Filter) -> Hello {
    Hello {
        kind: "hello",
        sale: SaleInfo::of(&cfg.sale),
        plan: cfg.sale.plan.points().to_vec(),
        baseline: cfg.sale.baseline.as_ref().map(|b| b.cumulative.clone()),
        tick_ms: cfg.server.tick_ms,
        filter: filter.clone(),
        server_time: fmt_time(now_ms, cfg.sale.timezone),
        server_time_ms: now_ms,
        version: env!("CARGO_PKG_VERSION"),
    }
}
