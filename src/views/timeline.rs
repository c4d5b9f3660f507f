//! Timeline rows: `GET /api/v1/timeline`, the screens' timeline and the
//! export's `timeline.csv`, all from the engine's per-minute chunks.
//!
//! Every read is bounded: the API answers at most [`MAX_TIMELINE_ROWS`]
//! rows (a range wider than that at one minute a row gets a coarser step),
//! a screen's snapshot at most [`SCREEN_ROWS`] (older minutes thinned), and
//! the export every minute of a sale no longer than `MAX_SALE_DAYS`.
//! Cumulative figures are summed from the sale's first minute whatever
//! range is shown, and every sum saturates (docs/api.md, Words).

use serde::Serialize;

use super::sale::fmt_time;
use crate::config::{Baseline, Config};
use crate::engine::{Bucket, ReachMinute, Scope as EngineScope, State, Timeline, Wv};

/// Most rows one `/api/v1/timeline` answer holds: a day at one minute a row.
pub const MAX_TIMELINE_ROWS: usize = 1440;
/// Minutes per row the API picks from, smallest first, when a range is too
/// wide for one minute a row.
pub const STEPS: [usize; 11] = [1, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440];
/// Most timeline rows in a screen's snapshot, and the recent minutes it
/// always carries one by one (the per-minute chart shows the last hour).
pub const SCREEN_ROWS: usize = 1440;
pub const SCREEN_RECENT: usize = 60;

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

/// `?from=&to=&step=` of a timeline read: minutes since the start (`from`
/// inclusive, `to` exclusive) and minutes per row; `None` for the defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimelineRange {
    pub from: Option<usize>,
    pub to: Option<usize>,
    pub step: Option<usize>,
}

/// Why a timeline cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimelineError {
    /// A channel or store never seen: `no channel "x"`, as the other
    /// reads name one.
    #[error("{0}")]
    UnknownScope(String),
    #[error("{0}")]
    BadRange(String),
}

/// One scope's minutes: its orders' and its traffic's and spend's (a
/// campaign's, the sale's, a channel's or a store's).
#[derive(Debug, Clone, Copy)]
pub struct Minutes<'a> {
    pub orders: &'a Timeline,
    pub reach: &'a Timeline<ReachMinute>,
}

impl<'a> Minutes<'a> {
    pub fn of<const S: usize>(scope: &'a EngineScope<S>) -> Minutes<'a> {
        Minutes {
            orders: &scope.timeline,
            reach: &scope.reach.minutes,
        }
    }

    fn end(&self) -> usize {
        self.orders.end().max(self.reach.end())
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TimelineRow {
    pub minute_start: String,
    pub gmv: i64,
    pub orders: u64,
    pub units: u64,
    pub cumulative_gmv: i64,
    /// Visitors and spend (minor units) of traffic and spend events
    /// stamped in the row's minutes (docs/api.md, `/api/v1/timeline`).
    pub visitors: u64,
    pub spend: i64,
    /// With a baseline (sale scope only): its cumulative GMV at this minute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_gmv: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vs_baseline: Option<f64>,
}

/// `/api/v1/timeline`: rows of `step` minutes over `[from, to)`, at most
/// [`MAX_TIMELINE_ROWS`] of them (see docs/api.md, `/api/v1/timeline`).
pub fn timeline(
    st: &State,
    cfg: &Config,
    now_ms: i64,
    scope: &TimelineScope,
    range: &TimelineRange,
) -> Result<Vec<TimelineRow>, TimelineError> {
    let unknown = |kind: &str, id: &str| TimelineError::UnknownScope(format!("no {kind} {id:?}"));
    let line = match scope {
        TimelineScope::Sale => Minutes::of(&st.sale),
        TimelineScope::Channel(id) => {
            let i = st.channel_index(id).ok_or_else(|| unknown("channel", id))?;
            Minutes::of(&st.channels[i].scope)
        }
        TimelineScope::Store(id) => {
            let i = st.store_index(id).ok_or_else(|| unknown("store", id))?;
            Minutes::of(&st.stores[i].scope)
        }
    };
    let minutes = cfg.sale.minutes();
    let from = range.from.unwrap_or(0);
    // Without `to`, up to the minutes shown so far: a page that starts
    // past them is empty (not yet), not an error.
    let to = range
        .to
        .unwrap_or_else(|| minutes_shown(cfg, now_ms, line.end()).max(from));
    if from > to || to > minutes {
        return Err(TimelineError::BadRange(format!(
            "from, to: must satisfy 0 <= from <= to <= {minutes} (minutes since the start), got {from} and {to}"
        )));
    }
    let span = to - from;
    let step = match range.step {
        Some(s) if s == 0 || s > minutes.max(1) => {
            return Err(TimelineError::BadRange(format!(
                "step: must be from 1 to {} minutes, got {s}",
                minutes.max(1)
            )));
        }
        Some(s) if span.div_ceil(s) > MAX_TIMELINE_ROWS => {
            return Err(TimelineError::BadRange(format!(
                "step: {s} minutes over {span} minutes makes {} rows, at most {MAX_TIMELINE_ROWS}: narrow from/to or use a larger step",
                span.div_ceil(s)
            )));
        }
        Some(s) => s,
        None => STEPS
            .iter()
            .copied()
            .find(|&s| span.div_ceil(s) <= MAX_TIMELINE_ROWS)
            .unwrap_or(span.div_ceil(MAX_TIMELINE_ROWS).max(1)),
    };
    let spans = (from..to).step_by(step).map(|a| (a, (a + step).min(to)));
    let baseline = (*scope == TimelineScope::Sale)
        .then_some(cfg.sale.baseline.as_ref())
        .flatten();
    Ok(rows(cfg, &[line], spans, baseline))
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

/// One row a minute from minute `from` to the current one, summed over
/// several scopes; the cumulative figure still counts from the start. For
/// ticks (two rows) and the export (a sale's every minute: bounded by the
/// longest sale a config may describe).
pub fn timeline_rows(
    cfg: &Config,
    now_ms: i64,
    scopes: &[Minutes<'_>],
    from: usize,
    baseline: Option<&Baseline>,
) -> Vec<TimelineRow> {
    let longest = scopes.iter().map(|t| t.end()).max().unwrap_or(0);
    let n = minutes_shown(cfg, now_ms, longest);
    rows(cfg, scopes, (from.min(n)..n).map(|m| (m, m + 1)), baseline)
}

/// A screen snapshot's timeline: every minute while the sale so far fits
/// in [`SCREEN_ROWS`]; past that the last [`SCREEN_RECENT`] minutes one by
/// one and, before them, one minute in every `step` (the last of each
/// step, so its cumulative GMV is exact where the screen plots it).
pub fn screen_rows(
    cfg: &Config,
    now_ms: i64,
    scopes: &[Minutes<'_>],
    baseline: Option<&Baseline>,
) -> Vec<TimelineRow> {
    let longest = scopes.iter().map(|t| t.end()).max().unwrap_or(0);
    let n = minutes_shown(cfg, now_ms, longest);
    if n <= SCREEN_ROWS {
        return rows(cfg, scopes, (0..n).map(|m| (m, m + 1)), baseline);
    }
    let recent = n - SCREEN_RECENT;
    let room = SCREEN_ROWS - SCREEN_RECENT;
    let step = recent.div_ceil(room).max(1);
    let older = (step - 1..recent).step_by(step);
    let minutes = older.chain(recent..n).map(|m| (m, m + 1));
    rows(cfg, scopes, minutes, baseline)
}

/// The rows for `spans` (rising, non-overlapping `[a, b)` minute ranges),
/// summed over `scopes`. The cumulative GMV of a row counts everything
/// before its end, the gaps between spans included.
fn rows(
    cfg: &Config,
    scopes: &[Minutes<'_>],
    spans: impl Iterator<Item = (usize, usize)>,
    baseline: Option<&Baseline>,
) -> Vec<TimelineRow> {
    let sale = &cfg.sale;
    let sum = |a: usize, b: usize| {
        let mut v = Wv::default();
        for t in scopes {
            v.add(t.orders.sum(a, b));
        }
        v
    };
    let reach = |a: usize, b: usize| {
        let mut v = ReachMinute::default();
        for t in scopes {
            v.add(t.reach.sum(a, b));
        }
        v
    };
    let (mut cum, mut summed_to) = (0i64, 0usize);
    spans
        .map(|(a, b)| {
            cum = cum.saturating_add(sum(summed_to, a).gmv);
            let v = sum(a, b);
            cum = cum.saturating_add(v.gmv);
            summed_to = b;
            let baseline_gmv = baseline.and_then(|base| base.at_minute(b - 1));
            let r = reach(a, b);
            TimelineRow {
                minute_start: fmt_time(sale.starts_ms + a as i64 * 60_000, sale.timezone),
                gmv: v.gmv,
                orders: v.orders,
                units: v.units,
                cumulative_gmv: cum,
                visitors: r.visitors,
                spend: r.spend,
                baseline_gmv,
                vs_baseline: super::summary::vs_baseline(cum, baseline_gmv),
            }
        })
        .collect()
}
