//! Step 3 of the review, "Impact 活动影响" (docs/api.md, Export): how hard
//! the sale burst and how fast it faded (per scope, from `shapes`), the
//! days before and after it (did it pull demand forward — a dip before —
//! or overdraw it — a dip after), price and basket trends with their
//! charts, then efficiency and regions as the screen shows them.

use std::fmt::Write;

use super::charts::Chart;
use super::clock;
use super::facts::Facts;
use super::report::{esc, figure, pct};
use super::{report_prices, report_reach};
use crate::money::money_label;
use crate::views::{PeriodFigures, Shape};

/// Stores in the shape table.
const TOP_STORES: usize = 10;

fn shape_row(h: &mut String, f: &Facts, label: &str, s: &Shape) {
    let m = |v: i64| money_label(&f.currency, v);
    let at = |a: &str| {
        clock::parse_ms(a)
            .map(|ms| clock::label(ms, f.tz, f.starts_ms, f.ends_ms))
            .unwrap_or_default()
    };
    let _ = write!(
        h,
        "<tr><td>{}</td><td class=n>{} · {}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
        esc(label),
        esc(&at(&s.peak_minute.at)),
        esc(&m(s.peak_minute.gmv)),
        s.peak_second
            .as_ref()
            .map(|p| format!("{} · {}/s", at(&p.at), p.orders))
            .unwrap_or_else(|| "—".into()),
        s.burst
            .map(|b| format!("{b:.1}× ({})", s.reference.as_str()))
            .unwrap_or_else(|| "—".into()),
        s.time_to_peak_min,
        s.half_life_min
            .map(|v| v.to_string())
            .unwrap_or_else(|| "not yet 未衰减".into()),
        pct(s.first_hour_share),
    );
}

fn shapes(h: &mut String, f: &Facts) {
    h.push_str("<h3>Burst and decay 爆发与衰减</h3>");
    let Some(sale) = &f.shapes.sale else {
        h.push_str("<p class=muted>The peak minute has not passed yet. 峰值分钟尚未结束。</p>");
        return;
    };
    h.push_str("<table><tr><th>scope 范围</th><th class=n>peak minute 峰值分钟</th><th class=n>peak second 峰值秒</th><th class=n>burst 爆发倍数</th><th class=n>to peak 达峰(分钟)</th><th class=n>half-life 半衰期(分钟)</th><th class=n>first hour 首小时占比</th></tr>");
    shape_row(h, f, "Sale 全场", sale);
    for c in &f.shapes.channels {
        shape_row(h, f, &format!("Channel 渠道 · {}", c.name), &c.shape);
    }
    for s in f.shapes.stores.iter().take(TOP_STORES) {
        shape_row(h, f, &format!("Store 门店 · {}", s.name), &s.shape);
    }
    h.push_str("</table><p class=muted>Burst: the peak minute's GMV ÷ the reference minute (pre: the average minute before the sale; median: the sale's median minute). Half-life: minutes after the peak until per-minute GMV stayed below half the peak. 爆发倍数＝峰值分钟成交额÷参照分钟；半衰期＝峰值后每分钟成交额持续低于峰值一半所用分钟。</p>");
}

fn period_line(h: &mut String, f: &Facts, name: &str, p: &PeriodFigures, days_in: f64) {
    let m = |v: i64| money_label(&f.currency, v);
    let per_day = if days_in > 0.0 {
        m((p.gmv as f64 / days_in).round() as i64)
    } else {
        "—".into()
    };
    let _ = write!(
        h,
        "<tr><td>{name}</td><td>{} → {}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
        esc(p.from.get(..16).unwrap_or(&p.from)),
        esc(p.to.get(..16).unwrap_or(&p.to)),
        esc(&m(p.gmv)),
        esc(&per_day),
        p.orders,
        p.buyers,
        esc(&p.aov.map(m).unwrap_or_else(|| "—".into())),
    );
}

fn periods(h: &mut String, f: &Facts, charts: &[Chart]) {
    h.push_str("<h3>The days around the sale 活动前后</h3>");
    let p = &f.periods;
    if p.pre.is_none() && p.post.is_none() {
        h.push_str("<p class=muted>No days before or after the sale were watched (<code>observe_before</code> / <code>observe_after</code>). 未配置活动前后观察期。</p>");
        return;
    }
    let span_days = |p: &PeriodFigures| match (clock::parse_ms(&p.from), clock::parse_ms(&p.to)) {
        (Some(a), Some(b)) if b > a => (b - a) as f64 / 86_400_000.0,
        _ => 0.0,
    };
    h.push_str("<table><tr><th>period 时期</th><th>from → to</th><th class=n>GMV</th><th class=n>GMV per day 日均</th><th class=n>orders</th><th class=n>buyers</th><th class=n>AOV</th></tr>");
    if let Some(pre) = &p.pre {
        period_line(h, f, "before 活动前", &pre.figures, span_days(&pre.figures));
    }
    if let Some(post) = &p.post {
        period_line(
            h,
            f,
            "after 活动后",
            &post.figures,
            span_days(&post.figures),
        );
    }
    h.push_str("</table>");
    for c in charts.iter().filter(|c| c.name == "days") {
        figure(h, c);
    }
}

/// The impact step; `charts` holds the pack's charts, found by name.
pub fn impact(h: &mut String, f: &Facts, charts: &[Chart]) {
    shapes(h, f);
    periods(h, f, charts);
    h.push_str("<h3>Price and basket trends 价格与客单趋势</h3>");
    for c in charts
        .iter()
        .filter(|c| c.name == "discount_per_hour" || c.name == "basket_per_hour")
    {
        figure(h, c);
    }
    report_prices::prices(h, f);
    report_reach::efficiency(h, f, charts);
    report_reach::regions(h, f);
}
