//! Frame shapes (`hello`, `snapshot`, `tick`) and how they are built from
//! the engine's state.
//!
//! A frame is built for a *selection*: the stores and channels a filter
//! covers and the scope its totals describe (the sale, the named stores, or
//! the named channels). Sale-wide parts (top SKUs, stock warnings) and the
//! "what changed since the last tick" sets are computed once per tick in a
//! [`TickContext`] and shared by every filter's frame.

use serde::Serialize;

use super::filter::Filter;
use crate::config::Config;
use crate::engine::{Bucket, Counters, State, Windows, Wv};
use crate::views::{
    self, ChannelRow, Rates, SaleInfo, ScopeFigures, SkuRow, SkuSort, StoreRow, TimelineRow,
    Totals, WindowSet, fmt_time,
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
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StoreDelta {
    pub id: String,
    pub name: String,
    pub gmv: i64,
    pub orders: u64,
    pub completion: Option<f64>,
}

impl StoreDelta {
    fn of(st: &State, i: usize) -> StoreDelta {
        let s = &st.stores[i];
        StoreDelta {
            id: s.id.to_string(),
            name: s.name.to_string(),
            gmv: s.scope.counters.gmv,
            orders: s.scope.counters.orders,
            completion: views::completion(s.scope.counters.gmv, s.target),
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
    let mut rows: Vec<SkuRow> = (0..st.skus.len())
        .filter(|&i| st.skus[i].stock.is_some())
        .map(|i| views::sku_row(st, i, now_ms))
        .filter(|r| r.warning.is_some() || r.sellout_eta_s.is_some_and(|eta| eta <= ETA_WARNING_S))
        .collect();
    let urgency = |r: &SkuRow| match (r.warning, r.sellout_eta_s) {
        (Some("out"), _) => (0, 0.0),
        (_, Some(eta)) => (1, eta),
        _ => (2, 0.0),
    };
    rows.sort_by(|a, b| {
        let (ka, kb) = (urgency(a), urgency(b));
        ka.0.cmp(&kb.0)
            .then(ka.1.total_cmp(&kb.1))
            .then(a.id.cmp(&b.id))
    });
    rows.truncate(STOCK_WARNINGS);
    rows
}

/// The stores, channels and totals scope a filter covers.
struct Selection {
    stores: Vec<usize>,
    channels: Vec<usize>,
    scope: Scope,
}

enum Scope {
    Sale,
    Stores(Vec<usize>),
    Channels(Vec<usize>),
}

fn select(st: &State, filter: &Filter, top_stores: &[usize]) -> Selection {
    let named = |ids: &[String], find: &dyn Fn(&str) -> Option<usize>| -> Vec<usize> {
        ids.iter().filter_map(|id| find(id)).collect()
    };
    let channels = named(&filter.channels, &|id| st.channel_index(id));
    let stores = named(&filter.stores, &|id| st.store_index(id));
    if !filter.stores.is_empty() {
        let mut chans: Vec<usize> = stores
            .iter()
            .map(|&s| st.stores[s].channel as usize)
            .collect();
        chans.extend(&channels);
        chans.sort_unstable();
        chans.dedup();
        return Selection {
            stores: stores.clone(),
            channels: chans,
            scope: Scope::Stores(stores),
        };
    }
    if !filter.channels.is_empty() {
        let in_channels: Vec<usize> = top_stores
            .iter()
            .copied()
            .filter(|&s| channels.contains(&(st.stores[s].channel as usize)))
            .collect();
        return Selection {
            stores: in_channels,
            channels: channels.clone(),
            scope: Scope::Channels(channels),
        };
    }
    Selection {
        stores: top_stores.to_vec(),
        channels: (0..st.channels.len()).collect(),
        scope: Scope::Sale,
    }
}

/// Totals, windows, rates, series and timeline of a selection's scope.
struct ScopeView {
    totals: Totals,
    windows: WindowSet,
    rates: Rates,
    series: Vec<SeriesPoint>,
    timeline: Vec<TimelineRow>,
}

fn add_windows(a: &mut WindowSet, b: WindowSet) {
    a.m1.add(b.m1);
    a.m5.add(b.m5);
    a.m15.add(b.m15);
}

fn series_of<const S: usize>(w: &Windows<S>, from: i64, to: i64, out: &mut [SeriesPoint]) {
    for (i, sec) in (from..=to).enumerate() {
        let v = w.secs.get(sec);
        out[i][1] += v.orders as i64;
        out[i][2] += v.gmv;
    }
}

/// Sums another scope's counters in. Buyers are summed too: a buyer in two
/// of the selected stores counts twice (distinct sets are per scope).
fn add_counters(a: &mut Counters, b: &Counters) {
    a.gmv = a.gmv.saturating_add(b.gmv);
    a.refunds = a.refunds.saturating_add(b.refunds);
    a.orders += b.orders;
    a.refund_count += b.refund_count;
    a.units += b.units;
    a.refund_units += b.refund_units;
    a.profit = a.profit.saturating_add(b.profit);
    a.costed_gmv = a.costed_gmv.saturating_add(b.costed_gmv);
    a.buyers += b.buyers;
}

fn sum_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(x), Some(y)) => Some(x.saturating_add(y)),
    }
}

fn scope_view(
    st: &State,
    cfg: &Config,
    now_ms: i64,
    scope: &Scope,
    series_s: i64,
    from_minute: usize,
) -> ScopeView {
    let sale = &cfg.sale;
    let now_s = now_ms.div_euclid(1000);
    let from_s = now_s - series_s + 1;
    let mut series: Vec<SeriesPoint> = (from_s..=now_s).map(|s| [s, 0, 0]).collect();
    let mut figures = ScopeFigures::default();
    let mut windows = WindowSet {
        m1: Wv::default(),
        m5: Wv::default(),
        m15: Wv::default(),
    };
    let mut rates = Rates {
        orders_per_s: 0.0,
        gmv_per_s: 0.0,
    };
    let mut add_rates = |r: Rates| {
        rates.orders_per_s += r.orders_per_s;
        rates.gmv_per_s += r.gmv_per_s;
    };
    let timelines: Vec<&[Wv]> = match scope {
        Scope::Sale => {
            figures.counters = st.sale.counters;
            figures.new_buyers = st.new_buyers;
            figures.target = sale.target;
            figures.profit_target = sale.profit_target;
            windows = WindowSet::of(&st.sale.windows, now_ms);
            add_rates(views::rates_of(&st.sale.windows, now_ms));
            series_of(&st.sale.windows, from_s, now_s, &mut series);
            vec![&st.sale.timeline]
        }
        Scope::Stores(ix) => {
            for &i in ix {
                let s = &st.stores[i];
                add_counters(&mut figures.counters, &s.scope.counters);
                figures.target = sum_opt(figures.target, s.target);
                figures.profit_target = sum_opt(figures.profit_target, s.profit_target);
                add_windows(&mut windows, WindowSet::of(&s.scope.windows, now_ms));
                add_rates(views::rates_of(&s.scope.windows, now_ms));
                series_of(&s.scope.windows, from_s, now_s, &mut series);
            }
            ix.iter()
                .map(|&i| st.stores[i].scope.timeline.as_slice())
                .collect()
        }
        Scope::Channels(ix) => {
            for &i in ix {
                let c = &st.channels[i];
                add_counters(&mut figures.counters, &c.scope.counters);
                figures.target = sum_opt(figures.target, c.target);
                figures.profit_target = sum_opt(figures.profit_target, c.profit_target);
                add_windows(&mut windows, WindowSet::of(&c.scope.windows, now_ms));
                add_rates(views::rates_of(&c.scope.windows, now_ms));
                series_of(&c.scope.windows, from_s, now_s, &mut series);
            }
            ix.iter()
                .map(|&i| st.channels[i].scope.timeline.as_slice())
                .collect()
        }
    };
    figures.gmv_15m = windows.m15.gmv;
    let baseline = matches!(scope, Scope::Sale)
        .then_some(sale.baseline.as_ref())
        .flatten();
    if baseline.is_some() {
        figures.baseline_gmv = views::baseline_now(sale, now_ms);
    }
    ScopeView {
        totals: views::totals(sale, &figures, now_ms),
        windows,
        rates,
        series,
        timeline: views::timeline_rows(cfg, now_ms, &timelines, from_minute, baseline),
    }
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
            .map(|&i| StoreDelta::of(st, i))
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
