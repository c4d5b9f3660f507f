//! The event mix of `export_reach`: traffic, spend and orders with
//! regions and campaigns over an hour, and the test's own count of them
//! (kept apart from the engine's code: plain maps and sums).

use std::collections::{BTreeMap, HashSet};

use serde_json::json;

use crate::support::{MIN, SALE_TOML};

/// The test sale with budgets: the sale 50,000, tmall 30,000, and the
/// campaign 直通车 in tmall 20,000 (钻展 is not configured).
pub(super) fn sale_toml() -> String {
    SALE_TOML
        .replace(
            "target = \"1000000\"",
            "target = \"1000000\"\nbudget = \"50000\"",
        )
        .replace(
            "target = \"600000\"",
            "target = \"600000\"\nbudget = \"30000\"",
        )
        + "\n[[campaigns]]\nid = \"直通车\"\nchannel = \"tmall\"\nbudget = \"20000\"\n"
}

/// A region as sent, and the id it is kept under.
const REGIONS: &[(&str, &str)] = &[
    ("31", "31"),
    ("上海", "31"),
    ("Shanghai", "31"),
    ("上海市", "31"),
    ("11", "11"),
    ("北京市", "11"),
    ("44", "44"),
    ("广东", "44"),
    ("新加坡", "新加坡"),
    ("=SUM(1)", "=SUM(1)"),
    (" US ", "US"),
];

fn home(store: &str) -> &'static str {
    match store {
        "s1" => "tmall",
        "s2" => "jd",
        _ => "other",
    }
}

#[derive(Default, Debug, Clone, Copy, PartialEq)]
pub(super) struct Fig {
    pub(super) gmv: i64,
    pub(super) orders: u64,
    pub(super) units: u64,
    pub(super) visitors: u64,
    pub(super) page_views: u64,
    pub(super) spend: i64,
}

/// What the test sent, counted its own way.
#[derive(Default)]
pub(super) struct Expect {
    pub(super) total: Fig,
    pub(super) channels: BTreeMap<&'static str, Fig>,
    pub(super) stores: BTreeMap<&'static str, Fig>,
    pub(super) campaigns: BTreeMap<&'static str, Fig>,
    pub(super) regions: BTreeMap<&'static str, (Fig, HashSet<String>)>,
    /// Visitors and spend per minute since `base`.
    pub(super) minutes: Vec<(u64, i64)>,
}

/// Traffic and spend (first body), then orders (second), from `base`
/// over 60 minutes; `Expect` is their independent sum.
pub(super) fn mix(base: i64) -> (String, String, Expect) {
    let mut e = Expect {
        minutes: vec![(0, 0); 60],
        ..Expect::default()
    };
    let mut first = Vec::new();
    for j in 0..90u64 {
        let visitors = 50 + j * 7;
        let minute = (j % 60) as usize;
        let mut ev = json!({"type": "traffic", "id": format!("tr{j}"),
            "ts": base + minute as i64 * MIN + 2000, "visitors": visitors});
        let page_views = if j % 3 == 2 { 0 } else { visitors * 3 };
        if page_views > 0 {
            ev["page_views"] = json!(page_views);
        }
        let add = |f: &mut Fig| {
            f.visitors += visitors;
            f.page_views += page_views;
        };
        match j % 3 {
            0 => {
                ev["store"] = json!("s1");
                add(e.stores.entry("s1").or_default());
                add(e.channels.entry("tmall").or_default());
            }
            1 => {
                ev["channel"] = json!("jd");
                add(e.channels.entry("jd").or_default());
            }
            _ => {}
        }
        add(&mut e.total);
        e.minutes[minute].0 += visitors;
        first.push(ev.to_string());
    }
    for j in 0..30i64 {
        let amount = 10_000 + j * 1234;
        let minute = ((j * 2) % 60) as usize;
        let mut ev = json!({"type": "spend", "id": format!("ad{j}"),
            "ts": base + minute as i64 * MIN + 3000,
            "amount": format!("{}.{:02}", amount / 100, amount % 100)});
        let add = |f: &mut Fig| f.spend += amount;
        match j % 3 {
            0 => {
                ev["channel"] = json!("tmall");
                ev["campaign"] = json!("直通车");
                add(e.channels.entry("tmall").or_default());
                add(e.campaigns.entry("直通车").or_default());
            }
            1 => {
                ev["store"] = json!("s2");
                ev["campaign"] = json!("钻展");
                add(e.stores.entry("s2").or_default());
                add(e.channels.entry("jd").or_default());
                add(e.campaigns.entry("钻展").or_default());
            }
            _ => {}
        }
        add(&mut e.total);
        e.minutes[minute].1 += amount;
        first.push(ev.to_string());
    }
    let mut orders = Vec::new();
    for i in 0..240usize {
        let store = ["s1", "s2", "s3"][i % 3];
        let qty = 1 + (i % 3) as u64;
        let price = 1000 + (i as i64 * 37) % 5000;
        let gmv = qty as i64 * price;
        let buyer = format!("u{}", i % 53);
        let mut ev = json!({"type": "order", "id": format!("o{i}"),
            "ts": base + (i % 60) as i64 * MIN + 1000, "store": store, "buyer": buyer,
            "items": [{"sku": format!("k{}", 1 + i % 4), "qty": qty,
                "price": format!("{}.{:02}", price / 100, price % 100)}]});
        let add = |f: &mut Fig| {
            f.gmv += gmv;
            f.orders += 1;
            f.units += qty;
        };
        if i % 11 != 5 {
            let (sent, kept) = REGIONS[i % REGIONS.len()];
            ev["region"] = json!(sent);
            let r = e.regions.entry(kept).or_default();
            add(&mut r.0);
            r.1.insert(buyer);
        }
        let campaign = match i % 12 {
            0 | 4 | 8 => Some("直通车"),
            1 | 7 => Some("钻展"),
            _ => None,
        };
        if let Some(c) = campaign {
            ev["campaign"] = json!(c);
            add(e.campaigns.entry(c).or_default());
        }
        add(&mut e.total);
        add(e.stores.entry(store).or_default());
        add(e.channels.entry(home(store)).or_default());
        orders.push(ev.to_string());
    }
    (first.join("\n"), orders.join("\n"), e)
}
