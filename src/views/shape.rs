//! `summary.shape`, `GET /api/v1/shape` and the export's `shape.csv`: the
//! burst and decay of the sale, each channel and the top stores
//! (docs/api.md, Shape), from their per-minute timelines (`curve`) and
//! busiest seconds (`engine::Peaks`).

use serde::Serialize;

use super::curve::{Curve, Reference, curve};
use super::sale::fmt_time;
use crate::config::Sale;
use crate::engine::{Line, State, Timeline};

/// Stores `GET /api/v1/shape` lists: the top by GMV.
pub const SHAPE_STORES: usize = 200;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PeakMinute {
    /// Minutes since the start.
    pub minute: usize,
    pub at: String,
    pub gmv: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PeakSecond {
    pub at: String,
    pub orders: u64,
}

/// One scope's shape.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Shape {
    pub peak_minute: PeakMinute,
    pub peak_second: Option<PeakSecond>,
    pub burst: Option<f64>,
    pub reference: Reference,
    /// Minor units, rounded (the burst divides by the exact figure).
    pub reference_gmv: i64,
    pub time_to_peak_min: usize,
    pub half_life_min: Option<usize>,
    pub first_hour_share: Option<f64>,
}

/// A channel's or store's shape with its id and name.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NamedShape {
    pub id: String,
    pub name: String,
    #[serde(flatten)]
    pub shape: Shape,
}

/// `GET /api/v1/shape`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Shapes {
    pub sale: Option<Shape>,
    pub channels: Vec<NamedShape>,
    pub stores: Vec<NamedShape>,
}

/// Minutes of the sale started by `now_ms`, and how many of them are over.
pub fn elapsed(sale: &Sale, now_ms: i64) -> (usize, usize) {
    if now_ms < sale.starts_ms {
        return (0, 0);
    }
    let all = sale.minutes();
    if now_ms >= sale.ends_ms {
        return (all, all);
    }
    let started = (((now_ms - sale.starts_ms) / 60_000) as usize + 1).min(all);
    (started, started - 1)
}

/// The pre period's average minute for a scope that sold `pre_gmv` there:
/// `None` without `observe_before` or without pre sales.
fn pre_average(sale: &Sale, pre_gmv: i64) -> Option<f64> {
    let before = sale.observe_before_ms?;
    let minutes = (before + 59_999) / 60_000;
    (pre_gmv > 0 && minutes > 0).then(|| pre_gmv as f64 / minutes as f64)
}

fn shape_of(
    sale: &Sale,
    timeline: &Timeline,
    pre: Option<Line>,
    peak: Option<(i64, u64)>,
    now_ms: i64,
) -> Option<Shape> {
    let (started, complete) = elapsed(sale, now_ms);
    let dense = timeline.to_dense();
    let minutes: Vec<i64> = (0..started)
        .map(|m| dense.get(m).map_or(0, |w| w.gmv))
        .collect();
    let sale_gmv = timeline.sum(0, sale.minutes()).gmv;
    let avg = pre.and_then(|l| pre_average(sale, l.gmv));
    let c: Curve = curve(&minutes, complete, avg, sale_gmv)?;
    let tz = sale.timezone;
    Some(Shape {
        peak_minute: PeakMinute {
            minute: c.peak_minute,
            at: fmt_time(sale.starts_ms + c.peak_minute as i64 * 60_000, tz),
            gmv: c.peak_gmv,
        },
        peak_second: peak.filter(|p| p.1 > 0).map(|(sec, orders)| PeakSecond {
            at: fmt_time(sec * 1000, tz),
            orders,
        }),
        burst: c.burst,
        reference: c.reference,
        reference_gmv: c.reference_gmv.round() as i64,
        time_to_peak_min: c.peak_minute,
        half_life_min: c.half_life_min,
        first_hour_share: c.first_hour_share,
    })
}

/// The sale's shape, once its peak minute is over (`summary.shape`).
pub fn sale_shape(st: &State, sale: &Sale, now_ms: i64) -> Option<Shape> {
    let pre = Line {
        gmv: st.periods.pre.gmv,
        ..Line::default()
    };
    shape_of(sale, &st.sale.timeline, Some(pre), st.peak_second, now_ms)
}

/// Every channel's shape and the top stores' by GMV (scopes whose peak is
/// not over yet are left out).
pub fn shapes(st: &State, sale: &Sale, now_ms: i64) -> Shapes {
    let pre = &st.periods.pre;
    let channels = st
        .channels
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let line = pre.channels.get(i).copied();
            Some(NamedShape {
                id: c.id.to_string(),
                name: c.name.to_string(),
                shape: shape_of(sale, &c.scope.timeline, line, st.peaks.channel(i), now_ms)?,
            })
        })
        .collect();
    let mut order: Vec<usize> = (0..st.stores.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(st.stores[i].scope.counters.gmv), i));
    let stores = order
        .into_iter()
        .take(SHAPE_STORES)
        .filter_map(|i| {
            let s = &st.stores[i];
            let line = pre.stores.get(i).copied();
            Some(NamedShape {
                id: s.id.to_string(),
                name: s.name.to_string(),
                shape: shape_of(sale, &s.scope.timeline, line, st.peaks.store(i), now_ms)?,
            })
        })
        .collect();
    Shapes {
        sale: sale_shape(st, sale, now_ms),
        channels,
        stores,
    }
}
