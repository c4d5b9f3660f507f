//! Promotion campaigns (docs/api.md, `/api/v1/campaigns`): each one's
//! spend, the orders the shops attribute to it, its ROI and its budget.
//!
//! A campaign's budget is the config's (`[[campaigns]]` or the campaigns
//! CSV), looked up by name once per read; the rest is the engine's
//! campaign row. The live frames' compact campaign rows are built here
//! too ([`CampaignPush`]), from the same figures.

use std::collections::HashMap;

use serde::Serialize;

use super::efficiency::{BudgetFigures, ratio};
use super::rounding::ratio as rounded_ratio;
use crate::config::Config;
use crate::engine::State;

/// One row of `/api/v1/campaigns`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CampaignRow {
    /// The campaign's name as sent or configured.
    pub id: String,
    /// Its channel: configured, else that of the earliest (by event time)
    /// spend or order naming it with a channel or store; `null` until then.
    pub channel: Option<String>,
    /// Minor units.
    pub spend: i64,
    /// Minor units; `null` without a configured budget.
    pub budget: Option<i64>,
    pub gmv: i64,
    pub orders: u64,
    pub units: u64,
    /// GMV ÷ spend.
    pub roi: Option<f64>,
    /// Spend ÷ GMV.
    pub cost_to_sales: Option<f64>,
    /// Spend ÷ budget; `null` without a budget.
    pub budget_used: Option<f64>,
    /// The share of the budget the plan expects spent by now; `null`
    /// without a budget.
    pub budget_plan: Option<f64>,
}

/// The configured budgets by campaign name.
pub fn campaign_budgets(cfg: &Config) -> HashMap<&str, i64> {
    cfg.campaigns
        .iter()
        .filter_map(|c| Some((c.id.as_str(), c.budget?)))
        .collect()
}

/// Campaign `k`'s row.
pub fn campaign_row(
    st: &State,
    cfg: &Config,
    budgets: &HashMap<&str, i64>,
    k: usize,
    now_ms: i64,
) -> CampaignRow {
    let c = &st.campaigns[k];
    let spend = c.reach.spend;
    let budget = budgets.get(&*c.id).copied();
    let b = BudgetFigures::of(&cfg.sale, budget, spend, now_ms);
    CampaignRow {
        id: c.id.to_string(),
        channel: c
            .channel
            .and_then(|ch| st.channels.get(ch as usize))
            .map(|ch| ch.id.to_string()),
        spend,
        budget,
        gmv: c.gmv,
        orders: c.orders,
        units: c.units,
        roi: ratio(c.gmv as f64, spend as f64),
        cost_to_sales: ratio(spend as f64, c.gmv as f64),
        budget_used: b.and_then(|b| b.budget_used),
        budget_plan: b.map(|b| b.budget_plan),
    }
}

/// `/api/v1/campaigns`: every campaign (of `channel`, a channel index,
/// when given), highest spend first, ties by name.
pub fn campaign_rows(
    st: &State,
    cfg: &Config,
    now_ms: i64,
    channel: Option<usize>,
) -> Vec<CampaignRow> {
    let budgets = campaign_budgets(cfg);
    let mut ix: Vec<usize> = (0..st.campaigns.len())
        .filter(|&k| channel.is_none_or(|c| st.campaigns[k].channel == Some(c as u32)))
        .collect();
    ix.sort_by(|&a, &b| {
        let (a, b) = (&st.campaigns[a], &st.campaigns[b]);
        b.reach.spend.cmp(&a.reach.spend).then(a.id.cmp(&b.id))
    });
    ix.into_iter()
        .map(|k| campaign_row(st, cfg, &budgets, k, now_ms))
        .collect()
}

/// A campaign as live frames carry it: `{id, channel, spend, gmv,
/// orders, roi, budget_used?}` (`budget_used` only with a budget), ratios
/// rounded for the screen.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CampaignPush {
    pub id: String,
    pub channel: Option<String>,
    pub spend: i64,
    pub gmv: i64,
    pub orders: u64,
    #[serde(serialize_with = "rounded_ratio")]
    pub roi: Option<f64>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "rounded_ratio"
    )]
    pub budget_used: Option<f64>,
}

impl From<CampaignRow> for CampaignPush {
    fn from(r: CampaignRow) -> CampaignPush {
        CampaignPush {
            id: r.id,
            channel: r.channel,
            spend: r.spend,
            gmv: r.gmv,
            orders: r.orders,
            roi: r.roi,
            budget_used: r.budget_used,
        }
    }
}
