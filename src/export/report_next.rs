//! Step 4 of the review, "For next time 下次改进" (docs/api.md, Export:
//! the rules and thresholds are listed there): a short list the server
//! derives from the facts, each item one sentence with its figures.

use std::fmt::Write;

use super::clock;
use super::facts::Facts;
use super::report::esc;
use crate::money::money_label;

/// Items of one rule at most.
const PER_RULE: usize = 5;
/// A SKU that sold out at least this many minutes before the end sold out early.
pub const EARLY_MIN: i64 = 1;
/// A store below this completion is far behind its target.
pub const FAR_BEHIND: f64 = 0.5;
/// A channel's refund rate this far above the sale's (in points) is high.
pub const REFUND_MARGIN: f64 = 0.05;

/// The list, rule by rule in the order docs/api.md gives them.
pub fn items(f: &Facts) -> Vec<String> {
    let m = |v: i64| money_label(&f.currency, v);
    let mut out = Vec::new();

    // SKUs that sold out early, earliest first.
    for s in &f.sold_out {
        let Some(at) = clock::parse_ms(&s.at) else {
            continue;
        };
        let before = (f.ends_ms - at) / 60_000;
        if before >= EARLY_MIN && out.len() < PER_RULE {
            out.push(format!(
                "{} sold out at {}, {before} minutes before the end: stock more. {} 在 {} 售罄，距结束还有 {before} 分钟：应多备货。",
                s.name,
                clock::hhmm(at, f.tz),
                s.name,
                clock::hhmm(at, f.tz),
            ));
        }
    }

    // Stores far behind their target, worst first.
    let mut behind: Vec<_> = f
        .stores
        .iter()
        .filter_map(|s| Some((s, s.figures.completion.filter(|c| *c < FAR_BEHIND)?)))
        .collect();
    behind.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.id.cmp(&b.0.id)));
    for (s, c) in behind.into_iter().take(PER_RULE) {
        out.push(format!(
            "Store {} reached {:.1}% of its target ({} of {}): review its plan. 门店 {} 仅完成目标的 {:.1}%。",
            s.name,
            c * 100.0,
            m(s.figures.gmv),
            m(s.figures.target.unwrap_or(0)),
            s.name,
            c * 100.0
        ));
    }

    // Channels whose refund rate was well above the sale's.
    let t = &f.summary.totals;
    let rate = |refunds: i64, gmv: i64| (gmv > 0).then(|| refunds as f64 / gmv as f64);
    if let Some(sale_rate) = rate(t.refunds, t.gmv) {
        let mut high: Vec<_> = f
            .channels
            .iter()
            .filter_map(|c| {
                let r = rate(c.figures.refunds, c.figures.gmv)?;
                (r > sale_rate + REFUND_MARGIN).then_some((c, r))
            })
            .collect();
        high.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (c, r) in high.into_iter().take(PER_RULE) {
            out.push(format!(
                "Channel {} refunded {:.1}% of its GMV against {:.1}% for the sale: look at its returns. 渠道 {} 退款率 {:.1}%，高于全场 {:.1}%。",
                c.name,
                r * 100.0,
                sale_rate * 100.0,
                c.name,
                r * 100.0,
                sale_rate * 100.0
            ));
        }
    }

    // The orders-per-second peak, for capacity planning.
    if let Some(p) = &f.peak_second {
        let at = clock::parse_ms(&p.at)
            .map(|ms| DateLabel(ms, f).to_string())
            .unwrap_or_else(|| p.at.clone());
        out.push(format!(
            "Orders per second peaked at {} at {at}: plan capacity for that second with headroom. 每秒订单峰值 {} 单，出现在 {at}：按此规划容量并留余量。",
            p.orders, p.orders
        ));
    }

    // SKUs sold below their standard margin, worst gap first.
    for r in f.prices.below_margin().iter().take(PER_RULE) {
        out.push(format!(
            "{} made a {:.1}% margin against a standard of {:.1}% on {}: check its coupons and 满减. {} 毛利率 {:.1}%，低于标准毛利 {:.1}%。",
            r.name,
            r.margin * 100.0,
            r.standard_margin * 100.0,
            m(r.gmv),
            r.name,
            r.margin * 100.0,
            r.standard_margin * 100.0
        ));
    }

    // Channels and campaigns whose spend bought less than it cost.
    let mut low: Vec<(String, f64, i64)> = f
        .channels
        .iter()
        .filter_map(|c| {
            let e = f.reach.channel(&c.id);
            Some((
                format!("Channel 渠道 {}", c.name),
                e.roi.filter(|r| *r < 1.0)?,
                e.spend,
            ))
        })
        .chain(f.campaigns.iter().filter_map(|c| {
            Some((
                format!("Campaign 活动 {}", c.id),
                c.roi.filter(|r| *r < 1.0)?,
                c.spend,
            ))
        }))
        .collect();
    low.sort_by(|a, b| a.1.total_cmp(&b.1));
    for (name, roi, spend) in low.into_iter().take(PER_RULE) {
        out.push(format!(
            "{name} returned {roi:.2} of GMV per unit of spend ({} spent): ROI below 1. {name} 投产比 {roi:.2}，低于 1。",
            m(spend)
        ));
    }
    out
}

/// A second's clock time: `HH:MM:SS` (with the date for a long sale).
struct DateLabel<'a>(i64, &'a Facts);

impl std::fmt::Display for DateLabel<'_> {
    fn fmt(&self, w: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some(t) = chrono::DateTime::from_timestamp_millis(self.0) else {
            return Ok(());
        };
        let t = t.with_timezone(&self.1.tz);
        let long = self.1.ends_ms - self.1.starts_ms > 24 * 3_600_000;
        let fmt = if long { "%m-%d %H:%M:%S" } else { "%H:%M:%S" };
        write!(w, "{}", t.format(fmt))
    }
}

pub fn next_time(h: &mut String, f: &Facts) {
    let items = items(f);
    if items.is_empty() {
        h.push_str("<p class=muted>Nothing to flag: no early sell-out, lagging store, high refund rate, below-margin SKU or ROI below 1. 无需特别改进的事项。</p>");
        return;
    }
    h.push_str("<ol class=next>");
    for i in &items {
        let _ = write!(h, "<li>{}</li>", esc(i));
    }
    h.push_str("</ol>");
}
