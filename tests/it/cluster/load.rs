//! The cluster test's traffic and its own expectation of every figure.
//!
//! A seeded generator writes NDJSON bodies in rounds: orders with one to
//! three items, refunds of earlier orders, stock levels, orders and refunds
//! sent again in later bodies (or the same one) with the same content, an
//! integer id for a numeric string id, timestamps before the sale's start,
//! blank lines and bad lines of many kinds. The figures are computed here,
//! from what was generated, by the rules of docs/api.md (Events, Words):
//! the first occurrence of an `(type, id)` counts and every later one is a
//! duplicate; a bad line counts nowhere and takes no id; a refund counts
//! against its store and channel; a stock event sets the SKU's level and
//! later orders draw it down, never below 0.
//!
//! Stock is the one figure that depends on the order batches are applied
//! in, so the generator keeps it independent of the order concurrent
//! clients happen to send in: a SKU that gets a stock event in a round gets
//! no new order in that round, and a round is sent whole before the next
//! starts. Every serialisation the stream can pick then gives the same
//! stock levels, and so the expectation is exact.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use warroom::sim::Rng;

use super::lines::{bad_line, id_json, items_json, ts_json};

/// Configured stores and their channels (the sale config lists them).
pub const STORES: [(&str, &str); 3] = [("s1", "tmall"), ("s2", "jd"), ("s3", "tmall")];
/// Stores not in the config: created on first sight in channel `other`.
const UNLISTED_STORES: [&str; 3] = ["u1", "u2", "u3"];
/// Channels an event may name besides its store's (`douyin` is unlisted).
const NAMED_CHANNELS: [&str; 3] = ["tmall", "jd", "douyin"];
/// Configured SKUs: `k01`…`k20`; the first 12 have stock, the first 5 a cost.
pub const SKUS: usize = 20;
pub const STOCKED: usize = 12;
pub const COSTED: usize = 5;
/// SKUs not in the config.
const UNLISTED_SKUS: usize = 8;

/// The configured stock of SKU `k` (1-based) and its configured cost in fen.
pub fn sku_stock(k: usize) -> Option<i64> {
    (k <= STOCKED).then_some(40 + 25 * k as i64)
}
pub fn sku_cost(k: usize) -> Option<i64> {
    (k <= COSTED).then_some(500 * k as i64)
}

/// One request body and what a reply to it must say.
pub struct Body {
    pub text: String,
    /// Lines that are events that pass every rule.
    pub valid: usize,
    /// 1-based numbers of the lines that break a rule.
    pub bad: Vec<usize>,
}

/// Figures of one scope: the sale, a channel or a store.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Figures {
    pub gmv: i64,
    pub refunds: i64,
    pub orders: u64,
    pub refund_count: u64,
    pub units: u64,
    pub refund_units: u64,
    pub profit: i64,
    pub buyers: BTreeSet<String>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct SkuFigures {
    pub units: u64,
    pub gmv: i64,
    pub refund_units: u64,
    pub stock_left: Option<i64>,
}

/// Every figure the test checks on every node.
#[derive(Debug, Default)]
pub struct Expect {
    /// Orders and refunds counted once, plus every stock event.
    pub events_applied: u64,
    /// Valid order and refund lines that repeat an id already counted:
    /// exact only if the stream stored every body once.
    pub duplicates: u64,
    pub sale: Figures,
    pub new_buyers: BTreeSet<String>,
    pub channels: BTreeMap<String, Figures>,
    pub stores: BTreeMap<String, Figures>,
    pub skus: BTreeMap<String, SkuFigures>,
    /// Minute since the sale's start → (gmv, orders, units).
    pub minutes: BTreeMap<usize, (i64, u64, u64)>,
}

#[derive(Clone)]
pub struct Item {
    pub sku: String,
    pub qty: u64,
    pub price: i64,
    pub cost: Option<i64>,
}

/// An order as generated, kept to be sent again and to be refunded.
#[derive(Clone)]
struct Order {
    id: String,
    ts: i64,
    store: String,
    channel: Option<String>,
    buyer: Option<String>,
    new_buyer: bool,
    items: Vec<Item>,
}

/// The generated traffic: rounds of bodies, and its expectation.
pub struct Load {
    pub rounds: Vec<Vec<Body>>,
    pub expect: Expect,
}

impl Order {
    fn line(&self, rfc: bool, int_id: bool) -> String {
        let mut s = format!(
            "{{\"type\":\"order\",\"id\":{},\"ts\":{},\"store\":\"{}\"",
            id_json(&self.id, int_id),
            ts_json(self.ts, rfc),
            self.store
        );
        if let Some(c) = &self.channel {
            s.push_str(&format!(",\"channel\":\"{c}\""));
        }
        if let Some(b) = &self.buyer {
            s.push_str(&format!(",\"buyer\":\"{b}\""));
        }
        if self.new_buyer {
            s.push_str(",\"new_buyer\":true");
        }
        s.push_str(&format!(",\"items\":{}}}", items_json(&self.items)));
        s
    }

    /// The channel this order counts in (docs/api.md, Events: `channel`).
    fn counted_channel(&self) -> String {
        self.channel.clone().unwrap_or_else(|| home(&self.store))
    }
}

/// A store's own channel: configured, or `other` for one first seen in an
/// event.
fn home(store: &str) -> String {
    STORES
        .iter()
        .find(|(s, _)| *s == store)
        .map_or("other", |(_, c)| c)
        .to_string()
}

struct Gen {
    rng: Rng,
    now: i64,
    starts: i64,
    orders: Vec<Order>,
    /// Refund lines already generated, to be sent again.
    refunds: Vec<String>,
    next: u64,
    seen: HashSet<String>,
    ex: Expect,
    /// Stock level and cost per SKU, as the engine tracks them.
    stock: BTreeMap<String, Option<i64>>,
    cost: BTreeMap<String, Option<i64>>,
}

impl Gen {
    fn sku_name(k: usize) -> String {
        if k <= SKUS {
            format!("k{k:02}")
        } else {
            format!("n{:02}", k - SKUS)
        }
    }

    fn any_sku(&mut self, not: &[String]) -> String {
        loop {
            let k = 1 + self.rng.below((SKUS + UNLISTED_SKUS) as u64) as usize;
            let name = Gen::sku_name(k);
            if !not.contains(&name) {
                return name;
            }
        }
    }

    fn ts(&mut self) -> i64 {
        if self.rng.chance(0.03) {
            // Before the sale's start: in the totals, not in the timeline.
            self.starts - 1 - self.rng.below(1_800_000) as i64
        } else {
            self.starts + self.rng.below((self.now - self.starts) as u64) as i64
        }
    }

    fn new_order(&mut self, stocked_now: &[String]) -> Order {
        self.next += 1;
        let id = if self.rng.chance(0.2) {
            format!("7{:07}", self.next)
        } else {
            format!("o{}", self.next)
        };
        let store = if self.rng.chance(0.8) {
            STORES[self.rng.below(3) as usize].0
        } else {
            UNLISTED_STORES[self.rng.below(3) as usize]
        };
        let channel = self
            .rng
            .chance(0.2)
            .then(|| NAMED_CHANNELS[self.rng.below(3) as usize].to_string());
        let buyer = self
            .rng
            .chance(0.9)
            .then(|| format!("b{}", self.rng.below(400)));
        let new_buyer = buyer.is_some() && self.rng.chance(0.3);
        let n = 1 + self.rng.below(3) as usize;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            let sku = self.any_sku(stocked_now);
            let cost = self
                .rng
                .chance(0.2)
                .then(|| 100 + self.rng.below(5_000) as i64);
            items.push(Item {
                sku,
                qty: 1 + self.rng.below(4),
                price: 100 + self.rng.below(20_000) as i64,
                cost,
            });
        }
        Order {
            id,
            ts: self.ts(),
            store: store.to_string(),
            channel,
            buyer,
            new_buyer,
            items,
        }
    }

    /// Counts an order the first time its id is seen.
    fn count_order(&mut self, o: &Order) {
        if !self.seen.insert(format!("order:{}", o.id)) {
            self.ex.duplicates += 1;
            return;
        }
        self.ex.events_applied += 1;
        let (mut gmv, mut units, mut profit) = (0i64, 0u64, 0i64);
        for it in &o.items {
            let amount = it.qty as i64 * it.price;
            gmv += amount;
            units += it.qty;
            if let Some(cost) = it.cost.or(*self.cost.get(&it.sku).unwrap_or(&None)) {
                profit += it.qty as i64 * (it.price - cost);
            }
            let sku = self.ex.skus.entry(it.sku.clone()).or_default();
            sku.units += it.qty;
            sku.gmv += amount;
            let level = self.stock.entry(it.sku.clone()).or_default();
            if let Some(left) = level {
                *left = (*left - it.qty as i64).max(0);
            }
        }
        let channel = o.counted_channel();
        for f in [
            &mut self.ex.sale,
            self.ex.channels.entry(channel).or_default(),
            self.ex.stores.entry(o.store.clone()).or_default(),
        ] {
            f.gmv += gmv;
            f.orders += 1;
            f.units += units;
            f.profit += profit;
            f.buyers.extend(o.buyer.clone());
        }
        if o.new_buyer
            && let Some(b) = &o.buyer
        {
            self.ex.new_buyers.insert(b.clone());
        }
        if o.ts >= self.starts {
            let m = ((o.ts - self.starts) / 60_000) as usize;
            let row = self.ex.minutes.entry(m).or_default();
            row.0 += gmv;
            row.1 += 1;
            row.2 += units;
        }
    }

    /// A refund of part of `o`; counted on its first sight.
    fn refund(&mut self, o: &Order) -> String {
        self.next += 1;
        let id = format!("r{}", self.next);
        let item = &o.items[self.rng.below(o.items.len() as u64) as usize];
        let item = Item {
            qty: 1 + self.rng.below(item.qty),
            ..item.clone()
        };
        let ts = (o.ts + self.rng.below(60_000) as i64).min(self.now);
        let mut line = format!(
            "{{\"type\":\"refund\",\"id\":\"{id}\",\"order\":\"{}\",\"ts\":{ts},\"store\":\"{}\"",
            o.id, o.store
        );
        if let Some(c) = &o.channel {
            line.push_str(&format!(",\"channel\":\"{c}\""));
        }
        line.push_str(&format!(
            ",\"items\":{}}}",
            items_json(std::slice::from_ref(&item))
        ));
        self.seen.insert(format!("refund:{id}"));
        self.ex.events_applied += 1;
        let amount = item.qty as i64 * item.price;
        let profit = item
            .cost
            .or(*self.cost.get(&item.sku).unwrap_or(&None))
            .map_or(0, |c| item.qty as i64 * (item.price - c));
        for f in [
            &mut self.ex.sale,
            self.ex.channels.entry(o.counted_channel()).or_default(),
            self.ex.stores.entry(o.store.clone()).or_default(),
        ] {
            f.refunds += amount;
            f.refund_count += 1;
            f.refund_units += item.qty;
            f.profit -= profit;
        }
        self.ex
            .skus
            .entry(item.sku.clone())
            .or_default()
            .refund_units += item.qty;
        line
    }

    fn stock_line(&mut self, sku: &str) -> String {
        let level = self.rng.below(300) as i64;
        self.stock.insert(sku.to_string(), Some(level));
        self.ex.skus.entry(sku.to_string()).or_default();
        self.ex.events_applied += 1;
        let ts = self.now - self.rng.below(600_000) as i64;
        format!("{{\"type\":\"stock\",\"ts\":{ts},\"sku\":\"{sku}\",\"level\":{level}}}")
    }

    /// A line that breaks a rule; some carry an id that is valid elsewhere.
    fn bad_line(&mut self) -> String {
        let reuse = self
            .orders
            .last()
            .map_or_else(|| "o0".to_string(), |o| o.id.clone());
        let kind = self.rng.below(8);
        bad_line(kind, &reuse, self.next, self.now)
    }

    fn body(&mut self, stocked_now: &[String], stock_here: &[String]) -> Body {
        let n = 8 + self.rng.below(16) as usize;
        let mut lines: Vec<Option<String>> = Vec::with_capacity(n + stock_here.len());
        let mut valid = 0;
        let mut bad = Vec::new();
        for sku in stock_here {
            lines.push(Some(self.stock_line(sku)));
            valid += 1;
        }
        for _ in 0..n {
            let r = self.rng.f64();
            let line = if r < 0.62 || self.orders.is_empty() {
                let o = self.new_order(stocked_now);
                self.count_order(&o);
                let line = o.line(self.rng.chance(0.1), false);
                self.orders.push(o);
                line
            } else if r < 0.77 {
                // An order sent again: the same content, counted once.
                let o = self.orders[self.rng.below(self.orders.len() as u64) as usize].clone();
                self.count_order(&o);
                o.line(self.rng.chance(0.1), self.rng.chance(0.5))
            } else if r < 0.87 {
                let o = self.orders[self.rng.below(self.orders.len() as u64) as usize].clone();
                let line = self.refund(&o);
                self.refunds.push(line.clone());
                line
            } else if r < 0.90 && !self.refunds.is_empty() {
                self.ex.duplicates += 1;
                self.refunds[self.rng.below(self.refunds.len() as u64) as usize].clone()
            } else if r < 0.94 {
                lines.push(None);
                bad.push(lines.len());
                continue;
            } else if r < 0.96 {
                lines.push(Some(String::new())); // blank: skipped, still numbered
                continue;
            } else {
                // An order and, later in the same body, the same order again.
                let o = self.new_order(stocked_now);
                self.count_order(&o);
                self.count_order(&o);
                let line = o.line(false, false);
                lines.push(Some(line.clone()));
                valid += 1;
                self.orders.push(o);
                line
            };
            lines.push(Some(line));
            valid += 1;
        }
        let text: Vec<String> = lines
            .into_iter()
            .map(|l| l.unwrap_or_else(|| self.bad_line()))
            .collect();
        Body {
            text: text.join("\n"),
            valid,
            bad,
        }
    }
}

/// `rounds` rounds of `per_round` bodies for a sale starting at `starts`,
/// generated at `now` (every event at or before it).
pub fn generate(seed: u64, rounds: usize, per_round: usize, starts: i64, now: i64) -> Load {
    let mut g = Gen {
        rng: Rng::new(seed),
        now,
        starts,
        orders: Vec::new(),
        refunds: Vec::new(),
        next: 0,
        seen: HashSet::new(),
        ex: Expect::default(),
        stock: BTreeMap::new(),
        cost: BTreeMap::new(),
    };
    for k in 1..=SKUS + UNLISTED_SKUS {
        let name = Gen::sku_name(k);
        let configured = k <= SKUS;
        g.stock
            .insert(name.clone(), sku_stock(k).filter(|_| configured));
        g.cost
            .insert(name.clone(), sku_cost(k).filter(|_| configured));
        if configured {
            g.ex.skus.insert(name, SkuFigures::default());
        }
    }
    for (s, c) in STORES {
        g.ex.stores.entry(s.to_string()).or_default();
        g.ex.channels.entry(c.to_string()).or_default();
    }
    let mut out = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        // This round's stock events: three SKUs, one event each, and no
        // new order for them in the round (see the module comment).
        let mut stocked = Vec::new();
        while stocked.len() < 3 {
            let sku = g.any_sku(&stocked);
            stocked.push(sku);
        }
        let at: Vec<usize> = stocked
            .iter()
            .map(|_| g.rng.below(per_round as u64) as usize)
            .collect();
        let mut bodies = Vec::with_capacity(per_round);
        for b in 0..per_round {
            let here: Vec<String> = stocked
                .iter()
                .zip(&at)
                .filter(|(_, i)| **i == b)
                .map(|(s, _)| s.clone())
                .collect();
            bodies.push(g.body(&stocked, &here));
        }
        out.push(bodies);
    }
    for (sku, level) in &g.stock {
        if let Some(f) = g.ex.skus.get_mut(sku) {
            f.stock_left = *level;
        }
    }
    Load {
        rounds: out,
        expect: g.ex,
    }
}
