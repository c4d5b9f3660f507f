//! The rows of checkpoint body 4 ⇄ the engine's: channels, stores and
//! their scopes, traffic and spend, timelines, SKUs, regions and
//! campaigns, each taken apart and built with every field named (no
//! `..`). Reading a row checks its timelines (`Timeline::from_parts`); an
//! error names the row and the timeline. `state_v4` puts them together.

use super::FormatError;
use super::checkpoint_v2::WindowsV2;
use super::checkpoint_v4::{
    CampaignV4, ChannelV4, ChunkV4, ReachMinuteV4, ReachV4, RegionV4, ScopeV4, SkuV4, StoreV4,
    TimelineV4,
};
use crate::engine::{
    BadTimeline, Bucket, Campaign, Channel, Reach, ReachMinute, Region, Scope, Sku, Store,
    Timeline, Windows,
};

impl From<Channel> for ChannelV4 {
    fn from(c: Channel) -> ChannelV4 {
        let Channel {
            id,
            name,
            target,
            profit_target,
            scope,
        } = c;
        ChannelV4 {
            id,
            name,
            target,
            profit_target,
            scope: scope.into(),
        }
    }
}

impl TryFrom<ChannelV4> for Channel {
    type Error = FormatError;

    fn try_from(c: ChannelV4) -> Result<Channel, FormatError> {
        let ChannelV4 {
            id,
            name,
            target,
            profit_target,
            scope: s,
        } = c;
        Ok(Channel {
            scope: scope(s, || format!("channel {id}"))?,
            id,
            name,
            target,
            profit_target,
        })
    }
}

impl From<Store> for StoreV4 {
    fn from(s: Store) -> StoreV4 {
        let Store {
            id,
            name,
            channel,
            target,
            profit_target,
            scope,
        } = s;
        StoreV4 {
            id,
            name,
            channel,
            target,
            profit_target,
            scope: scope.into(),
        }
    }
}

impl TryFrom<StoreV4> for Store {
    type Error = FormatError;

    fn try_from(s: StoreV4) -> Result<Store, FormatError> {
        let StoreV4 {
            id,
            name,
            channel,
            target,
            profit_target,
            scope: sc,
        } = s;
        Ok(Store {
            scope: scope(sc, || format!("store {id}"))?,
            id,
            name,
            channel,
            target,
            profit_target,
        })
    }
}

impl<const S: usize> From<Scope<S>> for ScopeV4<S> {
    fn from(s: Scope<S>) -> ScopeV4<S> {
        let Scope {
            counters,
            windows: Windows { secs, tens },
            timeline,
            reach,
        } = s;
        ScopeV4 {
            counters: counters.into(),
            windows: WindowsV2 {
                secs: secs.into(),
                tens: tens.into(),
            },
            timeline: timeline_out(timeline),
            reach: reach.into(),
        }
    }
}

/// A scope read back; `whose` names it when a timeline is bad.
pub(super) fn scope<const S: usize>(
    s: ScopeV4<S>,
    whose: impl Fn() -> String,
) -> Result<Scope<S>, FormatError> {
    let ScopeV4 {
        counters,
        windows: WindowsV2 { secs, tens },
        timeline,
        reach,
    } = s;
    Ok(Scope {
        counters: counters.into(),
        windows: Windows {
            secs: secs.into(),
            tens: tens.into(),
        },
        timeline: timeline_in(timeline).map_err(|e| named(&whose(), "timeline", e))?,
        reach: reach_in(reach, &whose)?,
    })
}

impl From<Reach> for ReachV4 {
    fn from(r: Reach) -> ReachV4 {
        let Reach {
            visitors,
            page_views,
            spend,
            minutes,
        } = r;
        ReachV4 {
            visitors,
            page_views,
            spend,
            minutes: timeline_out(minutes),
        }
    }
}

fn reach_in(r: ReachV4, whose: &dyn Fn() -> String) -> Result<Reach, FormatError> {
    let ReachV4 {
        visitors,
        page_views,
        spend,
        minutes,
    } = r;
    Ok(Reach {
        visitors,
        page_views,
        spend,
        minutes: timeline_in(minutes)
            .map_err(|e| named(&whose(), "traffic and spend timeline", e))?,
    })
}

fn named(whose: &str, what: &str, e: BadTimeline) -> FormatError {
    FormatError::Decode(format!("{whose}'s {what}: {e}"))
}

twins!(ReachMinute <-> ReachMinuteV4 { visitors, spend });

/// Moves whole chunks; nothing is expanded to the calendar.
fn timeline_out<T: Bucket + PartialEq, U: From<T>>(t: Timeline<T>) -> TimelineV4<U> {
    let (chunks, end) = t.into_parts();
    TimelineV4 {
        chunks: chunks
            .into_iter()
            .map(|(no, minutes)| ChunkV4 {
                no,
                minutes: minutes.map(U::from),
            })
            .collect(),
        end,
    }
}

/// Checked as `Timeline::from_parts` checks (rising chunks, a fitting end).
fn timeline_in<U, T: Bucket + PartialEq + From<U>>(
    t: TimelineV4<U>,
) -> Result<Timeline<T>, BadTimeline> {
    let TimelineV4 { chunks, end } = t;
    let chunks = chunks
        .into_iter()
        .map(|ChunkV4 { no, minutes }| (no, Box::new(minutes.map(T::from))))
        .collect();
    Timeline::from_parts(chunks, end)
}

impl From<Sku> for SkuV4 {
    fn from(x: Sku) -> SkuV4 {
        let Sku {
            id,
            name,
            target_units,
            cost,
            stock,
            stock_left,
            low_stock,
            units,
            gmv,
            refund_units,
            refunds,
            velocity,
            sold_out_at,
            visitors,
            page_views,
            // Its own part of the body (`prices_v4`), taken out before.
            prices: _,
        } = x;
        SkuV4 {
            id,
            name,
            target_units,
            cost,
            stock,
            stock_left,
            low_stock,
            units,
            gmv,
            refund_units,
            refunds,
            velocity: velocity.into(),
            sold_out_at,
            visitors,
            page_views,
        }
    }
}

impl From<SkuV4> for Sku {
    fn from(x: SkuV4) -> Sku {
        let SkuV4 {
            id,
            name,
            target_units,
            cost,
            stock,
            stock_left,
            low_stock,
            units,
            gmv,
            refund_units,
            refunds,
            velocity,
            sold_out_at,
            visitors,
            page_views,
        } = x;
        Sku {
            id,
            name,
            target_units,
            cost,
            stock,
            stock_left,
            low_stock,
            units,
            gmv,
            refund_units,
            refunds,
            velocity: velocity.into(),
            sold_out_at,
            visitors,
            page_views,
            // Put back from its own part of the body (`prices_v4`).
            prices: Default::default(),
        }
    }
}

twins!(Region <-> RegionV4 { id, gmv, orders, units, buyers });

impl From<Campaign> for CampaignV4 {
    fn from(c: Campaign) -> CampaignV4 {
        let Campaign {
            id,
            channel,
            channel_ts,
            gmv,
            orders,
            units,
            timeline,
            reach,
        } = c;
        CampaignV4 {
            id,
            channel,
            channel_ts,
            gmv,
            orders,
            units,
            timeline: timeline_out(timeline),
            reach: reach.into(),
        }
    }
}

impl TryFrom<CampaignV4> for Campaign {
    type Error = FormatError;

    fn try_from(c: CampaignV4) -> Result<Campaign, FormatError> {
        let CampaignV4 {
            id,
            channel,
            channel_ts,
            gmv,
            orders,
            units,
            timeline,
            reach,
        } = c;
        let whose = || format!("campaign {id}");
        Ok(Campaign {
            timeline: timeline_in(timeline).map_err(|e| named(&whose(), "timeline", e))?,
            reach: reach_in(reach, &whose)?,
            id,
            channel,
            channel_ts,
            gmv,
            orders,
            units,
        })
    }
}
