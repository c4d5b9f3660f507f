//! Property: any split into batches, any order, any duplicates → the same
//! totals, per sale, channel, store and SKU.

use proptest::prelude::*;
use warroom::views::{self, RowSort, SkuSort};

use crate::support::{MIN, START, ingest_at, post, test_config};

#[derive(Debug, Clone)]
struct Ev {
    line: String,
}

fn event_strategy() -> impl Strategy<Value = Vec<Ev>> {
    let one = (
        prop::bool::weighted(0.8),
        0usize..4,
        prop::option::of(0usize..3),
        prop::option::of(0u32..6),
        prop::collection::vec((0usize..5, 1u32..4, 0i64..20_000), 1..4),
        0i64..(14 * MIN),
    );
    prop::collection::vec(one, 1..60).prop_map(|evs| {
        evs.into_iter()
            .enumerate()
            .map(|(i, (is_order, store, channel, buyer, items, age))| {
                let ty = if is_order { "order" } else { "refund" };
                let store = ["s1", "s2", "s3", "s4"][store];
                let channel = channel.map_or(String::new(), |c| format!(r#","channel":"{}""#, ["tmall", "jd", "dy"][c]));
                let buyer = buyer.map_or(String::new(), |b| format!(r#","buyer":"u{b}""#));
                let items: Vec<String> = items
                    .iter()
                    .map(|(sku, qty, cents)| {
                        format!(r#"{{"sku":"k{sku}","qty":{qty},"price":"{}.{:02}"}}"#, cents / 100, cents % 100)
                    })
                    .collect();
                let ts = START + 60 * MIN - age;
                Ev {
                    line: format!(
                        r#"{{"type":"{ty}","id":"e{i}","ts":{ts},"store":"{store}"{channel}{buyer},"items":[{}]}}"#,
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
        })
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
