//! Checkpoint body 3 → the engine's state, field by field (and, for tests
//! only, state → body 3: they write a format-3 file to prove it still
//! reads; what format 3 cannot hold is left out there).
//!
//! As in `state_v2`, every struct is taken apart and built with every field
//! named (no `..`): a field added to or removed from the engine fails to
//! compile here. The parts format 3 shares with format 2 (counters, rings,
//! SKUs, buyers) convert through `state_v2`'s impls. Channels and stores
//! are converted by hand rather than with `twins!` because reading a
//! timeline can fail (its chunks are checked, see `Timeline::from_parts`),
//! and the error names the scope. Writing moves whole chunks; nothing is
//! expanded to the calendar in either direction. Body 3 holds no traffic,
//! spend, regions or campaigns: they read empty (`state_v4` goes on to
//! body 4).

use super::FormatError;
use super::checkpoint_v2::WindowsV2;
#[cfg(test)]
use super::checkpoint_v2::{BuyerV2, MapShardsV2, SetShardsV2, SkuV2, WvV2};
use super::checkpoint_v3::{ChannelV3, ChunkV3, ScopeV3, StateV3, StoreV3, TimelineV3};
use crate::engine::{
    BuyerInfo, Channel, Scope, ShardedMap, ShardedSet, Sku, State, Store, Timeline, Windows, Wv,
};

#[cfg(test)]
impl From<State> for StateV3 {
    fn from(state: State) -> StateV3 {
        let State {
            sale,
            channels,
            stores,
            skus,
            // Not in this format.
            peaks: _,
            periods: _,
            // Rebuilt from the rows on load.
            channel_ix: _,
            store_ix: _,
            sku_ix: _,
            // In the key files, not the checkpoint.
            keys: _,
            buyers,
            buyer_info,
            channel_buyers,
            store_buyers,
            new_buyers,
            events_applied,
            checkpoint_keys,
            duplicates,
            last_event_ms,
            peak_second,
            refund_tens,
            last_apply_ms,
            // Not in format 3 (tests only write it).
            regions: _,
            campaigns: _,
            region_ix: _,
            campaign_ix: _,
            unlisted_regions: _,
            region_buyers: _,
            channel_regions: _,
            store_regions: _,
            notes: _,
            // Scratch of one apply.
            fresh: _,
            buyer_of: _,
            resolved: _,
        } = state;
        let buyers = buyers.into_shards();
        StateV3 {
            sale: sale.into(),
            channels: channels.into_iter().map(ChannelV3::from).collect(),
            stores: stores.into_iter().map(StoreV3::from).collect(),
            skus: skus.into_iter().map(SkuV2::from).collect(),
            buyers: MapShardsV2 {
                len: buyers.iter().map(|s| s.len() as u64).sum(),
                shards: buyers,
            },
            buyer_info: buyer_info.into_iter().map(BuyerV2::from).collect(),
            channel_buyers: SetShardsV2 {
                shards: channel_buyers.into_shards(),
            },
            store_buyers: SetShardsV2 {
                shards: store_buyers.into_shards(),
            },
            new_buyers,
            events_applied,
            checkpoint_keys,
            duplicates,
            last_event_ms,
            peak_second,
            refund_tens: refund_tens.into(),
            last_apply_ms,
        }
    }
}

impl TryFrom<StateV3> for State {
    type Error = FormatError;

    /// The state a checkpoint holds, without its keys (the key files hold
    /// them) and with empty id interners (`Engine::replace_state` rebuilds
    /// them).
    fn try_from(v: StateV3) -> Result<State, FormatError> {
        let StateV3 {
            sale,
            channels,
            stores,
            skus,
            buyers,
            buyer_info,
            channel_buyers,
            store_buyers,
            new_buyers,
            events_applied,
            checkpoint_keys,
            duplicates,
            last_event_ms,
            peak_second,
            refund_tens,
            last_apply_ms,
        } = v;
        // The checksum guards the bytes; these guard the indices the apply
        // loop trusts without checking, and the timelines' chunk order the
        // reads' binary searches rely on.
        if let Some(s) = stores.iter().find(|s| s.channel as usize >= channels.len()) {
            return Err(FormatError::Decode(format!(
                "store {} names channel {} of {}",
                s.id,
                s.channel,
                channels.len()
            )));
        }
        let buyers = ShardedMap::from_shards(buyers.shards);
        if buyers.len() != buyer_info.len() {
            return Err(FormatError::Decode(format!(
                "{} buyers but {} buyer rows",
                buyers.len(),
                buyer_info.len()
            )));
        }
        Ok(State {
            sale: scope(sale, || "the sale".into())?,
            channels: channels
                .into_iter()
                .map(Channel::try_from)
                .collect::<Result<_, _>>()?,
            stores: stores
                .into_iter()
                .map(Store::try_from)
                .collect::<Result<_, _>>()?,
            skus: skus.into_iter().map(Sku::from).collect(),
            channel_ix: Default::default(),
            store_ix: Default::default(),
            sku_ix: Default::default(),
            keys: Default::default(),
            buyers,
            buyer_info: buyer_info.into_iter().map(BuyerInfo::from).collect(),
            channel_buyers: ShardedSet::from_shards(channel_buyers.shards),
            store_buyers: ShardedSet::from_shards(store_buyers.shards),
            new_buyers,
            events_applied,
            checkpoint_keys,
            duplicates,
            last_event_ms,
            peak_second,
            refund_tens: refund_tens.into(),
            last_apply_ms,
            regions: Vec::new(),
            campaigns: Vec::new(),
            region_ix: Default::default(),
            campaign_ix: Default::default(),
            unlisted_regions: 0,
            region_buyers: Default::default(),
            channel_regions: Default::default(),
            store_regions: Default::default(),
            notes: Default::default(),
            fresh: Vec::new(),
            buyer_of: Vec::new(),
            resolved: Default::default(),
            peaks: Default::default(),
            periods: Default::default(),
        })
    }
}

#[cfg(test)]
impl From<Channel> for ChannelV3 {
    fn from(c: Channel) -> ChannelV3 {
        let Channel {
            id,
            name,
            target,
            profit_target,
            scope,
        } = c;
        ChannelV3 {
            id,
            name,
            target,
            profit_target,
            scope: scope.into(),
        }
    }
}

impl TryFrom<ChannelV3> for Channel {
    type Error = FormatError;

    fn try_from(c: ChannelV3) -> Result<Channel, FormatError> {
        let ChannelV3 {
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

#[cfg(test)]
impl From<Store> for StoreV3 {
    fn from(s: Store) -> StoreV3 {
        let Store {
            id,
            name,
            channel,
            target,
            profit_target,
            scope,
        } = s;
        StoreV3 {
            id,
            name,
            channel,
            target,
            profit_target,
            scope: scope.into(),
        }
    }
}

impl TryFrom<StoreV3> for Store {
    type Error = FormatError;

    fn try_from(s: StoreV3) -> Result<Store, FormatError> {
        let StoreV3 {
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

#[cfg(test)]
impl<const S: usize> From<Scope<S>> for ScopeV3<S> {
    fn from(s: Scope<S>) -> ScopeV3<S> {
        let Scope {
            counters,
            windows: Windows { secs, tens },
            timeline,
            // Not in format 3 (tests only write it).
            reach: _,
        } = s;
        let (chunks, end) = timeline.into_parts();
        ScopeV3 {
            counters: counters.into(),
            windows: WindowsV2 {
                secs: secs.into(),
                tens: tens.into(),
            },
            timeline: TimelineV3 {
                chunks: chunks
                    .into_iter()
                    .map(|(no, minutes)| ChunkV3 {
                        no,
                        minutes: minutes.map(WvV2::from),
                    })
                    .collect(),
                end,
            },
        }
    }
}

/// A scope read back; `whose` names it when its timeline is bad.
fn scope<const S: usize>(
    s: ScopeV3<S>,
    whose: impl FnOnce() -> String,
) -> Result<Scope<S>, FormatError> {
    let ScopeV3 {
        counters,
        windows: WindowsV2 { secs, tens },
        timeline: TimelineV3 { chunks, end },
    } = s;
    let chunks = chunks
        .into_iter()
        .map(|ChunkV3 { no, minutes }| (no, Box::new(minutes.map(Wv::from))))
        .collect();
    let timeline = Timeline::from_parts(chunks, end)
        .map_err(|e| FormatError::Decode(format!("{}'s timeline: {e}", whose())))?;
    Ok(Scope {
        counters: counters.into(),
        windows: Windows {
            secs: secs.into(),
            tens: tens.into(),
        },
        timeline,
        reach: Default::default(),
    })
}
