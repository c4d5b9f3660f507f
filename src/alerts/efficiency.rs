//! The efficiency rules: ROI below a threshold (`roi_low`), spend ahead of
//! the budget plan or over budget (`budget_ahead`), and conversion falling
//! against its trailing baseline while traffic still arrives
//! (`conversion_drop`). See docs/api.md, Alerts → Rules.
//!
//! They read the per-minute timelines (orders: `timeline`; visitors and
//! spend: `reach.minutes`), always over **whole minutes before the current
//! one**: traffic and spend arrive as reports for slices of time, so the
//! minute in progress is still filling and would make every rule twitch.
//! They judge only while the sale runs (the timelines hold minutes of the
//! sale only). Evaluation runs every second under the engine lock, so each
//! scope costs a bounded sum over its window, and a scope whose totals
//! cannot meet the rule's minimum is skipped before any sum.

use super::record::{AlertScope, Severity};
use super::rules::{Condition, condition, pct, pick};
use crate::config::{Config, EfficiencyRules, Lang, Rule, Sale};
use crate::engine::{Reach, State, Timeline};
use crate::money::money_label;

/// `budget_ahead` stays quiet until this share of the budget is spent: in
/// the first minutes the plan's share is near 0 and any first report would
/// be "ahead".
pub const BUDGET_AHEAD_MIN_USED: f64 = 0.05;

/// `conversion_drop` judges only when the baseline's conversion would have
/// given at least this many orders in the window: fewer is chance, not an
/// outage.
pub const CONVERSION_MIN_EXPECTED_ORDERS: f64 = 10.0;

/// What the rules share: the config, the language, the minute in progress.
struct Ctx<'a> {
    cfg: &'a Config,
    e: &'a EfficiencyRules,
    lang: Lang,
    /// The minute of the sale in progress (its index since the start).
    minute: usize,
    out: &'a mut Vec<Condition>,
}

impl Ctx<'_> {
    fn m(&self, minor: i64) -> String {
        money_label(&self.cfg.sale.currency, minor)
    }

    fn push(&mut self, rule: Rule, scope: AlertScope, mark: &str, zh: String, en: String) {
        let summary = pick(self.lang, zh, en);
        self.out
            .push(condition(rule, scope, mark, self.lang, summary));
    }

    /// `[minute - n, minute)`: the `n` whole minutes before the current
    /// one (fewer in the sale's first minutes).
    fn window(&self, n: i64) -> (usize, usize) {
        let n = usize::try_from(n).unwrap_or(0);
        (self.minute.saturating_sub(n), self.minute)
    }
}

/// The minute of the sale in progress at `now_ms`; `None` outside the sale.
fn sale_minute(sale: &Sale, now_ms: i64) -> Option<usize> {
    (now_ms >= sale.starts_ms && now_ms < sale.ends_ms)
        .then(|| usize::try_from((now_ms - sale.starts_ms) / 60_000).unwrap_or(0))
}

/// Adds the efficiency conditions holding at `now_ms` to `out`.
pub(super) fn evaluate(st: &State, cfg: &Config, now_ms: i64, out: &mut Vec<Condition>) {
    let Some(minute) = sale_minute(&cfg.sale, now_ms) else {
        return;
    };
    let mut cx = Ctx {
        cfg,
        e: &cfg.alerts.rules.efficiency,
        lang: cfg.alerts.lang,
        minute,
        out,
    };
    roi_low(&mut cx, st);
    budget_ahead(&mut cx, st, now_ms);
    conversion_drop(&mut cx, st);
}

/// A channel's or a campaign's GMV ÷ spend over the ROI window.
fn roi_low(cx: &mut Ctx<'_>, st: &State) {
    let e = cx.e;
    if e.roi_below <= 0.0 || e.roi_window_minutes <= 0 {
        return;
    }
    let (from, to) = cx.window(e.roi_window_minutes);
    let min_spend = e.roi_min_spend.max(1);
    let judge = |cx: &mut Ctx<'_>,
                 scope: AlertScope,
                 name: (String, String),
                 orders: &Timeline,
                 reach: &Reach| {
        let spend = reach.minutes.sum(from, to).spend;
        if spend < min_spend {
            return;
        }
        let gmv = orders.sum(from, to).gmv;
        let roi = gmv as f64 / spend as f64;
        if roi >= e.roi_below {
            return;
        }
        let (n, below) = (to - from, e.roi_below);
        let (g, s) = (cx.m(gmv), cx.m(spend));
        let (zh, en) = name;
        cx.push(
            Rule::RoiLow,
            scope,
            "",
            format!("{zh} 近 {n} 分钟投产比 {roi:.2}（成交 {g} / 推广花费 {s}），低于 {below}"),
            format!(
                "{en}: ROI {roi:.2} over the last {n} min ({g} GMV on {s} spend), below {below}"
            ),
        );
    };
    // Totals bound the window: too little spent ever, or nothing since
    // the window began, and there is nothing to sum (nor a name to build:
    // campaigns may be many thousands).
    let spent = |r: &Reach| r.spend >= min_spend && r.minutes.end() > from;
    for c in st.channels.iter().filter(|c| spent(&c.scope.reach)) {
        let name = (c.name.to_string(), c.name.to_string());
        judge(
            cx,
            AlertScope::Channel(c.id.to_string()),
            name,
            &c.scope.timeline,
            &c.scope.reach,
        );
    }
    for c in st.campaigns.iter().filter(|c| spent(&c.reach)) {
        let name = (
            format!("推广计划「{}」", c.id),
            format!("Campaign {}", c.id),
        );
        judge(
            cx,
            AlertScope::Campaign(c.id.to_string()),
            name,
            &c.timeline,
            &c.reach,
        );
    }
}

/// Spend ÷ budget against the plan's share of the sale by now, for the
/// sale, channels and campaigns that have a budget.
fn budget_ahead(cx: &mut Ctx<'_>, st: &State, now_ms: i64) {
    let tolerance = cx.e.budget_ahead;
    if tolerance <= 0.0 {
        return;
    }
    let cfg = cx.cfg;
    let plan = cfg.sale.plan.share_at(cfg.sale.time_share(now_ms));
    let mut scopes: Vec<(AlertScope, String, i64, i64)> = Vec::new();
    if let Some(b) = cfg.sale.budget {
        scopes.push((
            AlertScope::Sale,
            cfg.sale.name.clone(),
            st.sale.reach.spend,
            b,
        ));
    }
    for d in &cfg.channels {
        let (Some(b), Some(i)) = (d.budget, st.channel_index(&d.id)) else {
            continue;
        };
        let spend = st.channels[i].scope.reach.spend;
        scopes.push((AlertScope::Channel(d.id.clone()), d.name.clone(), spend, b));
    }
    for d in &cfg.campaigns {
        let (Some(b), Some(i)) = (d.budget, st.campaign_index(&d.id)) else {
            continue;
        };
        let spend = st.campaigns[i].reach.spend;
        scopes.push((AlertScope::Campaign(d.id.clone()), d.id.clone(), spend, b));
    }
    for (scope, name, spend, budget) in scopes {
        if budget <= 0 || spend <= 0 {
            continue;
        }
        let used = spend as f64 / budget as f64;
        let (s, b, u, p) = (cx.m(spend), cx.m(budget), pct(used), pct(plan));
        if spend > budget {
            // Over budget outright: its own alert (a distinct key), more
            // severe than ahead of plan, under the same rule for silences.
            let mut c = condition(
                Rule::BudgetAhead,
                scope,
                ":over",
                cx.lang,
                pick(
                    cx.lang,
                    format!("{name} 推广花费 {s}，已超出预算 {b}（{u}）"),
                    format!("{name} spent {s}, over its budget of {b} ({u})"),
                ),
            );
            c.severity = Severity::Critical;
            c.title = pick(cx.lang, "超出预算".into(), "Over budget".into());
            cx.out.push(c);
        } else if used >= BUDGET_AHEAD_MIN_USED && used > plan * (1.0 + tolerance) {
            cx.push(
                Rule::BudgetAhead,
                scope,
                "",
                format!("{name} 推广花费 {s}，已用预算 {u}（预算 {b}），按计划此时应为 {p}"),
                format!("{name} spent {s}: {u} of its {b} budget, against {p} planned by now"),
            );
        }
    }
}

/// Conversion (orders ÷ visitors) over the window against the baseline
/// before it, for the sale and each channel.
fn conversion_drop(cx: &mut Ctx<'_>, st: &State) {
    let e = cx.e;
    if e.conversion_drop <= 0.0
        || e.conversion_window_minutes <= 0
        || e.conversion_baseline_minutes <= 0
    {
        return;
    }
    let (from, to) = cx.window(e.conversion_window_minutes);
    let base_from =
        from.saturating_sub(usize::try_from(e.conversion_baseline_minutes).unwrap_or(0));
    // A whole window and some baseline, or there is nothing to compare.
    if to - from < usize::try_from(e.conversion_window_minutes).unwrap_or(0) || base_from == from {
        return;
    }
    let min_visitors = u64::try_from(e.conversion_min_visitors).unwrap_or(0).max(1);
    let judge = |cx: &mut Ctx<'_>,
                 scope: AlertScope,
                 name: &str,
                 orders: &Timeline,
                 reach: &Reach| {
        let visitors = reach.minutes.sum(from, to).visitors;
        if visitors < min_visitors {
            return;
        }
        let base_visitors = reach.minutes.sum(base_from, from).visitors;
        if base_visitors == 0 {
            return;
        }
        let (n, b) = ((to - from) as f64, (from - base_from) as f64);
        // Traffic keeps arriving: no drop in visitors explains the orders.
        if (visitors as f64 / n) < e.conversion_min_traffic * (base_visitors as f64 / b) {
            return;
        }
        let base = orders.sum(base_from, from).orders as f64 / base_visitors as f64;
        if base * (visitors as f64) < CONVERSION_MIN_EXPECTED_ORDERS {
            return;
        }
        let got = orders.sum(from, to).orders;
        let now = got as f64 / visitors as f64;
        if now >= e.conversion_drop * base {
            return;
        }
        let (cn, cb) = (
            format!("{:.2}%", now * 100.0),
            format!("{:.2}%", base * 100.0),
        );
        cx.push(
            Rule::ConversionDrop,
            scope,
            "",
            format!(
                "{name} 转化率骤降：近 {n} 分钟 {cn}（{visitors} 访客 / {got} 单），此前 {b} 分钟 {cb}：流量仍在，订单未至（结算或支付故障？）"
            ),
            format!(
                "{name} conversion dropped: {cn} over the last {n} min ({visitors} visitors, {got} orders) against {cb} in the {b} min before: traffic still arrives, orders do not (checkout or payment outage?)"
            ),
        );
    };
    // Too few visitors ever, or none since the window began: nothing to sum.
    let visited = |r: &Reach| r.visitors >= min_visitors && r.minutes.end() > from;
    let cfg = cx.cfg;
    if visited(&st.sale.reach) {
        judge(
            cx,
            AlertScope::Sale,
            &cfg.sale.name,
            &st.sale.timeline,
            &st.sale.reach,
        );
    }
    for c in st.channels.iter().filter(|c| visited(&c.scope.reach)) {
        judge(
            cx,
            AlertScope::Channel(c.id.to_string()),
            &c.name,
            &c.scope.timeline,
            &c.scope.reach,
        );
    }
}
