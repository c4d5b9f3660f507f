//! The test's own sale: a deterministic generator of mixed event lines,
//! and the figures they should give, counted in plain maps from the lines
//! themselves (docs/api.md's rules, written out again; no engine code).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::{Value, json};

use crate::support::{MIN, START};

/// xorshift64*: the same sale every run.
pub struct Rng(pub u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Regions as sent, and the id each must be kept under (docs/api.md, Regions).
const REGIONS: &[(&str, &str)] = &[
    ("31", "31"),
    ("上海", "31"),
    ("上海市", "31"),
    ("Shanghai", "31"),
    ("shanghai", "31"),
    ("44", "44"),
    ("广东", "44"),
    ("广东省", "44"),
    ("Guangdong", "44"),
    ("11", "11"),
    ("北京", "11"),
    ("Beijing", "11"),
    ("HK", "81"),
    ("香港", "81"),
    ("US", "US"),
    ("新加坡", "新加坡"),
    (" Singapore ", "Singapore"),
];
const STORES: &[&str] = &["s1", "s2", "s3"];
const CHANNELS: &[&str] = &["tmall", "jd", "douyin"];
const CAMPAIGNS: &[&str] = &["直通车", "钻展", "抖音ads"];
const SKUS: &[&str] = &["k1", "k2", "k3"];

/// A store's home channel: configured, else `other`.
fn home(store: &str) -> &'static str {
    match store {
        "s1" => "tmall",
        "s2" => "jd",
        _ => "other",
    }
}

fn ts(rng: &mut Rng) -> i64 {
    if rng.chance(5) {
        START - 1 - rng.below(10 * MIN as u64) as i64
    } else {
        START + rng.below(90 * MIN as u64) as i64
    }
}

fn money(rng: &mut Rng) -> (Value, i64) {
    let cents = 100 + rng.below(19_900) as i64;
    if cents % 100 == 0 && rng.chance(50) {
        (json!(cents / 100), cents)
    } else {
        (json!(format!("{}.{:02}", cents / 100, cents % 100)), cents)
    }
}

/// Where a traffic or spend event names: store, channel, both or neither.
fn place(rng: &mut Rng, e: &mut Value) {
    match rng.below(4) {
        0 => e["store"] = json!(rng.pick(STORES)),
        1 => e["channel"] = json!(rng.pick(CHANNELS)),
        2 => {
            e["store"] = json!(rng.pick(STORES));
            e["channel"] = json!(rng.pick(CHANNELS));
        }
        _ => {}
    }
}

/// About 900 lines: orders, refunds, traffic, spend, and resends.
pub fn generate(rng: &mut Rng) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for i in 0..850 {
        if i > 50 && rng.chance(5) {
            let again = lines[rng.below(lines.len() as u64) as usize].clone();
            lines.push(again);
            continue;
        }
        let mut e = match rng.below(10) {
            0..=4 => {
                let items: Vec<Value> = (0..1 + rng.below(3))
                    .map(|_| {
                        let (price, _) = money(rng);
                        json!({"sku": rng.pick(SKUS), "qty": 1 + rng.below(3), "price": price})
                    })
                    .collect();
                let mut e = json!({"type": "order", "id": format!("o{i}"), "ts": ts(rng),
                                   "store": rng.pick(STORES), "items": items});
                if rng.chance(90) {
                    e["buyer"] = json!(format!("u{}", rng.below(50)));
                }
                if rng.chance(25) {
                    e["channel"] = json!(rng.pick(CHANNELS));
                }
                if rng.chance(75) {
                    e["region"] = json!(rng.pick(REGIONS).0);
                }
                if rng.chance(40) {
                    e["campaign"] = json!(rng.pick(CAMPAIGNS));
                }
                e
            }
            5 => {
                let (price, _) = money(rng);
                // Refunds ignore region and campaign.
                json!({"type": "refund", "id": format!("r{i}"), "ts": ts(rng),
                       "store": rng.pick(STORES), "region": "31", "campaign": "直通车",
                       "items": [{"sku": rng.pick(SKUS), "qty": 1, "price": price}]})
            }
            6..=7 => {
                let mut e = json!({"type": "traffic", "id": format!("t{i}"), "ts": ts(rng),
                                   "visitors": rng.below(500)});
                place(rng, &mut e);
                if rng.chance(60) {
                    e["page_views"] = json!(rng.below(2000));
                }
                if rng.chance(30) {
                    e["sku"] = json!(rng.pick(SKUS));
                }
                e
            }
            _ => {
                let (amount, _) = money(rng);
                let mut e = json!({"type": "spend", "id": format!("a{i}"), "ts": ts(rng),
                                   "amount": amount});
                place(rng, &mut e);
                if rng.chance(60) {
                    e["campaign"] = json!(rng.pick(CAMPAIGNS));
                }
                e
            }
        };
        if e["ts"].as_i64().is_none() {
            e["ts"] = json!(START);
        }
        lines.push(e.to_string());
    }
    lines
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Figures {
    pub gmv: i64,
    pub orders: u64,
    pub visitors: u64,
    pub page_views: u64,
    pub spend: i64,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Minute {
    pub visitors: u64,
    pub spend: i64,
    pub gmv: i64,
    pub orders: u64,
}

#[derive(Debug, Default, Clone)]
pub struct RegionFig {
    pub gmv: i64,
    pub orders: u64,
    pub buyers: BTreeSet<String>,
}

#[derive(Debug, Default, Clone)]
pub struct CampaignFig {
    pub channel: Option<String>,
    pub spend: i64,
    pub gmv: i64,
    pub orders: u64,
}

type Minutes = BTreeMap<i64, Minute>;

#[derive(Debug, Default)]
pub struct Expected {
    pub accepted: u64,
    pub duplicates: u64,
    pub sale: Figures,
    pub channels: BTreeMap<String, Figures>,
    pub stores: BTreeMap<String, Figures>,
    pub sku_visits: BTreeMap<String, (u64, u64)>,
    pub regions: BTreeMap<String, RegionFig>,
    pub channel_regions: BTreeMap<String, BTreeMap<String, RegionFig>>,
    pub store_regions: BTreeMap<String, BTreeMap<String, RegionFig>>,
    pub campaigns: BTreeMap<String, CampaignFig>,
    pub sale_minutes: Minutes,
    pub channel_minutes: BTreeMap<String, Minutes>,
    pub store_minutes: BTreeMap<String, Minutes>,
}

fn region_of(sent: &str) -> String {
    REGIONS
        .iter()
        .find(|(s, _)| *s == sent)
        .map(|(_, id)| id.to_string())
        .unwrap_or_else(|| sent.trim().to_string())
}

fn add_region(map: &mut BTreeMap<String, RegionFig>, id: &str, gmv: i64, buyer: Option<&str>) {
    let r = map.entry(id.to_string()).or_default();
    r.gmv += gmv;
    r.orders += 1;
    if let Some(b) = buyer {
        r.buyers.insert(b.to_string());
    }
}

impl Expected {
    pub fn of(lines: &[String]) -> Expected {
        let mut x = Expected::default();
        for id in ["tmall", "jd"] {
            x.channels.insert(id.into(), Figures::default());
        }
        for id in ["s1", "s2"] {
            x.stores.insert(id.into(), Figures::default());
        }
        x.campaigns.insert(
            "直通车".into(),
            CampaignFig {
                channel: Some("tmall".into()),
                ..CampaignFig::default()
            },
        );
        let mut seen = HashSet::new();
        for line in lines {
            let e: Value = serde_json::from_str(line).expect("generated JSON");
            let kind = e["type"].as_str().unwrap_or_default().to_string();
            if !seen.insert((kind.clone(), e["id"].to_string())) {
                x.duplicates += 1;
                continue;
            }
            x.accepted += 1;
            x.apply(&kind, &e);
        }
        x
    }

    /// The store and channel an event counts in, creating them (a store
    /// first seen goes to `other`).
    fn scopes(&mut self, e: &Value) -> (Option<String>, Option<String>) {
        let store = e["store"].as_str().map(str::to_string);
        if let Some(s) = &store {
            self.stores.entry(s.clone()).or_default();
            self.channels.entry(home(s).into()).or_default();
        }
        let channel = match (e["channel"].as_str(), &store) {
            (Some(c), _) => Some(c.to_string()),
            (None, Some(s)) => Some(home(s).to_string()),
            (None, None) => None,
        };
        if let Some(c) = &channel {
            self.channels.entry(c.clone()).or_default();
        }
        (store, channel)
    }

    fn apply(&mut self, kind: &str, e: &Value) {
        let ts = e["ts"].as_i64().unwrap_or(START);
        let minute = (ts >= START).then_some((ts - START) / MIN);
        let (store, channel) = self.scopes(e);
        let each = |x: &mut Expected, f: &dyn Fn(&mut Figures), m: &dyn Fn(&mut Minute)| {
            f(&mut x.sale);
            if let Some(mi) = minute {
                m(x.sale_minutes.entry(mi).or_default());
            }
            if let Some(s) = &store {
                f(x.stores.entry(s.clone()).or_default());
                if let Some(mi) = minute {
                    m(x.store_minutes
                        .entry(s.clone())
                        .or_default()
                        .entry(mi)
                        .or_default());
                }
            }
            if let Some(c) = &channel {
                f(x.channels.entry(c.clone()).or_default());
                if let Some(mi) = minute {
                    m(x.channel_minutes
                        .entry(c.clone())
                        .or_default()
                        .entry(mi)
                        .or_default());
                }
            }
        };
        match kind {
            "order" => {
                let gmv: i64 = e["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|it| it["qty"].as_i64().unwrap_or(0) * cents(&it["price"]))
                    .sum();
                each(
                    self,
                    &|f| {
                        f.gmv += gmv;
                        f.orders += 1;
                    },
                    &|m| {
                        m.gmv += gmv;
                        m.orders += 1;
                    },
                );
                let (s, c) = (
                    store.clone().unwrap_or_default(),
                    channel.clone().unwrap_or_default(),
                );
                if let Some(r) = e["region"].as_str().map(region_of) {
                    let buyer = e["buyer"].as_str();
                    add_region(&mut self.regions, &r, gmv, buyer);
                    add_region(
                        self.channel_regions.entry(c.clone()).or_default(),
                        &r,
                        gmv,
                        None,
                    );
                    add_region(self.store_regions.entry(s).or_default(), &r, gmv, None);
                }
                if let Some(k) = e["campaign"].as_str() {
                    let camp = self.campaigns.entry(k.into()).or_default();
                    camp.gmv += gmv;
                    camp.orders += 1;
                    camp.channel.get_or_insert(c);
                }
            }
            "traffic" => {
                let v = e["visitors"].as_u64().unwrap_or(0);
                let pv = e["page_views"].as_u64().unwrap_or(0);
                each(
                    self,
                    &|f| {
                        f.visitors += v;
                        f.page_views += pv;
                    },
                    &|m| m.visitors += v,
                );
                if let Some(k) = e["sku"].as_str() {
                    let s = self.sku_visits.entry(k.into()).or_default();
                    s.0 += v;
                    s.1 += pv;
                }
            }
            "spend" => {
                let amount = cents(&e["amount"]);
                each(self, &|f| f.spend += amount, &|m| m.spend += amount);
                if let Some(k) = e["campaign"].as_str() {
                    let camp = self.campaigns.entry(k.into()).or_default();
                    camp.spend += amount;
                    if camp.channel.is_none() {
                        camp.channel = channel;
                    }
                }
            }
            _ => {}
        }
    }
}

/// A generated price or amount (an integer of yuan or "y.ff") in fen.
fn cents(v: &Value) -> i64 {
    match v {
        Value::Number(n) => n.as_i64().unwrap_or(0) * 100,
        Value::String(s) => {
            let (y, f) = s.split_once('.').unwrap_or((s, "0"));
            y.parse::<i64>().unwrap_or(0) * 100 + f.parse::<i64>().unwrap_or(0)
        }
        _ => 0,
    }
}
