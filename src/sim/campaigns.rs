//! The demo's promotion: each channel's ad campaigns, what a yuan of each
//! channel's ads buys, and the ledger slots the traffic model counts them in.
//!
//! Campaign names are the ad products a shop buys on each platform (直通车,
//! 引力魔方 and 万相台 on Tmall, 京准通 on JD, 巨量千川 on Douyin, 多多搜索
//! on PDD…); they are campaign ids on the server (docs/api.md, Campaigns).
//! Each channel's spend follows its GMV at that channel's ROI, split over
//! its campaigns, with the rest spent outside any campaign. PDD is set
//! below 1 (the ads cost more than the sales they bring) so the screen's
//! worst-ROI mark has something to mark.

/// One campaign of the demo.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CampaignSpec {
    pub id: &'static str,
    pub channel: &'static str,
    /// Its share of the channel's spend (and of its attributed orders).
    pub share: f64,
}

const fn c(id: &'static str, channel: &'static str, share: f64) -> CampaignSpec {
    CampaignSpec { id, channel, share }
}

pub const CAMPAIGNS: &[CampaignSpec] = &[
    c("直通车", "tmall", 0.40),
    c("引力魔方", "tmall", 0.25),
    c("万相台", "tmall", 0.25),
    c("京准通", "jd", 0.60),
    c("京东快车", "jd", 0.30),
    c("巨量千川", "douyin", 0.70),
    c("随心推", "douyin", 0.20),
    c("多多搜索", "pdd", 0.60),
    c("多多场景", "pdd", 0.30),
    c("腾讯广告", "wechat", 0.90),
];

/// Ledger slots for campaigns, in `CAMPAIGNS` order.
pub const CAMPAIGN_SLOTS: usize = CAMPAIGNS.len();

/// GMV per yuan of ads, by channel (other channels: `DEFAULT_ROI`).
const CHANNEL_ROI: &[(&str, f64)] = &[
    ("tmall", 4.2),
    ("jd", 3.6),
    ("douyin", 2.4),
    ("pdd", 0.9),
    ("wechat", 3.0),
];
const DEFAULT_ROI: f64 = 3.0;

/// What a yuan of `channel`'s ads buys in GMV.
pub fn channel_roi(channel: &str) -> f64 {
    CHANNEL_ROI
        .iter()
        .find(|(id, _)| *id == channel)
        .map_or(DEFAULT_ROI, |&(_, roi)| roi)
}

/// The share of `channel`'s spend its campaigns take; the rest is spent
/// outside any campaign (brand ads, a store's own boosts).
pub fn campaign_share(channel: &str) -> f64 {
    CAMPAIGNS
        .iter()
        .filter(|c| c.channel == channel)
        .map(|c| c.share)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_leave_room_and_one_channel_loses_money() {
        for (ch, _) in CHANNEL_ROI {
            let s = campaign_share(ch);
            assert!(s > 0.0 && s <= 1.0, "{ch}: {s}");
        }
        assert!(CHANNEL_ROI.iter().filter(|(_, roi)| *roi < 1.0).count() == 1);
        let mut ids: Vec<&str> = CAMPAIGNS.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CAMPAIGN_SLOTS, "campaign ids are unique");
    }
}
