//! The engine's state and the one function that changes it: [`State::apply`].
//!
//! Ids are interned to dense `u32` indices on first sight, so every counter
//! is a `Vec` slot, not a map entry. Idempotency keys and buyers are 128-bit
//! hashes in flat hash sets; per-channel and per-store distinct buyers are
//! `(scope, buyer index)` pairs packed into `u64`. Nothing here allocates per
//! event except when a set or a `Vec` grows.

use rustc_hash::{FxHashMap, FxHashSet};

use super::entity::{Channel, SERIES_SECS, Sku, Store};
use super::ring::Wv;
use super::scope::Scope;
use crate::config::{Config, Sale};
use crate::event::{Batch, Event, Item, Kind};

/// The channel of stores and events that name none.
pub const OTHER_CHANNEL: &str = "other";

/// What applying a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    pub accepted: usize,
    pub duplicates: usize,
}

/// What is known of one buyer. The first store and the first 64 channels
/// are kept inline, so the common cases (a new buyer; a buyer back at the
/// same store) touch only this entry and no pair set: one cache miss per
/// order instead of three.
#[derive(Debug, Clone, Copy)]
struct BuyerEntry {
    index: u32,
    first_store: u32,
    /// Bit `c` set: counted in channel `c` (for `c` < 64).
    channels: u64,
    counted_new: bool,
}

/// All counters of one sale.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub sale: Scope<SERIES_SECS>,
    pub channels: Vec<Channel>,
    pub stores: Vec<Store>,
    pub skus: Vec<Sku>,
    channel_ix: FxHashMap<Box<str>, u32>,
    store_ix: FxHashMap<Box<str>, u32>,
    sku_ix: FxHashMap<Box<str>, u32>,
    seen: FxHashSet<u128>,
    buyers: FxHashMap<u128, BuyerEntry>,
    channel_buyers: FxHashSet<u64>,
    store_buyers: FxHashSet<u64>,
    pub new_buyers: u64,
    pub events_applied: u64,
    pub duplicates: u64,
    /// Event time of the newest applied event.
    pub last_event_ms: Option<i64>,
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
        st
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

    /// Number of idempotency keys held.
    pub fn keys(&self) -> usize {
        self.seen.len()
    }

    /// Distinct buyers over the whole sale.
    pub fn buyers(&self) -> u64 {
        self.buyers.len() as u64
    }

    fn channel(&mut self, id: &str) -> u32 {
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
    fn store(&mut self, id: &str, channel: Option<&str>) -> u32 {
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

    fn sku(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.sku_ix.get(id) {
            return i;
        }
        let i = self.skus.len() as u32;
        self.skus.push(Sku::new(id, id));
        self.sku_ix.insert(id.into(), i);
        i
    }

    /// Applies a batch in order. Repeats of an (`type`, `id`) already seen
    /// are counted as duplicates and change nothing else.
    pub fn apply(&mut self, batch: &Batch<'_>, sale: &Sale, now_ms: i64) -> Applied {
        let mut out = Applied::default();
        for e in &batch.events {
            if e.kind != Kind::Stock && !self.seen.insert(e.key) {
                out.duplicates += 1;
                continue;
            }
            let items = batch.items_of(e);
            match e.kind {
                Kind::Order => self.order(e, items, sale, now_ms),
                Kind::Refund => self.refund(e, items),
                Kind::Stock => self.stock(e),
            }
            out.accepted += 1;
            self.last_event_ms = Some(self.last_event_ms.map_or(e.ts_ms, |t| t.max(e.ts_ms)));
        }
        self.events_applied += out.accepted as u64;
        self.duplicates += out.duplicates as u64;
        out
    }

    /// Store and channel of an order or refund.
    fn scopes_of(&mut self, e: &Event<'_>) -> (usize, usize) {
        let store = self.store(&e.store, None) as usize;
        let channel = match &e.channel {
            Some(c) => self.channel(c) as usize,
            None => self.stores[store].channel as usize,
        };
        (store, channel)
    }

    fn order(&mut self, e: &Event<'_>, items: &[Item<'_>], sale: &Sale, now_ms: i64) {
        let (store, channel) = self.scopes_of(e);
        // Future timestamps (≤ 5 min, allowed for clock skew) count as now in
        // the windows, so they never push the rings past the present.
        let window_ms = e.ts_ms.min(now_ms);
        let mut v = Wv {
            gmv: 0,
            orders: 1,
            units: 0,
        };
        let (mut profit, mut costed) = (0i64, 0i64);
        for it in items {
            let k = self.sku(&it.sku) as usize;
            let sku = &mut self.skus[k];
            let amount = it.amount();
            sku.units += u64::from(it.qty);
            sku.gmv = sku.gmv.saturating_add(amount);
            sku.velocity.add(window_ms.div_euclid(10_000), it.qty);
            if sku.stock.is_some() && sku.stock_left > 0 {
                sku.stock_left = (sku.stock_left - i64::from(it.qty)).max(0);
                if sku.stock_left == 0 {
                    sku.sold_out_at = Some(e.ts_ms);
                }
            }
            if let Some(cost) = it.cost.or(sku.cost) {
                profit = profit.saturating_add(i64::from(it.qty) * (it.price - cost));
                costed = costed.saturating_add(amount);
            }
            v.gmv = v.gmv.saturating_add(amount);
            v.units += u64::from(it.qty);
        }
        let minute = (e.ts_ms >= sale.starts_ms && e.ts_ms < sale.ends_ms)
            .then(|| ((e.ts_ms - sale.starts_ms) / 60_000) as usize);
        self.sale.add_order(v, profit, costed, window_ms, minute);
        self.channels[channel]
            .scope
            .add_order(v, profit, costed, window_ms, minute);
        self.stores[store]
            .scope
            .add_order(v, profit, costed, window_ms, minute);

        if let Some(b) = e.buyer {
            self.count_buyer(b, e.new_buyer, store, channel);
        }
    }

    /// Counts a buyer once per sale, per channel and per store (exactly).
    fn count_buyer(&mut self, b: u128, new_buyer: bool, store: usize, channel: usize) {
        let next = self.buyers.len() as u32;
        let mut fresh = false;
        let entry = self.buyers.entry(b).or_insert_with(|| {
            fresh = true;
            BuyerEntry {
                index: next,
                first_store: store as u32,
                channels: 0,
                counted_new: false,
            }
        });
        if new_buyer && !entry.counted_new {
            entry.counted_new = true;
            self.new_buyers += 1;
        }
        let idx = u64::from(entry.index);
        let store_new = fresh
            || (entry.first_store as usize != store
                && self.store_buyers.insert((store as u64) << 32 | idx));
        let channel_new = if channel < 64 {
            let bit = 1u64 << channel;
            let was = entry.channels & bit != 0;
            entry.channels |= bit;
            !was
        } else {
            self.channel_buyers.insert((channel as u64) << 32 | idx)
        };
        self.sale.counters.buyers = self.buyers.len() as u64;
        if store_new {
            self.stores[store].scope.counters.buyers += 1;
        }
        if channel_new {
            self.channels[channel].scope.counters.buyers += 1;
        }
    }

    fn refund(&mut self, e: &Event<'_>, items: &[Item<'_>]) {
        let (store, channel) = self.scopes_of(e);
        let (mut amount, mut units, mut profit, mut costed) = (0i64, 0u64, 0i64, 0i64);
        for it in items {
            let k = self.sku(&it.sku) as usize;
            let sku = &mut self.skus[k];
            let a = it.amount();
            sku.refund_units += u64::from(it.qty);
            sku.refunds = sku.refunds.saturating_add(a);
            if let Some(cost) = it.cost.or(sku.cost) {
                profit = profit.saturating_add(i64::from(it.qty) * (it.price - cost));
                costed = costed.saturating_add(a);
            }
            amount = amount.saturating_add(a);
            units += u64::from(it.qty);
        }
        self.sale.add_refund(amount, units, profit, costed);
        self.channels[channel]
            .scope
            .add_refund(amount, units, profit, costed);
        self.stores[store]
            .scope
            .add_refund(amount, units, profit, costed);
    }

    fn stock(&mut self, e: &Event<'_>) {
        let k = self.sku(&e.sku) as usize;
        let sku = &mut self.skus[k];
        sku.stock = Some(e.level);
        sku.stock_left = e.level;
        sku.sold_out_at = (e.level == 0).then_some(e.ts_ms);
    }
}
