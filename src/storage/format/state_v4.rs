//! The engine's state ⇄ checkpoint body 4, field by field, and bodies 2
//! and 3 → 4.
//!
//! As in `state_v3`, every struct is taken apart and built with every
//! field named (no `..`): a field added to or removed from the engine
//! fails to compile here. The parts format 4 shares with formats 2 and 3
//! (counters, windows, rings, buyers) convert through `state_v2`'s impls,
//! the rows through `rows_v4`.
//! Reading checks what the apply loop and the views trust without
//! checking — indices into the channel, region and buyer rows, and every
//! timeline's chunks — and an error names the row. Bodies 2 and 3 hold no
//! traffic, spend, regions or campaigns: they read with those empty.
//! The SKUs' price records travel in their own part (`prices_v4`).

use rustc_hash::FxHashMap;

use super::FormatError;
use super::checkpoint_v2::{BuyerV2, MapShardsV2, SetShardsV2, WvV2};
use super::checkpoint_v3::StateV3;
use super::checkpoint_v4::{CampaignV4, ChannelV4, RegionV4, SkuV4, StateV4, StoreV4};
use super::prices_v4::PricesV4;
use super::rows_v4::scope;
use crate::engine::{
    BuyerInfo, Campaign, Channel, Region, ShardedMap, ShardedSet, Sku, State, Store, Wv,
};

impl From<State> for StateV4 {
    fn from(state: State) -> StateV4 {
        let State {
            sale,
            channels,
            stores,
            skus,
            regions,
            campaigns,
            // Rebuilt from the rows on load.
            channel_ix: _,
            store_ix: _,
            sku_ix: _,
            region_ix: _,
            campaign_ix: _,
            unlisted_regions: _,
            // In the key files, not the checkpoint.
            keys: _,
            buyers,
            buyer_info,
            channel_buyers,
            store_buyers,
            region_buyers,
            channel_regions,
            store_regions,
            new_buyers,
            events_applied,
            checkpoint_keys,
            duplicates,
            last_event_ms,
            peak_second,
            refund_tens,
            last_apply_ms,
            notes,
            peaks,
            periods,
            // Scratch of one apply.
            fresh: _,
            buyer_of: _,
            resolved: _,
        } = state;
        let buyers = buyers.into_shards();
        let mut skus = skus;
        let prices = PricesV4::take(&mut skus);
        StateV4 {
            sale: sale.into(),
            channels: channels.into_iter().map(ChannelV4::from).collect(),
            stores: stores.into_iter().map(StoreV4::from).collect(),
            skus: skus.into_iter().map(SkuV4::from).collect(),
            regions: regions.into_iter().map(RegionV4::from).collect(),
            campaigns: campaigns.into_iter().map(CampaignV4::from).collect(),
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
            region_buyers: SetShardsV2 {
                shards: region_buyers.into_shards(),
            },
            channel_regions: by_key(channel_regions),
            store_regions: by_key(store_regions),
            new_buyers,
            events_applied,
            checkpoint_keys,
            duplicates,
            last_event_ms,
            peak_second,
            refund_tens: refund_tens.into(),
            last_apply_ms,
            notes: notes.into(),
            prices,
            periods: periods.into(),
            shape: peaks.into(),
        }
    }
}

/// A region map as a list in key order: the same state, the same bytes.
fn by_key(map: FxHashMap<u64, Wv>) -> Vec<(u64, WvV2)> {
    let mut out: Vec<(u64, WvV2)> = map.into_iter().map(|(k, v)| (k, v.into())).collect();
    out.sort_unstable_by_key(|(k, _)| *k);
    out
}

impl TryFrom<StateV4> for State {
    type Error = FormatError;

    /// The state a checkpoint holds, without its keys (the key files hold
    /// them) and with empty id interners (`Engine::replace_state` rebuilds
    /// them).
    fn try_from(v: StateV4) -> Result<State, FormatError> {
        let StateV4 {
            sale,
            channels,
            stores,
            skus,
            regions,
            campaigns,
            buyers,
            buyer_info,
            channel_buyers,
            store_buyers,
            region_buyers,
            channel_regions,
            store_regions,
            new_buyers,
            events_applied,
            checkpoint_keys,
            duplicates,
            last_event_ms,
            peak_second,
            refund_tens,
            last_apply_ms,
            notes,
            prices,
            periods,
            shape,
        } = v;
        let bad = |what: String| Err(FormatError::Decode(what));
        // The checksum guards the bytes; these guard the indices the apply
        // loop and the views trust without checking.
        if let Some(s) = stores.iter().find(|s| s.channel as usize >= channels.len()) {
            return bad(format!(
                "store {} names channel {} of {}",
                s.id,
                s.channel,
                channels.len()
            ));
        }
        let channel_of = |c: &CampaignV4| c.channel.filter(|&ch| ch as usize >= channels.len());
        if let Some((c, ch)) = campaigns.iter().find_map(|c| Some((c, channel_of(c)?))) {
            return bad(format!(
                "campaign {} names channel {ch} of {}",
                c.id,
                channels.len()
            ));
        }
        let buyers = ShardedMap::from_shards(buyers.shards);
        if buyers.len() != buyer_info.len() {
            return bad(format!(
                "{} buyers but {} buyer rows",
                buyers.len(),
                buyer_info.len()
            ));
        }
        let pairs = [
            ("a channel's region", &channel_regions, channels.len()),
            ("a store's region", &store_regions, stores.len()),
        ];
        for (what, map, scopes) in pairs {
            if let Some(&(key, _)) = map.iter().find(|(k, _)| !fits(*k, scopes, regions.len())) {
                return bad(format!(
                    "{what} {key:#x} names a row beyond {scopes} scopes or {} regions",
                    regions.len()
                ));
            }
        }
        if let Some(&key) = region_buyers
            .shards
            .iter()
            .flatten()
            .find(|&&k| !fits(k, regions.len(), buyer_info.len()))
        {
            return bad(format!(
                "a region's buyer {key:#x} names a row beyond {} regions or {} buyers",
                regions.len(),
                buyer_info.len()
            ));
        }
        let mut skus: Vec<Sku> = skus.into_iter().map(Sku::from).collect();
        prices.put(&mut skus)?;
        let periods = periods.into_periods((channels.len(), stores.len(), skus.len()))?;
        let peaks = shape.into_peaks(channels.len(), stores.len())?;
        Ok(State {
            peaks,
            periods,
            sale: scope(sale, || "the sale".into())?,
            channels: channels
                .into_iter()
                .map(Channel::try_from)
                .collect::<Result<_, _>>()?,
            stores: stores
                .into_iter()
                .map(Store::try_from)
                .collect::<Result<_, _>>()?,
            skus,
            regions: regions.into_iter().map(Region::from).collect(),
            campaigns: campaigns
                .into_iter()
                .map(Campaign::try_from)
                .collect::<Result<_, _>>()?,
            channel_ix: Default::default(),
            store_ix: Default::default(),
            sku_ix: Default::default(),
            region_ix: Default::default(),
            campaign_ix: Default::default(),
            unlisted_regions: 0,
            keys: Default::default(),
            buyers,
            buyer_info: buyer_info.into_iter().map(BuyerInfo::from).collect(),
            channel_buyers: ShardedSet::from_shards(channel_buyers.shards),
            store_buyers: ShardedSet::from_shards(store_buyers.shards),
            region_buyers: ShardedSet::from_shards(region_buyers.shards),
            channel_regions: unkeyed(channel_regions),
            store_regions: unkeyed(store_regions),
            new_buyers,
            events_applied,
            checkpoint_keys,
            duplicates,
            last_event_ms,
            peak_second,
            refund_tens: refund_tens.into(),
            last_apply_ms,
            notes: notes.try_into()?,
            fresh: Vec::new(),
            buyer_of: Vec::new(),
            resolved: Default::default(),
        })
    }
}

/// Whether a `(row << 32) | other` key names rows that exist.
fn fits(key: u64, rows: usize, others: usize) -> bool {
    ((key >> 32) as usize) < rows && ((key & u64::from(u32::MAX)) as usize) < others
}

fn unkeyed(list: Vec<(u64, WvV2)>) -> FxHashMap<u64, Wv> {
    list.into_iter().map(|(k, v)| (k, v.into())).collect()
}

impl TryFrom<StateV3> for StateV4 {
    type Error = FormatError;

    /// Format 3 → 4 through the engine's state (`state_v3`): the new parts
    /// are empty, everything else moves as it is.
    fn try_from(v3: StateV3) -> Result<StateV4, FormatError> {
        State::try_from(v3).map(StateV4::from)
    }
}
