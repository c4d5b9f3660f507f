//! NDJSON batches of a realistic sale, with a ledger of what was sent.
//!
//! Stores and SKUs are picked with Zipf-like popularity (a few best sellers,
//! a long tail); orders hold 1–4 items, mostly one unit each; about 2 % of
//! events refund a recent order; a chosen share re-sends a recent order as
//! a duplicate (retries happen); a few set a SKU's stock. Prices are written
//! as JSON numbers or decimal strings at random, as real order systems do.
//! Orders may carry the buyer's region and a campaign, and a share of lines
//! may be traffic and spend reports (`reach`); all those shares default to
//! zero, the mix before they existed, so benchmarks compare like with like.

use std::collections::VecDeque;
use std::io::Write;

use super::campaigns::CAMPAIGNS;
use super::catalog::{DemoCatalog, sku_zipf, store_zipf};
use super::regions::Regions;
use super::rng::{Rng, Zipf};
use super::sent::Sent;
use crate::money::Currency;

/// No region, campaign or channel (an index slot left empty).
pub(super) const NO_SLOT: u8 = u8::MAX;

#[derive(Debug, Clone)]
pub struct TrafficOptions {
    pub seed: u64,
    /// Share of events that refund a recent order.
    pub refund_rate: f64,
    /// Share of events that repeat a recent order (a client retry).
    pub duplicate_rate: f64,
    /// Share of events that set a SKU's stock level.
    pub stock_rate: f64,
    /// Distinct buyers to draw from.
    pub buyers: u64,
    /// Prefix of order and refund ids, so runs do not collide.
    pub id_prefix: String,
    /// Zero-pad id numbers to this many digits (0: as they come), so a
    /// driver can rewrite ids in place to reuse a generated batch.
    pub id_width: usize,
    /// Share of orders that name the buyer's region.
    pub region_rate: f64,
    /// Share of orders attributed to a campaign of their channel.
    pub campaign_rate: f64,
    /// Share of lines that report a store's traffic (visitors, page views).
    pub traffic_rate: f64,
    /// Share of lines that report ad spend of a channel or campaign.
    pub spend_rate: f64,
}

impl TrafficOptions {
    /// The whole war-room mix: region on 95 % of orders, a campaign on
    /// half, a traffic line per ~20 orders, a spend line per ~200.
    pub fn full_mix(self) -> TrafficOptions {
        TrafficOptions {
            region_rate: 0.95,
            campaign_rate: 0.5,
            traffic_rate: 0.047,
            spend_rate: 0.0047,
            ..self
        }
    }
}

impl Default for TrafficOptions {
    fn default() -> TrafficOptions {
        TrafficOptions {
            seed: 1,
            refund_rate: 0.02,
            duplicate_rate: 0.002,
            stock_rate: 0.0005,
            buyers: 5_000_000,
            id_prefix: String::new(),
            id_width: 0,
            region_rate: 0.0,
            campaign_rate: 0.0,
            traffic_rate: 0.0,
            spend_rate: 0.0,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct RecentOrder {
    n: u64,
    ts_ms: i64,
    store: u32,
    buyer: u64,
    len: u8,
    items: [(u32, u32); 4],
    refunded: bool,
    region: u8,
    campaign: u8,
}

/// A seeded stream of sale events.
pub struct Traffic {
    pub(super) rng: Rng,
    pub(super) opts: TrafficOptions,
    pub(super) stores: Vec<String>,
    pub(super) skus: Vec<String>,
    prices: Vec<i64>,
    pub(super) currency: Currency,
    pub(super) store_pick: Zipf,
    pub(super) sku_pick: Zipf,
    next_order: u64,
    next_refund: u64,
    recent: VecDeque<RecentOrder>,
    pub(super) sent: Sent,
    pub(super) reach: super::reach::Reach,
    regions: Regions,
}

const RECENT: usize = 4096;

impl Traffic {
    pub fn new(catalog: &DemoCatalog, currency: Currency, opts: TrafficOptions) -> Traffic {
        let seed = opts.seed;
        Traffic {
            rng: Rng::new(opts.seed),
            stores: catalog.stores.iter().map(|s| s.id.clone()).collect(),
            skus: catalog.skus.iter().map(|k| k.id.clone()).collect(),
            prices: catalog.prices.clone(),
            store_pick: store_zipf(catalog.stores.len()),
            sku_pick: sku_zipf(catalog.skus.len()),
            currency,
            opts,
            next_order: 0,
            next_refund: 0,
            recent: VecDeque::with_capacity(RECENT),
            sent: Sent::default(),
            reach: super::reach::Reach::new(catalog, seed),
            regions: Regions::new(),
        }
    }

    /// What was sent so far.
    pub fn sent(&self) -> Sent {
        self.sent
    }

    /// Appends `n` NDJSON event lines stamped `ts_ms` to `out`.
    pub fn write_batch(&mut self, out: &mut Vec<u8>, n: usize, ts_ms: i64) {
        for _ in 0..n {
            let r = self.rng.f64();
            let o = &self.opts;
            if r < o.duplicate_rate && !self.recent.is_empty() {
                let i = self.rng.below(self.recent.len() as u64) as usize;
                let order = self.recent[i];
                self.write_order(out, &order);
                self.sent.duplicates += 1;
            } else if r < o.duplicate_rate + o.refund_rate && !self.recent.is_empty() {
                let i = self.rng.below(self.recent.len() as u64) as usize;
                if self.recent[i].refunded {
                    self.new_order(out, ts_ms);
                } else {
                    self.recent[i].refunded = true;
                    let order = self.recent[i];
                    self.write_refund(out, &order, ts_ms);
                }
            } else if r < o.duplicate_rate + o.refund_rate + o.stock_rate {
                // A warehouse sync: any SKU, not weighted by popularity.
                let sku = self.rng.below(self.skus.len() as u64) as usize;
                let level = 50 + self.rng.below(2000);
                let _ = writeln!(
                    out,
                    r#"{{"type":"stock","ts":{ts_ms},"sku":"{}","level":{level}}}"#,
                    self.skus[sku]
                );
                self.sent.stock_events += 1;
            } else if r < o.duplicate_rate + o.refund_rate + o.stock_rate + o.traffic_rate {
                let store = self.store_pick.sample(&mut self.rng);
                let page = self.rng.chance(0.3);
                self.write_visits(out, store, page, ts_ms);
            } else if r < o.duplicate_rate
                + o.refund_rate
                + o.stock_rate
                + o.traffic_rate
                + o.spend_rate
            {
                let source = self.rng.below(self.reach.sources() as u64) as usize;
                self.write_spend(out, source, ts_ms, 1.0);
            } else {
                self.new_order(out, ts_ms);
            }
            self.sent.lines += 1;
        }
    }

    fn new_order(&mut self, out: &mut Vec<u8>, ts_ms: i64) {
        self.next_order += 1;
        let len = match self.rng.below(100) {
            0..60 => 1,
            60..85 => 2,
            85..95 => 3,
            _ => 4,
        };
        let mut items = [(0u32, 0u32); 4];
        for item in items.iter_mut().take(len) {
            let sku = self.sku_pick.sample(&mut self.rng) as u32;
            let qty = match self.rng.below(100) {
                0..85 => 1,
                85..95 => 2,
                _ => 3,
            };
            *item = (sku, qty);
            let amount = i64::from(qty) * self.prices[sku as usize];
            self.sent.gmv += amount;
            self.sent.units += u64::from(qty);
        }
        self.sent.orders += 1;
        let store = self.store_pick.sample(&mut self.rng);
        let buyer = self.rng.below(self.opts.buyers);
        // No draw when a share is zero: the stream stays what it was.
        let region = if self.opts.region_rate > 0.0 && self.rng.chance(self.opts.region_rate) {
            self.regions.of_buyer(buyer)
        } else {
            NO_SLOT
        };
        let campaign = if self.opts.campaign_rate > 0.0 && self.rng.chance(self.opts.campaign_rate)
        {
            self.reach.pick_campaign(store, &mut self.rng)
        } else {
            NO_SLOT
        };
        let gmv: i64 = items[..len]
            .iter()
            .map(|&(sku, qty)| i64::from(qty) * self.prices[sku as usize])
            .sum();
        self.reach.sold(store, gmv);
        let places = &mut self.sent.places;
        if let Some(slot) = places.regions.get_mut(usize::from(region)) {
            slot.orders += 1;
            slot.gmv += gmv;
        }
        if let Some(slot) = places.campaigns.get_mut(usize::from(campaign)) {
            slot.orders += 1;
            slot.gmv += gmv;
        }
        let order = RecentOrder {
            n: self.next_order,
            ts_ms,
            store: store as u32,
            buyer,
            len: len as u8,
            items,
            refunded: false,
            region,
            campaign,
        };
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(order);
        self.write_order(out, &order);
    }

    fn write_order(&mut self, out: &mut Vec<u8>, o: &RecentOrder) {
        let new_buyer = o.buyer.is_multiple_of(3);
        let _ = write!(
            out,
            r#"{{"type":"order","id":"{}T{:0w$}","ts":{},"store":"{}","buyer":"u{}","new_buyer":{new_buyer},"#,
            self.opts.id_prefix,
            o.n,
            o.ts_ms,
            self.stores[o.store as usize],
            o.buyer,
            w = self.opts.id_width
        );
        if o.region != NO_SLOT {
            out.extend_from_slice(b"\"region\":");
            Regions::write(out, o.region, &mut self.rng);
            out.push(b',');
        }
        if let Some(c) = CAMPAIGNS.get(usize::from(o.campaign)) {
            let _ = write!(out, r#""campaign":"{}","#, c.id);
        }
        out.extend_from_slice(b"\"items\":[");
        for (i, &(sku, qty)) in o.items[..o.len as usize].iter().enumerate() {
            self.write_item(out, i, sku, qty);
        }
        out.extend_from_slice(b"]}\n");
    }

    fn write_refund(&mut self, out: &mut Vec<u8>, o: &RecentOrder, ts_ms: i64) {
        self.next_refund += 1;
        let (sku, qty) = o.items[0];
        let _ = write!(
            out,
            r#"{{"type":"refund","id":"{}R{:0w$}","order":"{}T{:0w$}","ts":{},"store":"{}","items":["#,
            self.opts.id_prefix,
            self.next_refund,
            self.opts.id_prefix,
            o.n,
            ts_ms.max(o.ts_ms),
            self.stores[o.store as usize],
            w = self.opts.id_width
        );
        self.write_item(out, 0, sku, qty);
        out.extend_from_slice(b"]}\n");
        self.sent.refund_count += 1;
        self.sent.refunds += i64::from(qty) * self.prices[sku as usize];
        self.sent.refund_units += u64::from(qty);
    }

    fn write_item(&mut self, out: &mut Vec<u8>, i: usize, sku: u32, qty: u32) {
        let price = self.currency.format_major(self.prices[sku as usize]);
        let sep = if i > 0 { "," } else { "" };
        let quote = if self.rng.chance(0.5) { "\"" } else { "" };
        let _ = write!(
            out,
            r#"{sep}{{"sku":"{}","qty":{qty},"price":{quote}{price}{quote}}}"#,
            self.skus[sku as usize]
        );
    }
}
