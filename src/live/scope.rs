//! What a filter covers: which stores and channels a screen sees, and the
//! totals, windows, rates, per-second series and timeline of its scope (the
//! sale, the named stores summed, or the named channels summed).

use super::filter::Filter;
use super::frame::SeriesPoint;
use crate::config::Config;
use crate::engine::{Bucket, Counters, State, Windows, Wv};
use crate::views::{self, Rates, ScopeFigures, TimelineRow, Totals, WindowSet};

/// The stores, channels and totals scope a filter covers.
pub(super) struct Selection {
    pub(super) stores: Vec<usize>,
    pub(super) channels: Vec<usize>,
    pub(super) scope: Scope,
}

pub(super) enum Scope {
    Sale,
    Stores(Vec<usize>),
    Channels(Vec<usize>),
}

pub(super) fn select(st: &State, filter: &Filter, top_stores: &[usize]) -> Selection {
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
pub(super) struct ScopeView {
    pub(super) totals: Totals,
    pub(super) windows: WindowSet,
    pub(super) rates: Rates,
    pub(super) series: Vec<SeriesPoint>,
    pub(super) timeline: Vec<TimelineRow>,
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

pub(super) fn scope_view(
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
