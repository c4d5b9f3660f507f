//! The pack's efficiency and region facts (docs/api.md, Export): traffic,
//! spend, ROI and budgets of the sale, each channel and store; the campaigns
//! and the regions, copied out of the engine in the same read as the rest
//! of [`Facts`](super::Facts).
//!
//! The formulas are the API's (docs/api.md, Efficiency and Regions):
//! conversion = orders ÷ visitors, ROI = GMV ÷ spend, cost-to-sales =
//! spend ÷ GMV, budget used = spend ÷ budget, a region's share = its GMV ÷
//! the sale's GMV, all on gross GMV; each is `None` (an empty cell, "—" in
//! the report) when its divisor is zero.

use serde::Serialize;

use crate::config::Config;
use crate::engine::{Counters, Reach, ReachMinute, State};
use crate::geo;

/// `a ÷ b`, `None` when `b` is zero (a ratio with no divisor is undefined,
/// not 0 or infinite).
pub fn ratio(a: f64, b: f64) -> Option<f64> {
    (b != 0.0).then(|| a / b)
}

/// Traffic, spend and what they bought, for one scope.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Efficiency {
    pub visitors: u64,
    pub page_views: u64,
    pub conversion: Option<f64>,
    /// Minor units.
    pub spend: i64,
    pub roi: Option<f64>,
    pub cost_to_sales: Option<f64>,
    /// Minor units, where one is configured.
    pub budget: Option<i64>,
    pub budget_used: Option<f64>,
}

impl Efficiency {
    pub fn of(c: &Counters, reach: &Reach, budget: Option<i64>) -> Efficiency {
        let (gmv, spend) = (c.gmv as f64, reach.spend as f64);
        Efficiency {
            visitors: reach.visitors,
            page_views: reach.page_views,
            conversion: ratio(c.orders as f64, reach.visitors as f64),
            spend: reach.spend,
            roi: ratio(gmv, spend),
            cost_to_sales: ratio(spend, gmv),
            budget,
            budget_used: budget.and_then(|b| ratio(spend, b as f64)),
        }
    }

    /// Whether any traffic or spend was counted.
    pub fn is_empty(&self) -> bool {
        self.visitors == 0 && self.page_views == 0 && self.spend == 0
    }
}

/// One row of `regions.csv` (money in minor units here).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RegionRow {
    /// The GB/T 2260 code of a division, or the string as sent.
    pub id: String,
    /// A division's short Chinese name; other regions their id.
    pub name: String,
    pub name_en: String,
    pub gmv: i64,
    pub orders: u64,
    pub units: u64,
    pub buyers: u64,
    pub aov: Option<i64>,
    pub share: Option<f64>,
}

impl RegionRow {
    /// Whether the region is one of China's 34 divisions (it has a tile).
    pub fn is_division(&self) -> bool {
        geo::division(&self.id).is_some()
    }
}

/// One row of `campaigns.csv` (money in minor units here).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CampaignRow {
    pub id: String,
    /// The channel's id, if the campaign has one.
    pub channel: Option<String>,
    pub spend: i64,
    pub budget: Option<i64>,
    pub budget_used: Option<f64>,
    pub gmv: i64,
    pub orders: u64,
    pub roi: Option<f64>,
    pub cost_to_sales: Option<f64>,
}

/// Everything efficiency- and region-related the pack shows.
#[derive(Debug, Clone, Default)]
pub struct Reached {
    /// The sale's totals.
    pub totals: Efficiency,
    /// The share of the sale's budget the plan curve expects spent by now.
    pub budget_plan: Option<f64>,
    /// By channel and store id, in the engine's order.
    pub channels: Vec<(String, Efficiency)>,
    pub stores: Vec<(String, Efficiency)>,
    /// Visitors and spend per minute of the sale, as many as timeline rows.
    pub minutes: Vec<ReachMinute>,
}

impl Reached {
    pub fn collect(st: &State, cfg: &Config, now_ms: i64, minutes: usize) -> Reached {
        let sale = &cfg.sale;
        let channel_budget = |id: &str| {
            cfg.channels
                .iter()
                .find(|c| c.id == id)
                .and_then(|c| c.budget)
        };
        Reached {
            totals: Efficiency::of(&st.sale.counters, &st.sale.reach, sale.budget),
            budget_plan: sale
                .budget
                .map(|_| sale.plan.share_at(sale.time_share(now_ms))),
            channels: st
                .channels
                .iter()
                .map(|c| {
                    let e =
                        Efficiency::of(&c.scope.counters, &c.scope.reach, channel_budget(&c.id));
                    (c.id.to_string(), e)
                })
                .collect(),
            stores: st
                .stores
                .iter()
                .map(|s| {
                    let e = Efficiency::of(&s.scope.counters, &s.scope.reach, None);
                    (s.id.to_string(), e)
                })
                .collect(),
            minutes: (0..minutes).map(|m| st.sale.reach.minutes.get(m)).collect(),
        }
    }

    /// A channel's figures (zero when it is unknown).
    pub fn channel(&self, id: &str) -> Efficiency {
        find(&self.channels, id)
    }

    pub fn store(&self, id: &str) -> Efficiency {
        find(&self.stores, id)
    }

    /// Whether the sale has any traffic or spend (else the report's
    /// efficiency section is one line).
    pub fn any(&self) -> bool {
        !self.totals.is_empty()
    }
}

fn find(rows: &[(String, Efficiency)], id: &str) -> Efficiency {
    rows.iter()
        .find(|(i, _)| i == id)
        .map(|(_, e)| e.clone())
        .unwrap_or_default()
}

/// Average order value as the summary's (docs/api.md, Reading): GMV ÷
/// buyers, or ÷ orders when no order carried a buyer.
fn aov(gmv: i64, buyers: u64, orders: u64) -> Option<i64> {
    let per = if buyers > 0 { buyers } else { orders };
    ratio(gmv as f64, per as f64).map(|v| v.round() as i64)
}

/// Every region, by GMV descending (ties by id).
pub fn regions(st: &State) -> Vec<RegionRow> {
    let sale_gmv = st.sale.counters.gmv as f64;
    let mut rows: Vec<RegionRow> = st
        .regions
        .iter()
        .map(|r| {
            let division = geo::division(&r.id);
            RegionRow {
                id: r.id.to_string(),
                name: division.map_or_else(|| r.id.to_string(), |d| d.short_zh.into()),
                name_en: division.map_or_else(|| r.id.to_string(), |d| d.name_en.into()),
                gmv: r.gmv,
                orders: r.orders,
                units: r.units,
                buyers: r.buyers,
                aov: aov(r.gmv, r.buyers, r.orders),
                share: ratio(r.gmv as f64, sale_gmv),
            }
        })
        .collect();
    rows.sort_by(|a, b| b.gmv.cmp(&a.gmv).then_with(|| a.id.cmp(&b.id)));
    rows
}

/// Every campaign, by spend descending (ties by GMV, then id).
pub fn campaigns(st: &State, cfg: &Config) -> Vec<CampaignRow> {
    let mut rows: Vec<CampaignRow> = st
        .campaigns
        .iter()
        .map(|c| {
            let budget = cfg
                .campaigns
                .iter()
                .find(|d| *d.id == *c.id)
                .and_then(|d| d.budget);
            let (gmv, spend) = (c.gmv as f64, c.reach.spend as f64);
            CampaignRow {
                id: c.id.to_string(),
                channel: c
                    .channel
                    .and_then(|i| st.channels.get(i as usize))
                    .map(|ch| ch.id.to_string()),
                spend: c.reach.spend,
                budget,
                budget_used: budget.and_then(|b| ratio(spend, b as f64)),
                gmv: c.gmv,
                orders: c.orders,
                roi: ratio(gmv, spend),
                cost_to_sales: ratio(spend, gmv),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.spend
            .cmp(&a.spend)
            .then_with(|| b.gmv.cmp(&a.gmv))
            .then_with(|| a.id.cmp(&b.id))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_with_no_divisor_are_undefined_not_zero() {
        let c = Counters {
            gmv: 19_700,
            orders: 3,
            ..Counters::default()
        };
        let mut reach = Reach::default();
        let e = Efficiency::of(&c, &reach, Some(50_000));
        assert_eq!((e.conversion, e.roi), (None, None));
        assert_eq!((e.cost_to_sales, e.budget_used), (Some(0.0), Some(0.0)));
        reach.add_visits(300, 900, None);
        reach.add_spend(10_000, None);
        let e = Efficiency::of(&c, &reach, None);
        assert_eq!(e.conversion, Some(0.01));
        assert_eq!(e.roi, Some(1.97));
        assert_eq!(e.cost_to_sales, Some(10_000.0 / 19_700.0));
        assert_eq!((e.budget, e.budget_used), (None, None));
        assert_eq!(
            Efficiency::of(&Counters::default(), &reach, None).cost_to_sales,
            None
        );
    }

    #[test]
    fn aov_is_per_buyer_else_per_order() {
        assert_eq!(aov(1000, 3, 5), Some(333));
        assert_eq!(aov(1000, 0, 4), Some(250));
        assert_eq!(aov(0, 0, 0), None);
    }
}
