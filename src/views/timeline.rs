//! `GET /api/v1/timeline`: per-minute GMV, orders and units since the start.

use serde::Serialize;

use super::sale::fmt_time;
use crate::config::{Baseline, Config};
use crate::engine::{State, Wv};

/// Which scope a timeline is for: `sale`, `channel:{id}` or `store:{id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimelineScope {
    Sale,
    Channel(String),
    Store(String),
}

impl TimelineScope {
    pub fn parse(s: &str) -> Result<TimelineScope, String> {
        match s.split_once(':') {
            None if s == "sale" => Ok(TimelineScope::Sale),
            Some(("channel", id)) if !id.is_empty() => Ok(TimelineScope::Channel(id.into())),
            Some(("store", id)) if !id.is_empty() => Ok(TimelineScope::Store(id.into())),
            _ => Err(format!(
                "scope: must be sale, channel:ID or store:ID, got {s:?}"
            )),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TimelineRow {
    pub minute_start: String,
    pub gmv: i64,
    pub orders: u64,
    pub units: u64,
    pub cumulative_gmv: i64,
    /// With a baseline (sale scope only): its cumulative GMV at this minute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_gmv: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vs_baseline: Option<f64>,
}

/// Rows from the sale's first minute to the current one (or the last with
/// data); `None` when the scope's id was never seen.
pub fn timeline(
    st: &State,
    cfg: &Config,
    now_ms: i64,
    scope: &TimelineScope,
) -> Option<Vec<TimelineRow>> {
    let buckets: &[Wv] = match scope {
        TimelineScope::Sale => &st.sale.timeline,
        TimelineScope::Channel(id) => &st.channels[st.channel_index(id)?].scope.timeline,
        TimelineScope::Store(id) => &st.stores[st.store_index(id)?].scope.timeline,
    };
    let baseline = (*scope == TimelineScope::Sale)
        .then_some(cfg.sale.baseline.as_ref())
        .flatten();
    Some(timeline_rows(cfg, now_ms, &[buckets], 0, baseline))
}

/// Number of timeline minutes to show at `now_ms`: up to the current one,
/// or further when (future-stamped) data is already there.
fn minutes_shown(cfg: &Config, now_ms: i64, longest: usize) -> usize {
    let sale = &cfg.sale;
    let current = if now_ms < sale.starts_ms {
        0
    } else {
        ((now_ms - sale.starts_ms) / 60_000) as usize + 1
    };
    current.max(longest).min(sale.minutes())
}

/// Rows summed over several scopes' timelines, from minute `from` on; the
/// cumulative figure still counts from the start.
pub fn timeline_rows(
    cfg: &Config,
    now_ms: i64,
    scopes: &[&[Wv]],
    from: usize,
    baseline: Option<&Baseline>,
) -> Vec<TimelineRow> {
    let sale = &cfg.sale;
    let longest = scopes.iter().map(|b| b.len()).max().unwrap_or(0);
    let n = minutes_shown(cfg, now_ms, longest);
    let at = |m: usize| {
        let mut v = Wv::default();
        for b in scopes {
            if let Some(x) = b.get(m) {
                crate::engine::Bucket::add(&mut v, *x);
            }
        }
        v
    };
    let mut cum: i64 = (0..from.min(n)).map(|m| at(m).gmv).sum();
    (from.min(n)..n)
        .map(|m| {
            let v = at(m);
            cum += v.gmv;
            let baseline_gmv = baseline.and_then(|b| b.at_minute(m));
            TimelineRow {
                minute_start: fmt_time(sale.starts_ms + m as i64 * 60_000, sale.timezone),
                gmv: v.gmv,
                orders: v.orders,
                units: v.units,
                cumulative_gmv: cum,
                baseline_gmv,
                vs_baseline: super::summary::vs_baseline(cum, baseline_gmv),
            }
        })
        .collect()
}
