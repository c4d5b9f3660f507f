//! Building frames from the engine's state: the hello, a snapshot, and
//! each tick with what changed since the one before.
//!
//! A frame is built for a *selection* (`scope.rs`): the stores and channels
//! a filter covers and the scope its totals describe. The "what changed
//! since the last tick" sets and the sale-wide parts (top SKUs and stock
//! warnings, about once a second) are computed once in a [`TickContext`]
//! and shared by every filter's frame.

use super::filter::Filter;
use super::frame::{Hello, Snapshot, Stamp, Tick};
use super::scope::{scope_view, select};
use crate::alerts::AlertRecord;
use crate::config::Config;
use crate::engine::{Counters, State};
use crate::views::{self, ChannelRow, SaleInfo, SkuRow, SkuSort, fmt_time};

/// Stores a screen ranks: the top this many by GMV (or those it filters on).
pub const PUSH_STORES: usize = 200;
/// Channels an unfiltered screen shows: the top this many by GMV. Events
/// may create up to `server.max_unlisted_channels` channels; a wall shows
/// a few dozen, and a frame must not grow with the rest.
pub const PUSH_CHANNELS: usize = 50;
pub const TOP_SKUS: usize = 10;
pub const STOCK_WARNINGS: usize = 20;
/// A SKU selling out within this many seconds is a warning even if above its low line.
pub const ETA_WARNING_S: f64 = 3600.0;
/// Seconds of per-second series in a snapshot, and re-sent in each tick.
pub const SERIES_SNAPSHOT_S: i64 = 300;
pub const SERIES_TICK_S: i64 = 3;
/// Recent alerts a snapshot carries.
pub const SNAPSHOT_ALERTS: usize = 20;

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
    top_channels: Vec<usize>,
    store_changed: Vec<bool>,
    /// Stores at or past this index are new since the last tick.
    stores_known: usize,
    channel_changed: Vec<bool>,
    /// Channels at or past this index are new since the last tick.
    channels_known: usize,
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
        let channels_known = diff.channels.len();
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
            top_channels: top_channel_indices(st),
            store_changed,
            stores_known,
            channel_changed,
            channels_known,
            top_skus,
            warnings,
        }
    }
}

fn top_store_indices(st: &State) -> Vec<usize> {
    top_by_gmv(st.stores.len(), PUSH_STORES, |i| {
        st.stores[i].scope.counters.gmv
    })
}

fn top_channel_indices(st: &State) -> Vec<usize> {
    top_by_gmv(st.channels.len(), PUSH_CHANNELS, |i| {
        st.channels[i].scope.counters.gmv
    })
}

/// The `n` indices of the highest GMV, highest first; ties by index (the
/// configured ones, then the order they were first seen).
fn top_by_gmv(len: usize, n: usize, gmv: impl Fn(usize) -> i64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..len).collect();
    let key = |i: &usize| (std::cmp::Reverse(gmv(*i)), *i);
    if idx.len() > n && n > 0 {
        idx.select_nth_unstable_by_key(n - 1, key);
        idx.truncate(n);
    }
    idx.sort_by_key(key);
    idx
}

pub fn top_skus(st: &State, now_ms: i64) -> Vec<SkuRow> {
    views::sku_rows(st, now_ms, SkuSort::Gmv, TOP_SKUS)
}

/// SKUs out of stock, low, or selling out within the hour: most urgent first.
pub fn stock_warnings(st: &State, now_ms: i64) -> Vec<SkuRow> {
    views::stock_warning_rows(st, now_ms, ETA_WARNING_S, STOCK_WARNINGS)
}

fn stamp(st: &State, cfg: &Config, now_ms: i64, seq: u64) -> Stamp {
    Stamp {
        seq,
        server_time: fmt_time(now_ms, cfg.sale.timezone),
        server_time_ms: now_ms,
        events_applied: st.events_applied,
        // The hub's: it reads the stream's progress with these figures.
        stream: None,
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
    alerts: Vec<AlertRecord>,
) -> Snapshot {
    let top = top_store_indices(st);
    let sel = select(st, filter, &top, &top_channel_indices(st));
    Snapshot {
        stamp: stamp(st, cfg, now_ms, seq),
        view: scope_view(st, cfg, now_ms, &sel.scope, SERIES_SNAPSHOT_S, None),
        channels: channel_rows(st, now_ms, &sel.channels),
        stores: sel
            .stores
            .iter()
            .map(|&i| views::store_row(st, i, now_ms))
            .collect(),
        top_skus: top_skus(st, now_ms),
        stock_warnings: stock_warnings(st, now_ms),
        alerts,
        // The hub's: it reads the log, the engine's state does not know.
        storage: None,
    }
}

/// Rows of the channels `ix`, highest GMV first (ties: first seen first).
fn channel_rows(st: &State, now_ms: i64, ix: &[usize]) -> Vec<ChannelRow> {
    let mut ix = ix.to_vec();
    ix.sort_by_key(|&i| (std::cmp::Reverse(st.channels[i].scope.counters.gmv), i));
    ix.into_iter()
        .map(|i| views::channel_row(st, i, now_ms))
        .collect()
}

/// The tick for `filter`, given this tick's shared context.
pub fn tick(st: &State, cfg: &Config, ctx: &TickContext, filter: &Filter, seq: u64) -> Tick {
    let now_ms = ctx.now_ms;
    let sel = select(st, filter, &ctx.top_stores, &ctx.top_channels);
    let from_minute = current_minute(cfg, now_ms).saturating_sub(1);
    let changed_channels: Vec<usize> = sel
        .channels
        .iter()
        .copied()
        .filter(|&i| ctx.channel_changed.get(i).copied().unwrap_or(true))
        .collect();
    Tick {
        stamp: stamp(st, cfg, now_ms, seq),
        view: scope_view(
            st,
            cfg,
            now_ms,
            &sel.scope,
            SERIES_TICK_S,
            Some(from_minute),
        ),
        channels: changed_channels
            .into_iter()
            .map(|i| views::channel_delta(st, i, i >= ctx.channels_known))
            .collect(),
        stores: sel
            .stores
            .iter()
            .filter(|&&i| ctx.store_changed.get(i).copied().unwrap_or(true))
            .map(|&i| views::store_delta(st, i, i >= ctx.stores_known))
            .collect(),
        top_skus: ctx.top_skus.clone(),
        stock_warnings: ctx.warnings.clone(),
        storage: None,
    }
}

/// The hello frame.
pub fn hello(cfg: &Config, now_ms: i64, filter: &Filter) -> Hello {
    Hello {
        sale: SaleInfo::of(&cfg.sale),
        plan: cfg.sale.plan.points().to_vec(),
        baseline: cfg.sale.baseline.as_ref().map(|b| b.cumulative.clone()),
        tick_ms: cfg.server.tick_ms,
        filter: filter.clone(),
        server_time: fmt_time(now_ms, cfg.sale.timezone),
        server_time_ms: now_ms,
        version: env!("CARGO_PKG_VERSION"),
        servers: None,
    }
}
