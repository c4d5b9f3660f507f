//! The engine's state and the one function that changes it: [`State::apply`].
//!
//! Ids are interned to dense `u32` indices on first sight, so every counter
//! is a `Vec` slot, not a map entry. Idempotency keys and buyers are 128-bit
//! hashes: the keys in their own open-addressing table (`keys`), buyers in
//! sharded hash maps; per-channel and per-store distinct buyers are
//! `(scope, buyer index)` pairs packed into `u64`. Nothing here allocates per
//! event except when a set or a `Vec` grows.

use rustc_hash::FxHashMap;

use super::admit::{Caps, HOME, Refused, Resolved, UNKNOWN};
use super::entity::{Campaign, Channel, Region, SERIES_SECS, Sku, Store};
use super::keys::Keys;
use super::notes::Notes;
use super::peaks::Peaks;
use super::periods::{Periods, diverted};
use super::ring::{Ring, Wv};
use super::scope::{Scope, TENS};
use super::sharded::{ShardedMap, ShardedSet};
use crate::config::{Config, Sale};
use crate::event::{Batch, Event, Kind};

/// The channel of stores and events that name none.
pub const OTHER_CHANNEL: &str = "other";

/// What applying a batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    pub accepted: usize,
    pub duplicates: usize,
    /// Events a cap refused (see `admit`): not applied, keys not taken.
    pub refused: Vec<Refused>,
}

/// What is known of one buyer, by buyer index. The first store and the
/// first 64 channels are kept here, so the common cases (a new buyer; a
/// buyer back at the same store) need no pair-set lookup.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BuyerInfo {
    /// `NO_STORE` until the buyer's first order is counted.
    pub(crate) first_store: u32,
    pub(crate) counted_new: bool,
    /// Bit `c` set: counted in channel `c` (for `c` < 64).
    pub(crate) channels: u64,
}

pub(super) const NO_STORE: u32 = u32::MAX;
/// No buyer on this event (in the per-batch buyer index scratch).
pub(super) const NO_BUYER: u32 = u32::MAX;

/// All counters of one sale. Checkpoints copy it field by field into
/// storage's own format (`storage::format`), so the fields are open to the
/// crate; the id interners are rebuilt from the rows on load (`reindex`).
#[derive(Debug, Clone, Default)]
pub struct State {
    pub sale: Scope<SERIES_SECS>,
    pub channels: Vec<Channel>,
    pub stores: Vec<Store>,
    pub skus: Vec<Sku>,
    /// By first sight; ids are division codes or other strings as sent.
    pub regions: Vec<Region>,
    pub campaigns: Vec<Campaign>,
    pub(crate) channel_ix: FxHashMap<Box<str>, u32>,
    pub(crate) store_ix: FxHashMap<Box<str>, u32>,
    pub(crate) sku_ix: FxHashMap<Box<str>, u32>,
    pub(crate) region_ix: FxHashMap<Box<str>, u32>,
    pub(crate) campaign_ix: FxHashMap<Box<str>, u32>,
    /// Regions that are not one of China's divisions (they count against
    /// the region cap); rebuilt on load.
    pub(crate) unlisted_regions: usize,
    /// Idempotency keys: not in the checkpoint itself but in key files
    /// written beside it (see `keys`).
    pub(crate) keys: Keys,
    /// Buyer hash → dense buyer index into `buyer_info`.
    pub(crate) buyers: ShardedMap<u128, u32>,
    pub(crate) buyer_info: Vec<BuyerInfo>,
    pub(crate) channel_buyers: ShardedSet<u64>,
    pub(crate) store_buyers: ShardedSet<u64>,
    /// `(region, buyer index)` pairs: each region's distinct buyers.
    pub(crate) region_buyers: ShardedSet<u64>,
    /// Each channel's and store's sales by region, keyed `(channel or
    /// store index) << 32 | region index`: the map of a filtered screen.
    pub channel_regions: FxHashMap<u64, Wv>,
    pub store_regions: FxHashMap<u64, Wv>,
    pub new_buyers: u64,
    pub events_applied: u64,
    /// Idempotency keys held when this state was copied for a checkpoint:
    /// its key files must add up to exactly this many.
    pub checkpoint_keys: u64,
    pub duplicates: u64,
    /// Event time of the newest applied event.
    pub last_event_ms: Option<i64>,
    /// The busiest second of the sale so far: (epoch second, orders).
    pub peak_second: Option<(i64, u64)>,
    /// Each channel's and store's busiest second (`peaks`).
    pub peaks: Peaks,
    /// The days around the sale, when configured (`periods`).
    pub periods: Periods,
    /// Refunds of the last 15 minutes in ten-second buckets (amount in
    /// `gmv`, count in `orders`), for the refund-rate alert.
    pub refund_tens: Ring<Wv, TENS>,
    /// Server time of the last batch that applied anything.
    pub last_apply_ms: Option<i64>,
    /// The war-room log's notes (not events: they count in no figure).
    pub notes: Notes,
    /// Scratch: which events of the batch being applied are not duplicates.
    pub(crate) fresh: Vec<bool>,
    /// Scratch: each event's buyer index, or `NO_BUYER`.
    pub(crate) buyer_of: Vec<u32>,
    /// Scratch: the batch's ids resolved to indices, and what caps refused.
    pub(crate) resolved: Resolved,
}

impl State {
    /// A fresh state holding the configured channels, stores and SKUs.
    pub fn new(config: &Config) -> State {
        let mut st = State::default();
        for c in &config.channels {
            let i = st.channel(&c.id);
            let ch = &mut st.channels[i as usize];
            ch.name = c.name.as_str().into();
            ch.target = c.target;
            ch.profit_target = c.profit_target;
        }
        for s in &config.stores {
            let i = st.store(&s.id, s.channel.as_deref());
            let store = &mut st.stores[i as usize];
            store.name = s.name.as_str().into();
            store.target = s.target;
            store.profit_target = s.profit_target;
        }
        for k in &config.skus {
            let i = st.sku(&k.id);
            let sku = &mut st.skus[i as usize];
            sku.name = k.name.as_str().into();
            sku.target_units = k.target_units;
            sku.cost = k.cost;
            sku.low_stock = k.low_stock;
            sku.stock = k.stock;
            sku.stock_left = k.stock.unwrap_or(0);
        }
        st.configure_campaigns(config);
        st
    }

    /// The config's campaigns, each with its configured channel (which no
    /// event changes). Also run on a state read from a checkpoint, which
    /// may predate them: an upgrade from checkpoint 3, a campaign added to
    /// the catalog mid-sale.
    pub(crate) fn configure_campaigns(&mut self, config: &Config) {
        for c in &config.campaigns {
            let channel = c.channel.as_deref().map(|ch| self.channel(ch));
            let i = self.campaign(&c.id);
            if channel.is_some() {
                let row = &mut self.campaigns[i as usize];
                row.channel = channel;
                row.channel_ts = i64::MIN;
            }
        }
    }

    /// Rebuilds the id → index maps from the rows (after loading a checkpoint).
    pub fn reindex(&mut self) {
        self.channel_ix = self
            .channels
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i as u32))
            .collect();
        self.store_ix = self
            .stores
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i as u32))
            .collect();
        self.sku_ix = self
            .skus
            .iter()
            .enumerate()
            .map(|(i, k)| (k.id.clone(), i as u32))
            .collect();
        self.region_ix = self
            .regions
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i as u32))
            .collect();
        self.campaign_ix = self
            .campaigns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i as u32))
            .collect();
        self.unlisted_regions = self
            .regions
            .iter()
            .filter(|r| crate::geo::division(&r.id).is_none())
            .count();
    }

    /// Keys from a key file (recovery).
    pub fn load_keys(&mut self, keys: &[u128]) {
        self.keys.load(keys);
    }

    /// Room for `more` keys about to be loaded.
    pub fn reserve_keys(&mut self, more: usize) {
        self.keys.reserve(more);
    }

    /// From now on remember new keys for the next checkpoint's key file.
    pub fn track_new_keys(&mut self) {
        self.keys.track();
    }

    /// For a checkpoint: a copy of everything but the key set, and the keys
    /// added since the last checkpoint (which go to their own file).
    pub fn checkpoint_copy(&mut self) -> (State, Vec<u128>) {
        let keys = std::mem::take(&mut self.keys);
        let mut copy = self.clone();
        self.keys = keys;
        copy.checkpoint_keys = self.keys.len() as u64;
        (copy, self.keys.take_new())
    }

    /// Gives back the keys of a checkpoint that could not be written.
    pub fn untake_keys(&mut self, keys: Vec<u128>) {
        self.keys.untake(keys);
    }

    pub fn channel_index(&self, id: &str) -> Option<usize> {
        self.channel_ix.get(id).map(|&i| i as usize)
    }

    pub fn store_index(&self, id: &str) -> Option<usize> {
        self.store_ix.get(id).map(|&i| i as usize)
    }

    pub fn sku_index(&self, id: &str) -> Option<usize> {
        self.sku_ix.get(id).map(|&i| i as usize)
    }

    pub fn region_index(&self, id: &str) -> Option<usize> {
        self.region_ix.get(id).map(|&i| i as usize)
    }

    pub fn campaign_index(&self, id: &str) -> Option<usize> {
        self.campaign_ix.get(id).map(|&i| i as usize)
    }

    /// Number of idempotency keys held.
    pub fn keys(&self) -> usize {
        self.keys.len()
    }

    /// Distinct buyers over the whole sale.
    pub fn buyers(&self) -> u64 {
        self.buyers.len() as u64
    }

    /// Applies a batch in order. Repeats of an (`type`, `id`) already seen
    /// are counted as duplicates and change nothing else. With `caps`,
    /// events that would create more entities than they allow are refused
    /// (listed in `Applied::refused`); replay passes none (see `admit`).
    pub fn apply(
        &mut self,
        batch: &Batch<'_>,
        sale: &Sale,
        now_ms: i64,
        caps: Option<&Caps>,
    ) -> Applied {
        let mut out = Applied::default();
        let mut res = std::mem::take(&mut self.resolved);
        self.resolve(batch, caps, &mut res, &mut out.refused);
        // Idempotency first, for the whole batch, 16 keys at a time: the key
        // set is the largest table and each probe a likely cache miss, so the
        // group's slots are read together (their misses overlap), then the
        // keys inserted.
        let mut fresh = std::mem::take(&mut self.fresh);
        fresh.clear();
        for (g, group) in batch.events.chunks(Keys::AHEAD).enumerate() {
            let base = g * Keys::AHEAD;
            let keyed = group.iter().filter(|e| e.kind.is_keyed());
            self.keys.touch(keyed.map(|e| e.key));
            fresh.extend(group.iter().enumerate().map(|(j, e)| {
                !res.is_refused(base + j) && (!e.kind.is_keyed() || self.keys.insert(e.key))
            }));
        }
        // Buyers likewise: resolve every order's buyer index up front.
        let mut buyer_of = std::mem::take(&mut self.buyer_of);
        buyer_of.clear();
        for (e, &is_fresh) in batch.events.iter().zip(&fresh) {
            buyer_of.push(match (e.kind, e.buyer, is_fresh) {
                (Kind::Order, Some(b), true) if !diverted(sale, e.ts_ms) => self.buyer_index(b),
                _ => NO_BUYER,
            });
        }
        let events = batch.events.iter().zip(&fresh).zip(&buyer_of);
        let mut notes = 0;
        for (i, ((e, &is_fresh), &buyer)) in events.enumerate() {
            if !is_fresh {
                out.duplicates += usize::from(!res.is_refused(i));
                continue;
            }
            let items = batch.items_of(e);
            let skus = &res.skus[e.items.start as usize..e.items.end as usize];
            let at = (res.first[i], res.channel[i]);
            // Stock levels and the war-room log's notes are never diverted.
            if e.kind != Kind::Stock && !e.kind.is_note() && diverted(sale, e.ts_ms) {
                self.observe(e, at, items, skus, sale);
                out.accepted += 1;
                self.last_event_ms = Some(self.last_event_ms.map_or(e.ts_ms, |t| t.max(e.ts_ms)));
                continue;
            }
            match e.kind {
                Kind::Order => {
                    let counted = self.order(e, at, items, skus, buyer, sale, now_ms);
                    if e.region.is_some() || e.campaign.is_some() {
                        let to = (res.region[i], res.campaign[i]);
                        self.attribute(e, to, counted, buyer);
                    }
                }
                Kind::Refund => self.refund(e, at, items, skus, sale, now_ms),
                Kind::Stock => self.stock(e, res.first[i]),
                Kind::Traffic => self.traffic(e, at, res.page[i], sale),
                Kind::Spend => self.spend(e, at, res.campaign[i], sale),
                Kind::Note | Kind::NoteDeleted => {
                    // Logged like an event, counted in no figure.
                    self.notes.apply(e);
                    out.accepted += 1;
                    notes += 1;
                    continue;
                }
            }
            out.accepted += 1;
            self.last_event_ms = Some(self.last_event_ms.map_or(e.ts_ms, |t| t.max(e.ts_ms)));
        }
        self.events_applied += (out.accepted - notes) as u64;
        self.duplicates += out.duplicates as u64;
        if out.accepted > notes {
            self.last_apply_ms = Some(now_ms);
        }
        self.fresh = fresh;
        self.buyer_of = buyer_of;
        self.resolved = res;
        self.sale.counters.buyers = self.buyers.len() as u64;
        out
    }

    /// Store and channel of an order or refund, from their resolved
    /// indices (`admit`), interning those that were not known yet.
    pub(super) fn scopes_of(
        &mut self,
        e: &Event<'_>,
        (store, channel): (u32, u32),
    ) -> (usize, usize) {
        let store = match store {
            UNKNOWN => self.store(&e.store, None),
            s => s,
        } as usize;
        let channel = match (channel, &e.channel) {
            (HOME, _) | (_, None) => self.stores[store].channel,
            (UNKNOWN, Some(c)) => self.channel(c),
            (c, Some(_)) => c,
        } as usize;
        (store, channel)
    }

    /// An item's SKU from its resolved index, interning it if new.
    pub(super) fn sku_at(&mut self, resolved: u32, id: &str) -> usize {
        match resolved {
            UNKNOWN => self.sku(id) as usize,
            k => k as usize,
        }
    }
}
