//! `summary.pre` / `summary.post`, `GET /api/v1/periods`, the per-day rows
//! of `/api/v1/timeline?periods=1` and the export's `periods.csv`: the days
//! around the sale beside the sale's own days (docs/api.md, The days
//! around the sale).
//!
//! Days are calendar days in the sale's time zone. A period's days run
//! from the day its start falls on to the day its last millisecond falls
//! on, empty days included. The sale's own days are summed from its
//! per-minute timeline (a minute counts on the day it starts); they carry
//! no buyers unless the sale lies within one day — an exact per-day buyer
//! count would cost every order of the sale a lookup.

use chrono::{Days, NaiveDate, TimeZone};
use serde::Serialize;

use super::sale::fmt_time;
use crate::config::Sale;
use crate::engine::{Line, Period, Side, State, day_index, first_ms};

/// SKUs `GET /api/v1/periods` lists per period.
pub const PERIOD_SKUS: usize = 50;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DayRow {
    /// `YYYY-MM-DD` in the sale's time zone.
    pub date: String,
    pub gmv: i64,
    pub orders: u64,
    pub units: u64,
    pub buyers: Option<u64>,
}

/// `summary.pre` / `summary.post`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PeriodFigures {
    pub from: String,
    pub to: String,
    pub gmv: i64,
    pub refunds: i64,
    pub orders: u64,
    pub units: u64,
    pub buyers: u64,
    pub aov: Option<i64>,
    pub visitors: u64,
    pub spend: i64,
    pub days: Vec<DayRow>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PeriodLine {
    pub id: String,
    pub name: String,
    pub gmv: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orders: Option<u64>,
    pub units: u64,
}

/// One period in `GET /api/v1/periods`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PeriodDetail {
    #[serde(flatten)]
    pub figures: PeriodFigures,
    pub channels: Vec<PeriodLine>,
    pub skus: Vec<PeriodLine>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SaleDays {
    pub days: Vec<DayRow>,
}

/// Orders and refunds outside the sale and both periods.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Outside {
    pub gmv: i64,
    pub orders: u64,
    pub refunds: i64,
}

/// `GET /api/v1/periods`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PeriodsView {
    pub pre: Option<PeriodDetail>,
    pub post: Option<PeriodDetail>,
    pub sale: SaleDays,
    pub outside: Option<Outside>,
}

fn local_date(sale: &Sale, ms: i64) -> Option<NaiveDate> {
    sale.timezone
        .timestamp_millis_opt(ms)
        .single()
        .map(|d| d.date_naive())
}

/// The first instant of `date` in the sale's zone.
fn midnight(sale: &Sale, date: NaiveDate) -> Option<i64> {
    let tz = sale.timezone;
    (0..3)
        .filter_map(|h| date.and_hms_opt(h, 0, 0))
        .find_map(|t| tz.from_local_datetime(&t).earliest())
        .map(|d| d.timestamp_millis())
}

fn day_row(date: Option<NaiveDate>, l: Line, buyers: Option<u64>) -> DayRow {
    DayRow {
        date: date
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        gmv: l.gmv,
        orders: l.orders,
        units: l.units,
        buyers,
    }
}

fn aov(gmv: i64, buyers: u64, orders: u64) -> Option<i64> {
    let per = if buyers > 0 { buyers } else { orders };
    (per > 0).then(|| (gmv as f64 / per as f64).round() as i64)
}

fn figures(sale: &Sale, p: &Period, side: Side, (from, to): (i64, i64)) -> PeriodFigures {
    let first = local_date(sale, first_ms(sale, side));
    let count = if to > from {
        day_index(sale, from, to - 1) + 1
    } else {
        0
    };
    let days = (0..count)
        .map(|i| {
            let date = first.and_then(|d| d.checked_add_days(Days::new(i as u64)));
            let l = p.days.get(i).copied().unwrap_or_default();
            day_row(date, l, Some(l.buyers))
        })
        .collect();
    PeriodFigures {
        from: fmt_time(from, sale.timezone),
        to: fmt_time(to, sale.timezone),
        gmv: p.gmv,
        refunds: p.refunds,
        orders: p.orders,
        units: p.units,
        buyers: p.buyers,
        aov: aov(p.gmv, p.buyers, p.orders),
        visitors: p.visitors,
        spend: p.spend,
        days,
    }
}

/// `summary.pre` and `summary.post`, each present when configured.
pub fn period_figures(st: &State, sale: &Sale) -> (Option<PeriodFigures>, Option<PeriodFigures>) {
    (
        sale.pre_span()
            .map(|s| figures(sale, &st.periods.pre, Side::Pre, s)),
        sale.post_span()
            .map(|s| figures(sale, &st.periods.post, Side::Post, s)),
    )
}

/// The sale's own days, summed from its timeline.
pub fn sale_days(st: &State, sale: &Sale) -> Vec<DayRow> {
    let (Some(first), Some(last)) = (
        local_date(sale, sale.starts_ms),
        local_date(sale, sale.ends_ms - 1),
    ) else {
        return Vec::new();
    };
    let one_day = first == last;
    let minute_of = |ms: i64| ((ms - sale.starts_ms).max(0) as usize).div_ceil(60_000);
    let mut out = Vec::new();
    let mut date = first;
    let mut lo = 0usize;
    while date <= last {
        let next = date.checked_add_days(Days::new(1));
        let hi = match next.and_then(|n| midnight(sale, n)) {
            Some(ms) if date < last => minute_of(ms).min(sale.minutes()),
            _ => sale.minutes(),
        };
        let w = st.sale.timeline.sum(lo, hi);
        let line = Line {
            gmv: w.gmv,
            orders: w.orders,
            units: w.units,
            buyers: 0,
        };
        let buyers = one_day.then_some(st.sale.counters.buyers);
        out.push(day_row(Some(date), line, buyers));
        lo = hi;
        let Some(n) = next else { break };
        date = n;
    }
    out
}

fn detail(st: &State, sale: &Sale, side: Side, span: (i64, i64)) -> PeriodDetail {
    let p = match side {
        Side::Pre => &st.periods.pre,
        _ => &st.periods.post,
    };
    let channels = p
        .channels
        .iter()
        .enumerate()
        .filter(|(_, l)| l.orders > 0)
        .map(|(i, l)| PeriodLine {
            id: st.channels[i].id.to_string(),
            name: st.channels[i].name.to_string(),
            gmv: l.gmv,
            orders: Some(l.orders),
            units: l.units,
        })
        .collect();
    let gmv_of = |rows: &[Line], k: usize| rows.get(k).map_or(0, |l| l.gmv);
    let total = |k: usize| {
        st.skus[k]
            .gmv
            .saturating_add(gmv_of(&st.periods.pre.skus, k))
            .saturating_add(gmv_of(&st.periods.post.skus, k))
    };
    // SKUs that sold in none of the three are left out (a catalog's unsold
    // SKUs are not "top"); the top are picked before sorting, as the SKU
    // rows do, so a million SKUs cost one pass under the engine's lock.
    let mut order: Vec<(i64, usize)> = (0..st.skus.len())
        .map(|k| (total(k), k))
        .filter(|&(g, _)| g > 0)
        .collect();
    let key = |a: &(i64, usize), b: &(i64, usize)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
    if order.len() > PERIOD_SKUS {
        order.select_nth_unstable_by(PERIOD_SKUS - 1, key);
        order.truncate(PERIOD_SKUS);
    }
    order.sort_unstable_by(key);
    let skus = order
        .into_iter()
        .map(|(_, k)| {
            let l = p.skus.get(k).copied().unwrap_or_default();
            PeriodLine {
                id: st.skus[k].id.to_string(),
                name: st.skus[k].name.to_string(),
                gmv: l.gmv,
                orders: None,
                units: l.units,
            }
        })
        .collect();
    PeriodDetail {
        figures: figures(sale, p, side, span),
        channels,
        skus,
    }
}

/// `GET /api/v1/periods`.
pub fn periods(st: &State, sale: &Sale) -> PeriodsView {
    let o = &st.periods.outside;
    PeriodsView {
        pre: sale.pre_span().map(|s| detail(st, sale, Side::Pre, s)),
        post: sale.post_span().map(|s| detail(st, sale, Side::Post, s)),
        sale: SaleDays {
            days: sale_days(st, sale),
        },
        outside: sale.observes().then_some(Outside {
            gmv: o.gmv,
            orders: o.orders,
            refunds: o.refunds,
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::ingest::{Rules, parse};

    const SALE: &str = r#"
[sale]
name = "p"
currency = "CNY"
timezone = "Asia/Shanghai"
starts = "2026-11-11T00:00:00+08:00"
ends = "2026-11-12T00:00:00+08:00"
observe_before = "1d"

[[stores]]
id = "s1"
channel = "tmall"

[[skus]]
id = "never"
name = "never sold"

[[skus]]
id = "k1"
name = "k1"
"#;
    /// An hour before the sale's start.
    const PRE: i64 = 1_794_326_400_000 - 3_600_000;

    #[test]
    fn skus_that_sold_nowhere_are_not_listed() {
        let cfg = crate::config::parse_str(SALE, "p.toml", Path::new(".")).expect("valid");
        let mut st = State::new(&cfg);
        let mut lines: Vec<String> = (0..60)
            .map(|i| {
                format!(
                    r#"{{"type":"order","id":"o{i}","ts":{PRE},"store":"s1","items":[{{"sku":"x{i:02}","qty":1,"price":{}}}]}}"#,
                    100 + i
                )
            })
            .collect();
        lines.push(format!(
            r#"{{"type":"order","id":"k","ts":{PRE},"store":"s1","items":[{{"sku":"k1","qty":1,"price":50}}]}}"#
        ));
        let rules = Rules::new(&cfg.sale.currency, PRE + 60_000);
        let body = lines.join("\n");
        let parsed = parse(body.as_bytes(), false, &rules).expect("parse");
        st.apply(&parsed.batch, &cfg.sale, PRE, None);
        let view = periods(&st, &cfg.sale);
        let pre = view.pre.expect("pre");
        let ids: Vec<&str> = pre.skus.iter().map(|l| l.id.as_str()).collect();
        let want: Vec<String> = (10..60).rev().map(|i| format!("x{i:02}")).collect();
        assert_eq!(ids, want, "the top 50 by GMV, highest first");
        let post = view.post;
        assert!(post.is_none());
        // With fewer sellers than the limit, the unsold catalog SKU is left out.
        let mut few = State::new(&cfg);
        let parsed = parse(lines[60].as_bytes(), false, &rules).expect("parse");
        few.apply(&parsed.batch, &cfg.sale, PRE, None);
        let pre = periods(&few, &cfg.sale).pre.expect("pre");
        let ids: Vec<&str> = pre.skus.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["k1"]);
    }
}
