//! Property: any split into batches, any order, any duplicates → the same
//! totals, per sale, channel, store and SKU, and the same traffic, spend,
//! region and campaign figures.

use proptest::prelude::*;
use warroom::views::{self, RowSort, SkuSort};

use crate::support::{MIN, START, ingest_at, post, test_config};

#[derive(Debug, Clone)]
struct Ev {
    line: String,
}

/// Regions as orders send them: codes, names in both languages (all
/// normalised to one code) and strings of their own.
const REGIONS: [&str; 6] = ["31", "上海市", "Shanghai", "44", "广东", "Singapore"];
const CAMPAIGNS: [&str; 3] = ["直通车", "京准通", "万相台"];

fn event_strategy() -> impl Strategy<Value = Vec<Ev>> {
    let one = (
        0u8..10,
        0usize..4,
        prop::option::of(0usize..3),
        prop::option::of(0u32..6),
        prop::collection::vec((0usize..5, 1u32..4, 0i64..20_000), 1..4),
        // Past the sale's start too: the per-minute figures, and totals only
        // for what falls before it.
        0i64..(70 * MIN),
        (
            prop::option::of(0usize..REGIONS.len()),
            prop::option::of(0usize..CAMPAIGNS.len()),
            0u64..5000,
        ),
    );
    prop::collection::vec(one, 1..60).prop_map(|evs| {
        evs.into_iter()
            .enumerate()
            .map(|(i, (kind, store, channel, buyer, items, age, (region, campaign, n)))| {
                let ts = START + 60 * MIN - age;
                let channel = channel.map_or(String::new(), |c| format!(r#","channel":"{}""#, ["tmall", "jd", "dy"][c]));
                let campaign = campaign.map_or(String::new(), |c| format!(r#","campaign":"{}""#, CAMPAIGNS[c]));
                let named = if store == 3 { String::new() } else { format!(r#","store":"s{}""#, store + 1) };
                if kind == 8 {
                    let sku = if n % 3 == 0 { format!(r#","sku":"k{}""#, n % 5) } else { String::new() };
                    return Ev {
                        line: format!(
                            r#"{{"type":"traffic","id":"e{i}","ts":{ts}{named}{channel}{sku},"visitors":{n},"page_views":{}}}"#,
                            n * 3
                        ),
                    };
                }
                if kind == 9 {
                    return Ev {
                        line: format!(
                            r#"{{"type":"spend","id":"e{i}","ts":{ts}{named}{channel}{campaign},"amount":"{}.{:02}"}}"#,
                            n / 100,
                            n % 100
                        ),
                    };
                }
                let ty = if kind < 7 { "order" } else { "refund" };
                let store = ["s1", "s2", "s3", "s4"][store];
                let buyer = buyer.map_or(String::new(), |b| format!(r#","buyer":"u{b}""#));
                let region = region.map_or(String::new(), |r| format!(r#","region":"{}""#, REGIONS[r]));
                let items: Vec<String> = items
                    .iter()
                    .map(|(sku, qty, cents)| {
                        format!(r#"{{"sku":"k{sku}","qty":{qty},"price":"{}.{:02}"}}"#, cents / 100, cents % 100)
                    })
                    .collect();
                Ev {
                    line: format!(
                        r#"{{"type":"{ty}","id":"e{i}","ts":{ts},"store":"{store}"{channel}{buyer}{region}{campaign},"items":[{}]}}"#,
                        items.join(",")
                    ),
                }
            })
            .collect()
    })
}

/// Everything order-independent the API shows, as comparable JSON.
fn figures(ingest: &warroom::ingest::Ingest) -> serde_json::Value {
    let cfg = test_config();
    ingest.engine().read(|st, now| {
        let s = views::summary(st, &cfg, now);
        let mut stores = views::store_rows(st, now, RowSort::Gmv, usize::MAX);
        stores.sort_by(|a, b| a.id.cmp(&b.id));
        let mut channels = views::channel_rows(st, &cfg, now, RowSort::Gmv, usize::MAX);
        channels.sort_by(|a, b| a.id.cmp(&b.id));
        let mut skus = views::sku_rows(st, now, SkuSort::Gmv, usize::MAX);
        skus.sort_by(|a, b| a.id.cmp(&b.id));
        // Stock left depends on arrival order at the zero clamp (when k1's
        // stock of 100 runs out), so stock figures are left out here.
        for k in &mut skus {
            k.stock_left = None;
            k.warning = None;
            k.sellout_eta_s = None;
        }
        serde_json::json!({
            "totals": s.totals, "windows": s.windows, "applied": s.events_applied,
            "stores": stores, "channels": channels, "skus": skus,
            "reach": reach(st),
        })
    })
}

/// Traffic, spend, regions and campaigns, by id (first sight decides the
/// rows' order, so they are keyed, not listed).
fn reach(st: &warroom::engine::State) -> serde_json::Value {
    use std::collections::BTreeMap;
    let minutes = |r: &warroom::engine::Reach| {
        (0..r.minutes.end())
            .map(|m| r.minutes.get(m))
            .map(|v| (v.visitors, v.spend))
            .collect::<Vec<_>>()
    };
    let of = |r: &warroom::engine::Reach| (r.visitors, r.page_views, r.spend, minutes(r));
    let regions: BTreeMap<_, _> = st
        .regions
        .iter()
        .map(|r| (r.id.to_string(), (r.gmv, r.orders, r.units, r.buyers)))
        .collect();
    let campaigns: BTreeMap<_, _> = st
        .campaigns
        .iter()
        .map(|c| {
            let channel = c.channel.map(|i| st.channels[i as usize].id.to_string());
            let sales: Vec<_> = (0..c.timeline.end())
                .map(|m| c.timeline.get(m).gmv)
                .collect();
            (
                c.id.to_string(),
                (channel, c.gmv, c.orders, c.units, sales, of(&c.reach)),
            )
        })
        .collect();
    let by_region = |map: &rustc_hash::FxHashMap<u64, warroom::engine::Wv>,
                     ids: &dyn Fn(usize) -> String| {
        map.iter()
            .map(|(k, v)| {
                let region = st.regions[(*k & 0xffff_ffff) as usize].id.to_string();
                (
                    format!("{}/{region}", ids((*k >> 32) as usize)),
                    (v.gmv, v.orders, v.units),
                )
            })
            .collect::<BTreeMap<_, _>>()
    };
    serde_json::json!({
        "sale": of(&st.sale.reach),
        "channels": st.channels.iter().map(|c| (c.id.to_string(), of(&c.scope.reach))).collect::<BTreeMap<_, _>>(),
        "stores": st.stores.iter().map(|s| (s.id.to_string(), of(&s.scope.reach))).collect::<BTreeMap<_, _>>(),
        "skus": st.skus.iter().map(|k| (k.id.to_string(), (k.visitors, k.page_views))).collect::<BTreeMap<_, _>>(),
        "regions": regions,
        "campaigns": campaigns,
        "channel_regions": by_region(&st.channel_regions, &|i| st.channels[i].id.to_string()),
        "store_regions": by_region(&st.store_regions, &|i| st.stores[i].id.to_string()),
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn batching_order_and_duplicates_do_not_change_totals(
        events in event_strategy(),
        dup_picks in prop::collection::vec(any::<prop::sample::Index>(), 0..30),
        shuffle_seed in any::<u64>(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let now = START + 60 * MIN;
        // Reference: each event once, in order, one batch.
        let (reference, _c) = ingest_at(now);
        let all: Vec<&str> = events.iter().map(|e| e.line.as_str()).collect();
        let r = post(&reference, &all.join("\n"));
        prop_assert_eq!(r.accepted, events.len());

        // Candidate: events plus duplicates, shuffled, split into batches.
        let mut stream: Vec<&str> = all.clone();
        for d in &dup_picks {
            stream.push(all[d.index(all.len())]);
        }
        let mut rng = warroom::sim::Rng::new(shuffle_seed);
        for i in (1..stream.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            stream.swap(i, j);
        }
        let mut bounds: Vec<usize> = cuts.iter().map(|c| c.index(stream.len() + 1)).collect();
        bounds.push(0);
        bounds.push(stream.len());
        bounds.sort_unstable();
        let (candidate, _c) = ingest_at(now);
        let (mut accepted, mut duplicates) = (0, 0);
        for w in bounds.windows(2) {
            if w[0] == w[1] { continue; }
            let r = post(&candidate, &stream[w[0]..w[1]].join("\n"));
            accepted += r.accepted;
            duplicates += r.duplicates;
        }
        prop_assert_eq!(accepted, events.len());
        prop_assert_eq!(duplicates, dup_picks.len());
        prop_assert_eq!(figures(&reference), figures(&candidate));
    }
}

fn line_strategy() -> impl Strategy<Value = Vec<u8>> {
    let valid = (0u32..1000).prop_map(|i| {
        format!(r#"{{"type":"order","id":"v{i}","store":"s1","items":[{{"sku":"k1","qty":1,"price":"1.50"}}]}}"#).into_bytes()
    });
    let flipped = (0u32..1000, prop::collection::vec((0usize..90, any::<u8>()), 1..4)).prop_map(|(i, flips)| {
        let mut l = format!(r#"{{"type":"refund","id":"f{i}","store":"s2","items":[{{"sku":"k2","qty":2,"price":3}}]}}"#).into_bytes();
        for (at, b) in flips {
            let at = at % l.len();
            l[at] = b;
        }
        l
    });
    let noise = prop::collection::vec(any::<u8>(), 0..120);
    prop_oneof![valid, flipped, noise]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any bytes as a body: no panic; every non-blank line is accounted for
    /// (accepted, duplicate or rejected) unless the whole body is refused;
    /// and the state moves by exactly what was accepted.
    #[test]
    fn arbitrary_bodies_never_panic_and_change_only_what_they_accept(
        lines in prop::collection::vec(line_strategy(), 0..30),
        json in any::<bool>(),
    ) {
        let body: Vec<u8> = lines.join(&b"\n"[..]);
        let (ingest, _clock) = ingest_at(START + 60 * MIN);
        let before = ingest.engine().read(|st, _| (st.events_applied, st.sale.counters));
        let content_type = if json { "application/json" } else { "application/x-ndjson" };
        match ingest.submit(&body, Some(content_type)) {
            Ok(s) => {
                let r = s.reply;
                let (applied, _) = ingest.engine().read(|st, _| (st.events_applied, st.sale.counters));
                prop_assert_eq!(applied - before.0, r.accepted as u64);
                if !json && !body.starts_with(b"[") {
                    let non_blank = body.split(|&b| b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace)).count();
                    prop_assert_eq!(r.accepted + r.duplicates + r.rejected, non_blank);
                }
                prop_assert!(r.errors.len() <= 100);
            }
            Err(_) => {
                let after = ingest.engine().read(|st, _| (st.events_applied, st.sale.counters));
                prop_assert_eq!(before, after, "a refused body changes nothing");
            }
        }
    }
}
