//! The engine's state ⇄ checkpoint body 2, field by field.
//!
//! Every struct is taken apart and built with every field named (no `..`),
//! and rings keep their lengths as array types: a field added to, removed
//! from or resized in the engine fails to compile here rather than changing
//! what a checkpoint holds. Converting moves the big parts (rows, buyer
//! shards) instead of copying them.
//!
//! Body 2 is only read now: body 2 → state is the first half of reading a
//! format-2 file (`state_v4` goes on to body 4), and each dense timeline is
//! taken into chunks one scope at a time; the parts format 2 lacks
//! (traffic, spend, regions, campaigns) read empty. State → body 2 is
//! built for tests only, which write a format-2 file to prove it still
//! reads (what format 2 cannot hold is left out there).

use super::FormatError;
use super::checkpoint_v2::{
    BuyerV2, ChannelV2, CountersV2, RingV2, ScopeV2, SkuV2, StateV2, StoreV2, WindowsV2, WvV2,
};
#[cfg(test)]
use super::checkpoint_v2::{MapShardsV2, SetShardsV2};
use crate::engine::{
    BuyerInfo, Channel, Counters, Ring, Scope, ShardedMap, ShardedSet, Sku, State, Store, Timeline,
    Windows, Wv,
};

#[cfg(test)]
impl From<State> for StateV2 {
    fn from(state: State) -> StateV2 {
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
            // Not in format 2 (tests only write it).
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
        StateV2 {
            sale: sale.into(),
            channels: channels.into_iter().map(ChannelV2::from).collect(),
            stores: stores.into_iter().map(StoreV2::from).collect(),
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

impl TryFrom<StateV2> for State {
    type Error = FormatError;

    /// The state a checkpoint holds, without its keys (the key files hold
    /// them) and with empty id interners (`Engine::replace_state` rebuilds
    /// them).
    fn try_from(v: StateV2) -> Result<State, FormatError> {
        let StateV2 {
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
        // loop trusts without checking.
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
            sale: sale.into(),
            channels: channels.into_iter().map(Channel::from).collect(),
            stores: stores.into_iter().map(Store::from).collect(),
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

impl From<ChannelV2> for Channel {
    fn from(x: ChannelV2) -> Channel {
        let ChannelV2 {
            id,
            name,
            target,
            profit_target,
            scope,
        } = x;
        Channel {
            id,
            name,
            target,
            profit_target,
            scope: scope.into(),
        }
    }
}

impl From<StoreV2> for Store {
    fn from(x: StoreV2) -> Store {
        let StoreV2 {
            id,
            name,
            channel,
            target,
            profit_target,
            scope,
        } = x;
        Store {
            id,
            name,
            channel,
            target,
            profit_target,
            scope: scope.into(),
        }
    }
}

#[cfg(test)]
impl From<Channel> for ChannelV2 {
    fn from(x: Channel) -> ChannelV2 {
        let Channel {
            id,
            name,
            target,
            profit_target,
            scope,
        } = x;
        ChannelV2 {
            id,
            name,
            target,
            profit_target,
            scope: scope.into(),
        }
    }
}

#[cfg(test)]
impl From<Store> for StoreV2 {
    fn from(x: Store) -> StoreV2 {
        let Store {
            id,
            name,
            channel,
            target,
            profit_target,
            scope,
        } = x;
        StoreV2 {
            id,
            name,
            channel,
            target,
            profit_target,
            scope: scope.into(),
        }
    }
}

/// Written by `state_v3` (tests only) for format 3, which shares it.
#[cfg(test)]
impl From<Sku> for SkuV2 {
    fn from(x: Sku) -> SkuV2 {
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
            // Not in formats 2 and 3 (tests only write them).
            visitors: _,
            page_views: _,
            prices: _,
        } = x;
        SkuV2 {
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
        }
    }
}

impl From<SkuV2> for Sku {
    fn from(x: SkuV2) -> Sku {
        let SkuV2 {
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
            visitors: 0,
            page_views: 0,
            prices: Default::default(),
        }
    }
}
twins!(BuyerInfo <-> BuyerV2 { first_store, counted_new, channels });
twins!(Counters <-> CountersV2 {
    gmv, refunds, orders, refund_count, units, refund_units, profit, costed_gmv, buyers,
});
twins!(Wv <-> WvV2 { gmv, orders, units });

// The generic ones by hand. `S` and `N` stay the same across: the engine's
// ring lengths must equal the format's, or the state's fields do not fit.

#[cfg(test)]
impl<const S: usize> From<Scope<S>> for ScopeV2<S> {
    fn from(s: Scope<S>) -> ScopeV2<S> {
        let Scope {
            counters,
            windows: Windows { secs, tens },
            timeline,
            // Not in format 2 (tests only write it).
            reach: _,
        } = s;
        ScopeV2 {
            counters: counters.into(),
            windows: WindowsV2 {
                secs: secs.into(),
                tens: tens.into(),
            },
            // Format 2 holds every minute up to the last one seen.
            timeline: timeline.to_dense().into_iter().map(WvV2::from).collect(),
        }
    }
}

impl<const S: usize> From<ScopeV2<S>> for Scope<S> {
    fn from(s: ScopeV2<S>) -> Scope<S> {
        let ScopeV2 {
            counters,
            windows: WindowsV2 { secs, tens },
            timeline,
        } = s;
        Scope {
            counters: counters.into(),
            windows: Windows {
                secs: secs.into(),
                tens: tens.into(),
            },
            timeline: Timeline::from_dense(&timeline.into_iter().map(Wv::from).collect::<Vec<_>>()),
            reach: Default::default(),
        }
    }
}

impl<T, U: From<T>, const N: usize> From<Ring<T, N>> for RingV2<U, N> {
    fn from(r: Ring<T, N>) -> RingV2<U, N> {
        let Ring { head, slots } = r;
        RingV2 {
            head,
            slots: slots.map(U::from),
        }
    }
}

impl<T, U: From<T>, const N: usize> From<RingV2<T, N>> for Ring<U, N> {
    fn from(r: RingV2<T, N>) -> Ring<U, N> {
        let RingV2 { head, slots } = r;
        Ring {
            head,
            slots: slots.map(U::from),
        }
    }
}
