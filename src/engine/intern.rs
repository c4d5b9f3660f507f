//! Interning: an id first seen becomes the next dense index of its kind
//! (channel, store, SKU, region, campaign), so every counter is a `Vec`
//! slot. Only the apply path interns (`state`, `orders`, `efficiency`);
//! the interners are rebuilt from the rows after a checkpoint is loaded
//! (`State::reindex`).

use super::entity::{Campaign, Channel, Region, Sku, Store};
use super::scope::Scope;
use super::state::{OTHER_CHANNEL, State};

impl State {
    pub(super) fn channel(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.channel_ix.get(id) {
            return i;
        }
        let i = self.channels.len() as u32;
        self.channels.push(Channel {
            id: id.into(),
            name: id.into(),
            target: None,
            profit_target: None,
            scope: Scope::default(),
        });
        self.channel_ix.insert(id.into(), i);
        i
    }

    /// Interns a store; one first seen in an event (not in config) gets the
    /// channel `other`, as the contract's default says, whatever channel
    /// that event names, so attribution never depends on arrival order.
    pub(super) fn store(&mut self, id: &str, channel: Option<&str>) -> u32 {
        if let Some(&i) = self.store_ix.get(id) {
            return i;
        }
        let ch = self.channel(channel.unwrap_or(OTHER_CHANNEL));
        let i = self.stores.len() as u32;
        self.stores.push(Store {
            id: id.into(),
            name: id.into(),
            channel: ch,
            target: None,
            profit_target: None,
            scope: Scope::default(),
        });
        self.store_ix.insert(id.into(), i);
        i
    }

    pub(super) fn sku(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.sku_ix.get(id) {
            return i;
        }
        let i = self.skus.len() as u32;
        self.skus.push(Sku::new(id, id));
        self.sku_ix.insert(id.into(), i);
        i
    }

    pub(super) fn region(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.region_ix.get(id) {
            return i;
        }
        let i = self.regions.len() as u32;
        self.regions.push(Region {
            id: id.into(),
            ..Region::default()
        });
        if crate::geo::division(id).is_none() {
            self.unlisted_regions += 1;
        }
        self.region_ix.insert(id.into(), i);
        i
    }

    pub(super) fn campaign(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.campaign_ix.get(id) {
            return i;
        }
        let i = self.campaigns.len() as u32;
        self.campaigns.push(Campaign::new(id));
        self.campaign_ix.insert(id.into(), i);
        i
    }
}
