//! Building frames from the engine's state: the hello, a snapshot, and
//! tick frames "since s" — the newest totals and what changed after tick
//! `s` (docs/api.md, Live frames, "Sequence and catch-up").
//!
//! A frame is built for a *selection* (`scope.rs`): the stores and channels
//! a filter covers and the scope its totals describe. What changed after
//! `s`, and the sale-wide parts (top SKUs and stock warnings, about once a
//! second), come from the row versions (`versions.rs`), computed once per
//! tick and shared by every filter's frame. A topic's regular frame is the
//! frame since its previous publish; a catch-up frame the frame since a
//! screen's last tick: one builder for both.

use super::breakdown;
use super::filter::Filter;
use super::frame::{Hello, Snapshot, Stamp, Tick};
use super::scope::{Scope, scope_view, select};
use super::versions::Versions;
use crate::alerts::AlertRecord;
use crate::config::Config;
use crate::engine::State;
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
/// Seconds of per-second series in a snapshot, and the most a tick re-sends.
pub const SERIES_SNAPSHOT_S: i64 = 300;
/// The fewest seconds of series a tick re-sends (the newest still filling).
pub const SERIES_TICK_S: i64 = 3;
/// Recent alerts a snapshot carries.
pub const SNAPSHOT_ALERTS: usize = 20;

pub(super) fn top_store_indices(st: &State) -> Vec<usize> {
    top_by_gmv(st.stores.len(), PUSH_STORES, |i| {
        st.stores[i].scope.counters.gmv
    })
}

pub(super) fn top_channel_indices(st: &State) -> Vec<usize> {
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
    let rows = breakdown::sorted(
        breakdown::regions(st, &sel.scope, |_| true),
        breakdown::campaigns(st, cfg, now_ms, &sel.scope, |_| true),
    );
    Snapshot {
        stamp: stamp(st, cfg, now_ms, seq),
        view: scope_view(st, cfg, now_ms, &sel.scope, SERIES_SNAPSHOT_S, None),
        channels: channel_rows(st, cfg, now_ms, &sel.channels),
        stores: sel
            .stores
            .iter()
            .map(|&i| views::store_row(st, i, now_ms))
            .collect(),
        top_skus: top_skus(st, now_ms),
        stock_warnings: stock_warnings(st, now_ms),
        alerts,
        regions: rows.regions,
        campaigns: rows.campaigns,
        // The hub's: it reads the log, the engine's state does not know.
        storage: None,
        notes: views::newest_notes(st, cfg.sale.timezone, super::notes::SNAPSHOT_NOTES),
    }
}

/// Rows of the channels `ix`, highest GMV first (ties: first seen first).
fn channel_rows(st: &State, cfg: &Config, now_ms: i64, ix: &[usize]) -> Vec<ChannelRow> {
    let mut ix = ix.to_vec();
    ix.sort_by_key(|&i| (std::cmp::Reverse(st.channels[i].scope.counters.gmv), i));
    ix.into_iter()
        .map(|i| views::channel_row(st, cfg, i, now_ms))
        .collect()
}

/// Which tick a frame is, what it is relative to, and how often its
/// topic is published now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameAt {
    pub seq: u64,
    /// The tick the frame's changes are relative to.
    pub since: u64,
    pub every_ms: u64,
}

/// Seconds of series a frame since a tick at `since_ms` re-sends: from the
/// second before it, at least [`SERIES_TICK_S`]; all a snapshot has when
/// that tick is too old to know.
fn series_s(now_ms: i64, since_ms: Option<i64>) -> i64 {
    match since_ms {
        Some(at) => (now_ms.div_euclid(1000) - at.div_euclid(1000) + 2)
            .clamp(SERIES_TICK_S, SERIES_SNAPSHOT_S),
        None => SERIES_SNAPSHOT_S,
    }
}

/// The tick frame for `filter`: the newest figures, and what changed after
/// tick `at.since` per the versions `v`. The caller adds `stream` (read in
/// the same engine read) and `alerts` (when the alert ring fell short).
pub fn tick(
    st: &State,
    cfg: &Config,
    v: &Versions,
    now_ms: i64,
    filter: &Filter,
    at: FrameAt,
) -> Tick {
    let since = at.since;
    let sel = select(st, filter, &v.top_stores, &v.top_channels);
    let since_ms = v.time_of(since);
    // The minute before the last one seen; a tick too old to know gets the
    // timeline a snapshot carries.
    let from_minute = since_ms.map(|ms| current_minute(cfg, ms).saturating_sub(1));
    let changed_channels: Vec<usize> = sel
        .channels
        .iter()
        .copied()
        .filter(|&i| v.channel_changed(i, since))
        .collect();
    let (stores_left, channels_left) = left(st, v, &sel.scope, since);
    Tick {
        stamp: stamp(st, cfg, now_ms, at.seq),
        since,
        every_ms: at.every_ms,
        view: scope_view(
            st,
            cfg,
            now_ms,
            &sel.scope,
            series_s(now_ms, since_ms),
            from_minute,
        ),
        channels: changed_channels
            .into_iter()
            .map(|i| views::channel_delta(st, cfg, i, v.channel_new(i, since)))
            .collect(),
        stores_left,
        channels_left,
        stores: sel
            .stores
            .iter()
            .filter(|&&i| v.store_changed(i, since))
            .map(|&i| views::store_delta(st, i, v.store_new(i, since)))
            .collect(),
        top_skus: v.top_skus_since(since),
        stock_warnings: v.warnings_since(since),
        regions: breakdown::regions(st, &sel.scope, |r| v.region_changed(r, since)),
        campaigns: breakdown::campaigns(st, cfg, now_ms, &sel.scope, |k| {
            v.campaign_changed(k, since)
        }),
        storage: v.storage.since(since),
        alerts: None,
        notes: v.notes.added(st, cfg.sale.timezone, since),
        notes_deleted: v.notes.deleted(since),
    }
}

/// The ids of the stores and channels that left the lists a screen with
/// `scope` is shown (the top stores, of its channels if it names some; the
/// top channels of the whole sale) after tick `since`. A screen of named
/// stores shows those whatever their rank: nothing leaves it.
fn left(st: &State, v: &Versions, scope: &Scope, since: u64) -> (Vec<String>, Vec<String>) {
    let store_ids = |keep: &dyn Fn(usize) -> bool| -> Vec<String> {
        v.stores_left(since)
            .into_iter()
            .filter(|&i| keep(i))
            .filter_map(|i| st.stores.get(i).map(|s| s.id.to_string()))
            .collect()
    };
    match scope {
        Scope::Stores(_) => (Vec::new(), Vec::new()),
        Scope::Channels(chans) => (
            store_ids(&|i| chans.contains(&(st.stores[i].channel as usize))),
            Vec::new(),
        ),
        Scope::Sale => (
            store_ids(&|_| true),
            v.channels_left(since)
                .into_iter()
                .filter_map(|i| st.channels.get(i).map(|c| c.id.to_string()))
                .collect(),
        ),
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
