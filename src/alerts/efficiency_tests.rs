//! The efficiency rules on states built from events: each fires when its
//! condition holds, stays quiet below its minimum, and lets go when the
//! figures recover (the book turns that into a resolve).

use std::path::Path;

use super::record::Severity;
use super::rules::{Condition, evaluate};
use crate::config::{Config, Rule};
use crate::engine::State;
use crate::ingest::{Rules, parse};

const SALE: &str = r#"
[sale]
name = "双11"
currency = "CNY"
timezone = "Asia/Shanghai"
starts = "2026-11-11T00:00:00+08:00"
ends = "2026-11-12T00:00:00+08:00"
budget = "100000"

[[channels]]
id = "tmall"
name = "天猫"
budget = "50000"

[[stores]]
id = "s1"
channel = "tmall"

[[campaigns]]
id = "直通车"
channel = "tmall"
budget = "20000"

[alerts.rules]
no_events_s = 0
"#;

/// The sale's start; minute `m` of the sale begins at `START + m * MIN`.
const START: i64 = 1_794_326_400_000;
const MIN: i64 = 60_000;

fn config() -> Config {
    crate::config::parse_str(SALE, "eff.toml", Path::new(".")).expect("valid")
}

/// Applies `lines` to `st` as a batch read at `now`.
fn apply(st: &mut State, cfg: &Config, lines: &[String], now: i64) {
    let body = lines.join("\n");
    let rules = Rules::new(&cfg.sale.currency, now);
    let parsed = parse(body.as_bytes(), false, &rules).expect("parse");
    assert_eq!(parsed.batch.len(), lines.len(), "every line accepted");
    st.apply(&parsed.batch, &cfg.sale, now, None);
}

fn order(id: &str, minute: i64, yuan: i64, campaign: Option<&str>) -> String {
    let campaign = campaign.map_or(String::new(), |c| format!(r#","campaign":"{c}""#));
    format!(
        r#"{{"type":"order","id":"{id}","ts":{},"store":"s1"{campaign},"items":[{{"sku":"k1","qty":1,"price":{yuan}}}]}}"#,
        START + minute * MIN + 1000
    )
}

fn spend(id: &str, minute: i64, yuan: i64, campaign: Option<&str>) -> String {
    let campaign = campaign.map_or(String::new(), |c| format!(r#","campaign":"{c}""#));
    format!(
        r#"{{"type":"spend","id":"{id}","ts":{},"channel":"tmall"{campaign},"amount":{yuan}}}"#,
        START + minute * MIN + 2000
    )
}

fn traffic(id: &str, minute: i64, visitors: u64) -> String {
    format!(
        r#"{{"type":"traffic","id":"{id}","ts":{},"channel":"tmall","visitors":{visitors}}}"#,
        START + minute * MIN + 3000
    )
}

fn of(conds: &[Condition], rule: Rule) -> Vec<&Condition> {
    conds.iter().filter(|c| c.rule == rule).collect()
}

fn keys(conds: &[Condition], rule: Rule) -> Vec<String> {
    let mut k: Vec<String> = of(conds, rule).iter().map(|c| c.key.clone()).collect();
    k.sort();
    k
}

#[test]
fn roi_low_judges_whole_minutes_once_enough_was_spent_and_lets_go() {
    let mut cfg = config();
    cfg.alerts.rules.efficiency.budget_ahead = 0.0;
    let mut st = State::new(&cfg);
    let now = START + 31 * MIN + 30_000;
    // ¥600 spent over minutes 10..16 (the channel and 直通车), ¥500 of
    // orders: ROI 0.83, but below the ¥1,000 minimum.
    let mut lines: Vec<String> = (10..16)
        .map(|m| spend(&format!("a{m}"), m, 100, Some("直通车")))
        .collect();
    lines.extend((0..5).map(|i| order(&format!("o{i}"), 12, 100, Some("直通车"))));
    apply(&mut st, &cfg, &lines, now);
    assert!(of(&evaluate(&st, &cfg, now), Rule::RoiLow).is_empty());
    // Spend in the minute in progress does not count yet.
    apply(&mut st, &cfg, &[spend("now", 31, 5000, None)], now);
    assert!(of(&evaluate(&st, &cfg, now), Rule::RoiLow).is_empty());
    // ¥600 more in the window: ¥1,200 spent for ¥500, both scopes fire.
    let more: Vec<String> = (16..22)
        .map(|m| spend(&format!("b{m}"), m, 100, Some("直通车")))
        .collect();
    apply(&mut st, &cfg, &more, now);
    let conds = evaluate(&st, &cfg, now);
    assert_eq!(
        keys(&conds, Rule::RoiLow),
        ["roi_low:campaign:直通车", "roi_low:channel:tmall"]
    );
    let c = of(&conds, Rule::RoiLow)[0];
    assert_eq!(
        (c.severity, c.pending, c.once),
        (Severity::Warning, true, false)
    );
    assert!(
        c.summary.contains("0.42") && c.summary.contains("¥1,200") && c.summary.contains("30 分钟"),
        "{}",
        c.summary
    );
    // Orders for the channel only: it recovers, the campaign does not.
    let sales: Vec<String> = (0..10)
        .map(|i| order(&format!("p{i}"), 25, 100, None))
        .collect();
    apply(&mut st, &cfg, &sales, now);
    let conds = evaluate(&st, &cfg, now);
    assert_eq!(keys(&conds, Rule::RoiLow), ["roi_low:campaign:直通车"]);
    // An hour on, all of it has left the window.
    let later = now + 60 * MIN;
    assert!(of(&evaluate(&st, &cfg, later), Rule::RoiLow).is_empty());
    // Off at 0.
    cfg.alerts.rules.efficiency.roi_below = 0.0;
    assert!(of(&evaluate(&st, &cfg, now), Rule::RoiLow).is_empty());
}

#[test]
fn budget_ahead_of_plan_and_over_budget_are_two_alerts_of_one_rule() {
    let mut cfg = config();
    cfg.alerts.rules.efficiency.roi_below = 0.0;
    let mut st = State::new(&cfg);
    // 144 minutes in: a tenth of the day; the plan (a straight line) has
    // 10 % of each budget spent.
    let now = START + 144 * MIN;
    // ¥2,000 in the first minute: 2 % of the sale's budget, 4 % of
    // tmall's, far ahead of the plan's 0.7 % at minute 10 but under the
    // 5 % floor.
    apply(&mut st, &cfg, &[spend("s0", 1, 2000, None)], now);
    let early = START + 10 * MIN;
    assert!(of(&evaluate(&st, &cfg, early), Rule::BudgetAhead).is_empty());
    // ¥11,000 by now: 11 % of the sale's, 22 % of tmall's 50,000.
    apply(&mut st, &cfg, &[spend("s1", 100, 9000, None)], now);
    let conds = evaluate(&st, &cfg, now);
    assert_eq!(
        keys(&conds, Rule::BudgetAhead),
        ["budget_ahead:channel:tmall"]
    );
    let c = of(&conds, Rule::BudgetAhead)[0];
    assert_eq!((c.severity, c.pending), (Severity::Warning, false));
    assert!(
        c.summary.contains("22%") && c.summary.contains("10%") && c.summary.contains("¥50,000"),
        "{}",
        c.summary
    );
    // The campaign goes past its ¥20,000 budget: over, critical; tmall
    // (64 %) and the sale (32 %) are ahead.
    apply(
        &mut st,
        &cfg,
        &[spend("s2", 120, 21_000, Some("直通车"))],
        now,
    );
    let conds = evaluate(&st, &cfg, now);
    assert_eq!(
        keys(&conds, Rule::BudgetAhead),
        [
            "budget_ahead:campaign:直通车:over",
            "budget_ahead:channel:tmall",
            "budget_ahead:sale",
        ]
    );
    let over = of(&conds, Rule::BudgetAhead)
        .into_iter()
        .find(|c| c.key.ends_with(":over"))
        .expect("over");
    assert_eq!(
        (over.severity, over.title.as_str()),
        (Severity::Critical, "超出预算")
    );
    assert!(
        over.summary.contains("¥20,000") && over.summary.contains("105%"),
        "{}",
        over.summary
    );
    // At noon the plan (50 %) has caught up with the sale's 32 %, not
    // with tmall's 64 %.
    let later = START + 720 * MIN;
    assert_eq!(
        keys(&evaluate(&st, &cfg, later), Rule::BudgetAhead),
        [
            "budget_ahead:campaign:直通车:over",
            "budget_ahead:channel:tmall"
        ]
    );
    // Outside the sale nothing is judged.
    assert!(of(&evaluate(&st, &cfg, START + 1441 * MIN), Rule::BudgetAhead).is_empty());
}

/// Minutes `from..to` with `visitors` and `orders` each.
fn minutes(from: i64, to: i64, visitors: u64, orders: usize, tag: &str) -> Vec<String> {
    let mut lines = Vec::new();
    for m in from..to {
        lines.push(traffic(&format!("{tag}t{m}"), m, visitors));
        lines.extend((0..orders).map(|i| order(&format!("{tag}o{m}-{i}"), m, 10, None)));
    }
    lines
}

#[test]
fn conversion_drop_needs_traffic_still_arriving_and_resolves_on_recovery() {
    let mut cfg = config();
    cfg.alerts.rules.efficiency.budget_ahead = 0.0;
    let mut st = State::new(&cfg);
    let now = START + 60 * MIN + 5000;
    // Minutes 25..55: 1,000 visitors and 30 orders each (3 %).
    apply(&mut st, &cfg, &minutes(25, 55, 1000, 30, "a"), now);
    assert!(of(&evaluate(&st, &cfg, now), Rule::ConversionDrop).is_empty());
    // Minutes 55..60: traffic as before, orders almost gone.
    apply(&mut st, &cfg, &minutes(55, 60, 1000, 1, "b"), now);
    let conds = evaluate(&st, &cfg, now);
    assert_eq!(
        keys(&conds, Rule::ConversionDrop),
        ["conversion_drop:channel:tmall", "conversion_drop:sale"]
    );
    let c = of(&conds, Rule::ConversionDrop)[0];
    assert_eq!((c.severity, c.pending), (Severity::Critical, true));
    assert!(
        c.summary.contains("0.10%") && c.summary.contains("3.00%") && c.summary.contains("5000"),
        "{}",
        c.summary
    );
    // The same drop with traffic gone too is no checkout sign.
    let mut quiet = State::new(&cfg);
    apply(&mut quiet, &cfg, &minutes(25, 55, 1000, 30, "a"), now);
    apply(&mut quiet, &cfg, &minutes(55, 60, 150, 0, "b"), now);
    assert!(of(&evaluate(&quiet, &cfg, now), Rule::ConversionDrop).is_empty());
    // Thin traffic: a baseline that would predict under 10 orders.
    let mut thin = State::new(&cfg);
    apply(&mut thin, &cfg, &minutes(25, 55, 1000, 1, "a"), now);
    apply(&mut thin, &cfg, &minutes(55, 60, 1000, 0, "b"), now);
    assert!(of(&evaluate(&thin, &cfg, now), Rule::ConversionDrop).is_empty());
    // Orders come back in the next minutes: conversion recovers.
    let later = now + 5 * MIN;
    apply(&mut st, &cfg, &minutes(60, 65, 1000, 30, "c"), later);
    assert!(of(&evaluate(&st, &cfg, later), Rule::ConversionDrop).is_empty());
}

#[test]
fn nothing_fires_without_spend_or_traffic() {
    let cfg = config();
    let mut st = State::new(&cfg);
    let now = START + 300 * MIN;
    let lines: Vec<String> = (0..50)
        .map(|i| order(&format!("o{i}"), 200, 10, None))
        .collect();
    apply(&mut st, &cfg, &lines, now);
    let conds = evaluate(&st, &cfg, now);
    for rule in [Rule::RoiLow, Rule::BudgetAhead, Rule::ConversionDrop] {
        assert!(of(&conds, rule).is_empty(), "{rule:?}: {conds:?}");
    }
}
