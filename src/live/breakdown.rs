//! The region and campaign rows of a frame (docs/api.md, Live frames):
//! the map and the efficiency panel's campaigns, for a selection's scope.
//!
//! A whole-sale screen gets the sale's region rows (buyers exact); a
//! screen of stores or channels gets the sums of those scopes' region
//! maps, buyers `null` (`views::regions` says why). Campaigns belong to a
//! channel: a channel screen gets its channels' campaigns, a store screen
//! none (spend is reported per campaign and channel, not per store). A
//! snapshot carries every row; a tick only the rows `keep` lets through —
//! those changed after its `since` (`versions`). A region changes for a
//! store or channel only when it changes for the sale, so the sale-wide
//! versions serve every scope (a filtered tick may resend a region its
//! scope did not move; never misses one it did).

use super::scope::Scope;
use crate::config::Config;
use crate::engine::State;
use crate::views::{
    CampaignPush, RegionFigures, RegionPush, campaign_budgets, campaign_row, summed_region,
};

/// The region rows of `scope` whose region index passes `keep`.
pub(super) fn regions(st: &State, scope: &Scope, keep: impl Fn(usize) -> bool) -> Vec<RegionPush> {
    let wanted = (0..st.regions.len()).filter(|&r| keep(r));
    let figures: Vec<RegionFigures> = match scope {
        Scope::Sale => wanted
            .map(|r| {
                let row = &st.regions[r];
                RegionFigures {
                    region: r,
                    gmv: row.gmv,
                    orders: row.orders,
                    buyers: Some(row.buyers),
                }
            })
            .collect(),
        Scope::Stores(ix) => wanted
            .filter_map(|r| summed_region(&st.store_regions, ix, r))
            .collect(),
        Scope::Channels(ix) => wanted
            .filter_map(|r| summed_region(&st.channel_regions, ix, r))
            .collect(),
    };
    figures.into_iter().map(|f| RegionPush::of(st, f)).collect()
}

/// The campaign rows of `scope` whose index passes `keep`.
pub(super) fn campaigns(
    st: &State,
    cfg: &Config,
    now_ms: i64,
    scope: &Scope,
    keep: impl Fn(usize) -> bool,
) -> Vec<CampaignPush> {
    let ix: Vec<usize> = (0..st.campaigns.len())
        .filter(|&k| match scope {
            Scope::Sale => true,
            Scope::Stores(_) => false,
            Scope::Channels(chans) => st.campaigns[k]
                .channel
                .is_some_and(|c| chans.contains(&(c as usize))),
        })
        .filter(|&k| keep(k))
        .collect();
    if ix.is_empty() {
        // Most ticks: no budget table to build.
        return Vec::new();
    }
    let budgets = campaign_budgets(cfg);
    ix.into_iter()
        .map(|k| campaign_row(st, cfg, &budgets, k, now_ms).into())
        .collect()
}

/// A snapshot's rows: highest GMV (regions) and spend (campaigns) first,
/// as `/api/v1/regions` and `/api/v1/campaigns` order them.
pub(super) fn sorted(mut regions: Vec<RegionPush>, mut campaigns: Vec<CampaignPush>) -> Sorted {
    regions.sort_by(|a, b| b.gmv.cmp(&a.gmv).then_with(|| a.id.cmp(&b.id)));
    campaigns.sort_by(|a, b| b.spend.cmp(&a.spend).then_with(|| a.id.cmp(&b.id)));
    Sorted { regions, campaigns }
}

pub(super) struct Sorted {
    pub(super) regions: Vec<RegionPush>,
    pub(super) campaigns: Vec<CampaignPush>,
}
