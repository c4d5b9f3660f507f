//! What a filter covers: which stores and channels a screen sees, and the
//! totals, windows, rates, per-second series and timeline of its scope (the
//! sale, the named stores summed, or the named channels summed).

use super::filter::Filter;
use super::frame::SeriesPoint;
use crate::config::Config;
use crate::engine::{Bucket, Counters, Scope as EngineScope, State, Windows, Wv};
use crate::views::{
    self, Minutes, Rates, ReachFigures, ScopeFigures, TimelineRow, Totals, WindowSet,
};

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

/// `top_stores`, `top_channels`: what an unfiltered screen shows (the
/// highest GMV; see `build`).
pub(super) fn select(
    st: &State,
    filter: &Filter,
    top_stores: &[usize],
    top_channels: &[usize],
) -> Selection {
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
        channels: top_channels.to_vec(),
        scope: Scope::Sale,
    }
}

/// Totals, windows, rates, series and timeline of a selection's scope:
/// the figures snapshots and ticks both carry (flattened into them).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScopeView {
    /// Ratios rounded for the screen (docs/api.md, Live frames).
    #[serde(serialize_with = "views::rounded")]
    pub totals: Totals,
    pub windows: WindowSet,
    pub rates: Rates,
    pub series: Vec<SeriesPoint>,
    pub timeline: Vec<TimelineRow>,
}

fn add_windows(a: &mut WindowSet, b: WindowSet) {
    a.m1.add(b.m1);
    a.m5.add(b.m5);
    a.m15.add(b.m15);
}

fn series_of<const S: usize>(w: &Windows<S>, from: i64, to: i64, out: &mut [SeriesPoint]) {
    for (i, sec) in (from..=to).enumerate() {
        let v = w.secs.get(sec);
        let p = &mut out[i];
        p[1] = p[1].saturating_add(i64::try_from(v.orders).unwrap_or(i64::MAX));
        p[2] = p[2].saturating_add(v.gmv);
    }
}

/// Sums another scope's counters in. Buyers are summed too: a buyer in two
/// of the selected stores counts twice (distinct sets are per scope).
fn add_counters(a: &mut Counters, b: &Counters) {
    a.gmv = a.gmv.saturating_add(b.gmv);
    a.refunds = a.refunds.saturating_add(b.refunds);
    a.orders = a.orders.saturating_add(b.orders);
    a.refund_count = a.refund_count.saturating_add(b.refund_count);
    a.units = a.units.saturating_add(b.units);
    a.refund_units = a.refund_units.saturating_add(b.refund_units);
    a.profit = a.profit.saturating_add(b.profit);
    a.costed_gmv = a.costed_gmv.saturating_add(b.costed_gmv);
    a.buyers = a.buyers.saturating_add(b.buyers);
}

fn sum_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(x), Some(y)) => Some(x.saturating_add(y)),
    }
}

/// Sums the figures of one or more scopes (the sale, stores, channels).
struct Sum {
    now_ms: i64,
    from_s: i64,
    now_s: i64,
    figures: ScopeFigures,
    windows: WindowSet,
    rates: Rates,
    series: Vec<SeriesPoint>,
}

impl Sum {
    fn new(now_ms: i64, series_s: i64) -> Sum {
        let now_s = now_ms.div_euclid(1000);
        let from_s = now_s - series_s + 1;
        Sum {
            now_ms,
            from_s,
            now_s,
            figures: ScopeFigures::default(),
            windows: WindowSet {
                m1: Wv::default(),
                m5: Wv::default(),
                m15: Wv::default(),
            },
            rates: Rates {
                orders_per_s: 0.0,
                gmv_per_s: 0.0,
            },
            series: (from_s..=now_s).map(|s| [s, 0, 0]).collect(),
        }
    }

    fn add<const S: usize>(
        &mut self,
        scope: &EngineScope<S>,
        target: Option<i64>,
        profit_target: Option<i64>,
        budget: Option<i64>,
    ) {
        let f = &mut self.figures;
        add_counters(&mut f.counters, &scope.counters);
        f.target = sum_opt(f.target, target);
        f.profit_target = sum_opt(f.profit_target, profit_target);
        f.budget = sum_opt(f.budget, budget);
        f.reach.add(&ReachFigures::of(&scope.reach));
        add_windows(
            &mut self.windows,
            WindowSet::of(&scope.windows, self.now_ms),
        );
        let r = views::rates_of(&scope.windows, self.now_ms);
        self.rates.orders_per_s += r.orders_per_s;
        self.rates.gmv_per_s += r.gmv_per_s;
        series_of(&scope.windows, self.from_s, self.now_s, &mut self.series);
    }
}

pub(super) fn scope_view(
    st: &State,
    cfg: &Config,
    now_ms: i64,
    scope: &Scope,
    series_s: i64,
    from_minute: Option<usize>,
) -> ScopeView {
    let sale = &cfg.sale;
    let mut sum = Sum::new(now_ms, series_s);
    // Budgets: the sale's, or the named channels' summed; stores have none.
    let timelines: Vec<Minutes<'_>> = match scope {
        Scope::Sale => {
            sum.add(&st.sale, sale.target, sale.profit_target, sale.budget);
            sum.figures.new_buyers = st.new_buyers;
            vec![Minutes::of(&st.sale)]
        }
        Scope::Stores(ix) => ix
            .iter()
            .map(|&i| {
                let s = &st.stores[i];
                sum.add(&s.scope, s.target, s.profit_target, None);
                Minutes::of(&s.scope)
            })
            .collect(),
        Scope::Channels(ix) => {
            let minutes = ix
                .iter()
                .map(|&i| {
                    let c = &st.channels[i];
                    let budget = views::channel_budget(cfg, &c.id);
                    sum.add(&c.scope, c.target, c.profit_target, budget);
                    Minutes::of(&c.scope)
                })
                .collect();
            // Spend is summed over every channel named, so a budget is
            // only meaningful when every one of them has one: else the
            // burn would set all of their spend against some budgets.
            if ix
                .iter()
                .any(|&i| views::channel_budget(cfg, &st.channels[i].id).is_none())
            {
                sum.figures.budget = None;
            }
            minutes
        }
    };
    let mut figures = sum.figures;
    figures.gmv_15m = sum.windows.m15.gmv;
    let baseline = matches!(scope, Scope::Sale)
        .then_some(sale.baseline.as_ref())
        .flatten();
    if baseline.is_some() {
        figures.baseline_gmv = views::baseline_now(sale, now_ms);
    }
    ScopeView {
        totals: views::totals(sale, &figures, now_ms),
        windows: sum.windows,
        rates: sum.rates,
        series: sum.series,
        // A tick carries the minutes from `from_minute`; a snapshot the
        // screen's bounded timeline (`views::screen_rows`).
        timeline: match from_minute {
            Some(from) => views::timeline_rows(cfg, now_ms, &timelines, from, baseline),
            None => views::screen_rows(cfg, now_ms, &timelines, baseline),
        },
    }
}
