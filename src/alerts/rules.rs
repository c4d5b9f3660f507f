//! The rules: which conditions hold right now, read from the engine state.
//!
//! Evaluation is a pure function of (state, config, now): it lists every
//! condition that currently holds, each with a stable key (rule + scope), so
//! the book can tell what started, what still holds and what ended. What
//! each rule is like (its severity, whether it fires once, whether it must
//! hold for `for` first) is fixed per rule, in [`traits`].

use super::record::{AlertScope, Severity};
use crate::config::{Config, Lang, Rule};
use crate::engine::State;
use crate::money::money_label;

/// A condition that holds now.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// Rule and scope, e.g. `milestone:store:s1:0.5`.
    pub key: String,
    pub rule: Rule,
    pub scope: AlertScope,
    pub severity: Severity,
    /// Fires once and never resolves (milestones, GMV marks).
    pub once: bool,
    /// Must hold for the `for` period before firing.
    pub pending: bool,
    pub title: String,
    pub summary: String,
}

/// A rule's severity, whether it fires once, and whether it waits `for`.
fn traits(rule: Rule) -> (Severity, bool, bool) {
    match rule {
        Rule::Milestone | Rule::GmvMark => (Severity::Info, true, false),
        Rule::LowStock | Rule::SelloutEta => (Severity::Warning, false, false),
        Rule::SoldOut | Rule::NoEvents => (Severity::Critical, false, false),
        Rule::RateDrop => (Severity::Critical, false, true),
        Rule::Spike | Rule::RefundRate | Rule::RoiLow => (Severity::Warning, false, true),
        Rule::BudgetAhead => (Severity::Warning, false, false),
        Rule::ConversionDrop => (Severity::Critical, false, true),
    }
}

/// A condition of `rule` in `scope`, with the rule's traits and title;
/// `mark` tells apart conditions of one rule and scope (a milestone's
/// share, over budget from ahead of plan).
pub(super) fn condition(
    rule: Rule,
    scope: AlertScope,
    mark: &str,
    lang: Lang,
    summary: String,
) -> Condition {
    let (severity, once, pending) = traits(rule);
    Condition {
        key: format!("{}:{scope}{mark}", rule.as_str()),
        title: rule.title(lang).to_string(),
        rule,
        scope,
        severity,
        once,
        pending,
        summary,
    }
}

/// Picks the message in the sale's language.
pub(super) fn pick(lang: Lang, zh: String, en: String) -> String {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

pub(super) fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// Every condition that holds at `now_ms`.
pub fn evaluate(st: &State, cfg: &Config, now_ms: i64) -> Vec<Condition> {
    let rules = &cfg.alerts.rules;
    let lang = cfg.alerts.lang;
    let t = |zh: String, en: String| pick(lang, zh, en);
    let cur = &cfg.sale.currency;
    let m = |v: i64| money_label(cur, v);
    let mut out = Vec::new();
    // `mark` tells apart the one-shot conditions of one rule and scope.
    let mut push = |rule: Rule, scope: AlertScope, mark: &str, summary: String| {
        out.push(condition(rule, scope, mark, lang, summary));
    };

    // Target milestones for the sale, each channel and each store.
    let mut scopes: Vec<(AlertScope, String, i64, Option<i64>)> = vec![(
        AlertScope::Sale,
        cfg.sale.name.clone(),
        st.sale.counters.gmv,
        cfg.sale.target,
    )];
    scopes.extend(st.channels.iter().map(|c| {
        (
            AlertScope::Channel(c.id.to_string()),
            c.name.to_string(),
            c.scope.counters.gmv,
            c.target,
        )
    }));
    scopes.extend(st.stores.iter().map(|s| {
        (
            AlertScope::Store(s.id.to_string()),
            s.name.to_string(),
            s.scope.counters.gmv,
            s.target,
        )
    }));
    for (scope, name, gmv, target) in scopes {
        let Some(target) = target.filter(|t| *t > 0) else {
            continue;
        };
        let done = gmv as f64 / target as f64;
        for &share in rules.milestones.iter().filter(|&&s| done >= s) {
            let summary = t(
                format!(
                    "{name} 目标完成率达到 {}：{} / 目标 {}",
                    pct(share),
                    m(gmv),
                    m(target)
                ),
                format!(
                    "{name} reached {} of target: {} of {}",
                    pct(share),
                    m(gmv),
                    m(target)
                ),
            );
            push(
                Rule::Milestone,
                scope.clone(),
                &format!(":{share}"),
                summary,
            );
        }
    }
    for &mark in rules
        .gmv_marks
        .iter()
        .filter(|&&v| v > 0 && st.sale.counters.gmv >= v)
    {
        let summary = t(
            format!("成交额突破 {}（当前 {}）", m(mark), m(st.sale.counters.gmv)),
            format!("GMV passed {} (now {})", m(mark), m(st.sale.counters.gmv)),
        );
        push(
            Rule::GmvMark,
            AlertScope::Sale,
            &format!(":{mark}"),
            summary,
        );
    }

    // Stock.
    for k in st.skus.iter().filter(|k| k.stock.is_some()) {
        let scope = AlertScope::Sku(k.id.to_string());
        if k.stock_left <= 0 {
            if rules.sold_out {
                let summary = t(format!("{} 已售罄", k.name), format!("{} sold out", k.name));
                push(Rule::SoldOut, scope, "", summary);
            }
            continue;
        }
        let sold = k.units_last_5m(now_ms);
        let eta_s = (sold > 0).then(|| k.stock_left as f64 * 300.0 / f64::from(sold));
        if let Some(eta) = eta_s.filter(|&e| {
            rules.sellout_eta_minutes > 0 && e <= rules.sellout_eta_minutes as f64 * 60.0
        }) {
            let summary = t(
                format!(
                    "{} 预计 {:.0} 分钟后售罄（剩余 {}）",
                    k.name,
                    (eta / 60.0).ceil(),
                    k.stock_left
                ),
                format!(
                    "{} sells out in about {:.0} min ({} left)",
                    k.name,
                    (eta / 60.0).ceil(),
                    k.stock_left
                ),
            );
            push(Rule::SelloutEta, scope.clone(), "", summary);
        }
        if rules.low_stock && k.low_line().is_some_and(|low| k.stock_left <= low) {
            let summary = t(
                format!("{} 库存不足：剩余 {}", k.name, k.stock_left),
                format!("{} is low: {} left", k.name, k.stock_left),
            );
            push(Rule::LowStock, scope, "", summary);
        }
    }

    // Order rate against the trailing 10 minutes (whole ten-second buckets).
    let tens = now_ms.div_euclid(10_000);
    let w = &st.sale.windows.tens;
    let last = w.sum(tens - 6, tens - 1).orders as f64 / 60.0;
    let before = w.sum(tens - 66, tens - 7).orders as f64 / 600.0;
    if before >= rules.min_orders_per_s && before > 0.0 {
        if rules.rate_drop > 0.0 && last < rules.rate_drop * before {
            let summary = t(
                format!(
                    "下单量骤降：近 1 分钟 {last:.1} 单/秒，此前 10 分钟 {before:.1} 单/秒（支付或订单系统故障？）"
                ),
                format!(
                    "Order rate dropped: {last:.1}/s in the last minute against {before:.1}/s before (payment or order system outage?)"
                ),
            );
            push(Rule::RateDrop, AlertScope::Sale, "", summary);
        }
        if rules.spike > 0.0 && last > rules.spike * before {
            let summary = t(
                format!("下单量激增：近 1 分钟 {last:.1} 单/秒，此前 10 分钟 {before:.1} 单/秒"),
                format!("Order spike: {last:.1}/s in the last minute against {before:.1}/s before"),
            );
            push(Rule::Spike, AlertScope::Sale, "", summary);
        }
    }

    // Refund rate over the last 15 minutes.
    let refunds = st.refund_tens.sum(tens - 89, tens).orders as f64;
    let orders = st.sale.windows.tens.sum(tens - 89, tens).orders as f64;
    if rules.refund_rate > 0.0 && orders >= 50.0 && refunds / orders > rules.refund_rate {
        let summary = t(
            format!(
                "退款率过高：近 15 分钟 {} 笔退款 / {} 笔订单（{}）",
                refunds,
                orders,
                pct(refunds / orders)
            ),
            format!(
                "Refund rate high: {refunds} refunds for {orders} orders in 15 min ({})",
                pct(refunds / orders)
            ),
        );
        push(Rule::RefundRate, AlertScope::Sale, "", summary);
    }

    // No events while the sale runs.
    let sale = &cfg.sale;
    if rules.no_events_s > 0 && now_ms >= sale.starts_ms && now_ms < sale.ends_ms {
        let since = st
            .last_apply_ms
            .unwrap_or(sale.starts_ms)
            .max(sale.starts_ms);
        let quiet = (now_ms - since) / 1000;
        if quiet >= rules.no_events_s {
            let summary = t(
                format!("已 {quiet} 秒未收到任何事件"),
                format!("No events for {quiet} s"),
            );
            push(Rule::NoEvents, AlertScope::Sale, "", summary);
        }
    }
    super::efficiency::evaluate(st, cfg, now_ms, &mut out);
    out
}
