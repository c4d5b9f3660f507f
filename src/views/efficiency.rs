//! Efficiency figures (投入产出): what the traffic and the promotion spend
//! of a scope bought (docs/api.md, Efficiency figures).
//!
//! One struct, [`Efficiency`], flattened into the summary's totals and
//! every channel and store row, so the fields and their `null` rules are
//! written once: conversion is orders ÷ visitors, ROI (投产比) GMV ÷ spend,
//! cost-to-sales (费比) spend ÷ GMV, each `null` where its divisor is 0.
//! With a budget (the sale, a channel, a campaign) the budget figures are
//! added; without one they are left out rather than sent as `null`, so a
//! reader can tell "no budget" from "nothing spent".

use serde::Serialize;

use crate::config::{Config, Sale};
use crate::engine::Reach;

/// A budget and how much of it is gone, against the plan.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct BudgetFigures {
    /// Minor units.
    pub budget: i64,
    /// Spend ÷ budget; `null` for a budget of 0.
    pub budget_used: Option<f64>,
    /// The share of the budget the sale's plan curve expects spent by now
    /// (the plan's target share at the elapsed time share).
    pub budget_plan: f64,
}

impl BudgetFigures {
    /// `None` without a budget.
    pub fn of(sale: &Sale, budget: Option<i64>, spend: i64, now_ms: i64) -> Option<BudgetFigures> {
        let budget = budget?;
        Some(BudgetFigures {
            budget,
            budget_used: ratio(spend as f64, budget as f64),
            budget_plan: sale.plan.share_at(sale.time_share(now_ms)),
        })
    }
}

/// Traffic, spend and what they bought, for one scope.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Efficiency {
    pub visitors: u64,
    pub page_views: u64,
    /// Orders ÷ visitors.
    pub conversion: Option<f64>,
    /// Minor units.
    pub spend: i64,
    /// GMV ÷ spend.
    pub roi: Option<f64>,
    /// Spend ÷ GMV.
    pub cost_to_sales: Option<f64>,
    /// Present only where a budget is set.
    #[serde(flatten)]
    pub budget: Option<BudgetFigures>,
}

/// `a ÷ b`, `None` when `b` is 0.
pub fn ratio(a: f64, b: f64) -> Option<f64> {
    (b != 0.0).then(|| a / b)
}

/// The inputs of [`Efficiency`]: a scope's traffic and spend, summed for
/// a set of scopes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReachFigures {
    pub visitors: u64,
    pub page_views: u64,
    pub spend: i64,
}

impl ReachFigures {
    pub fn of(r: &Reach) -> ReachFigures {
        ReachFigures {
            visitors: r.visitors,
            page_views: r.page_views,
            spend: r.spend,
        }
    }

    /// Adds another scope's.
    pub fn add(&mut self, o: &ReachFigures) {
        self.visitors = self.visitors.saturating_add(o.visitors);
        self.page_views = self.page_views.saturating_add(o.page_views);
        self.spend = self.spend.saturating_add(o.spend);
    }
}

impl Efficiency {
    /// The figures without a budget (stores have none).
    pub fn of(r: &ReachFigures, gmv: i64, orders: u64) -> Efficiency {
        Efficiency {
            visitors: r.visitors,
            page_views: r.page_views,
            conversion: ratio(orders as f64, r.visitors as f64),
            spend: r.spend,
            roi: ratio(gmv as f64, r.spend as f64),
            cost_to_sales: ratio(r.spend as f64, gmv as f64),
            budget: None,
        }
    }

    /// With the budget figures, when `budget` is set.
    pub fn budgeted(self, sale: &Sale, budget: Option<i64>, now_ms: i64) -> Efficiency {
        Efficiency {
            budget: BudgetFigures::of(sale, budget, self.spend, now_ms),
            ..self
        }
    }
}

/// The configured budget of channel `id` (channels are few; a scan).
pub fn channel_budget(cfg: &Config, id: &str) -> Option<i64> {
    cfg.channels
        .iter()
        .find(|c| c.id == id)
        .and_then(|c| c.budget)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sale() -> Sale {
        let cfg = crate::config::parse_str(
            r#"
[sale]
name = "t"
currency = "CNY"
timezone = "Asia/Shanghai"
starts = "2026-11-11T00:00:00+08:00"
ends = "2026-11-12T00:00:00+08:00"
"#,
            "t.toml",
            std::path::Path::new("."),
        )
        .expect("valid");
        cfg.sale
    }

    #[test]
    fn ratios_are_null_where_the_divisor_is_zero_and_budget_only_when_set() {
        let s = sale();
        let none = ReachFigures::default();
        let e = Efficiency::of(&none, 0, 0).budgeted(&s, None, s.starts_ms);
        assert_eq!(
            serde_json::to_value(e).expect("json"),
            json!({"visitors": 0, "page_views": 0, "conversion": null, "spend": 0,
                   "roi": null, "cost_to_sales": null})
        );
        let r = ReachFigures {
            visitors: 200,
            page_views: 900,
            spend: 50_000,
        };
        // Half the sale gone: a straight plan expects half the budget spent.
        let half = s.starts_ms + (s.ends_ms - s.starts_ms) / 2;
        let e = Efficiency::of(&r, 98_500, 5).budgeted(&s, Some(200_000), half);
        assert_eq!(e.conversion, Some(0.025));
        assert_eq!(e.roi, Some(1.97));
        assert_eq!(e.cost_to_sales, Some(50_000.0 / 98_500.0));
        let b = e.budget.expect("budget");
        assert_eq!((b.budget, b.budget_used), (200_000, Some(0.25)));
        assert!((b.budget_plan - s.plan.share_at(0.5)).abs() < 1e-12);
        let v = serde_json::to_value(e).expect("json");
        assert_eq!(v["budget"], 200_000);
        assert_eq!(v["budget_used"], 0.25);
    }
}
