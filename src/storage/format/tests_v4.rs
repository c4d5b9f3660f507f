//! Checkpoint format 4 against the engine: a sale with every kind of
//! event (traffic and spend naming a store, a channel, both or neither;
//! orders with regions and campaigns, inside and outside the sale) goes
//! to bytes and back to the same state; formats 2 and 3 read with the new
//! parts empty; indices that name rows that do not exist are refused by
//! name.

use std::path::Path;

use super::checkpoint::{Checkpoint, frame};
use super::checkpoint_v2::StateV2;
use super::checkpoint_v3::StateV3;
use super::checkpoint_v4::StateV4;
use crate::config::Config;
use crate::engine::State;
use crate::ingest::{Rules, parse};

const SALE: &str = r#"
[sale]
name = "v4"
currency = "CNY"
timezone = "Asia/Shanghai"
starts = "2026-11-11T00:00:00+08:00"
ends = "2026-11-12T00:00:00+08:00"

[[stores]]
id = "s1"
channel = "tmall"

[[campaigns]]
id = "直通车"
channel = "tmall"
"#;
/// Minute 10 of the sale.
const AT: i64 = 1_794_326_400_000 + 600_000;

fn config() -> Config {
    crate::config::parse_str(SALE, "v4.toml", Path::new(".")).expect("valid")
}

fn apply(st: &mut State, cfg: &Config, lines: &[String]) {
    let body = lines.join("\n");
    let rules = Rules::new(&cfg.sale.currency, AT + 3_600_000);
    let parsed = parse(body.as_bytes(), false, &rules).expect("parse");
    assert_eq!(parsed.batch.len(), lines.len(), "every line accepted");
    st.apply(&parsed.batch, &cfg.sale, AT, None);
}

/// Every attribution case of `engine::efficiency`, at two minutes of the
/// sale (two chunks apart) and once before it.
fn mixed(cfg: &Config) -> State {
    let mut st = State::new(cfg);
    let mut lines = Vec::new();
    for (n, ts) in [AT, AT + 40 * 60_000, AT - 3_600_000]
        .into_iter()
        .enumerate()
    {
        lines.extend([
            format!(r#"{{"type":"traffic","id":"t{n}a","ts":{ts},"store":"s1","sku":"k1","visitors":100,"page_views":400}}"#),
            format!(r#"{{"type":"traffic","id":"t{n}b","ts":{ts},"channel":"jd","visitors":50}}"#),
            format!(r#"{{"type":"traffic","id":"t{n}c","ts":{ts},"store":"s2","channel":"jd","visitors":5,"page_views":9}}"#),
            format!(r#"{{"type":"traffic","id":"t{n}d","ts":{ts},"visitors":7}}"#),
            format!(r#"{{"type":"spend","id":"a{n}a","ts":{ts},"campaign":"直通车","amount":"120.00"}}"#),
            format!(r#"{{"type":"spend","id":"a{n}b","ts":{ts},"store":"s1","amount":30}}"#),
            format!(r#"{{"type":"spend","id":"a{n}c","ts":{ts},"channel":"jd","campaign":"京准通","amount":10}}"#),
            format!(r#"{{"type":"spend","id":"a{n}d","ts":{ts},"amount":"0.01"}}"#),
            format!(r#"{{"type":"order","id":"o{n}a","ts":{ts},"store":"s1","buyer":"b1","region":"31","campaign":"直通车","items":[{{"sku":"k1","qty":2,"price":50}}]}}"#),
            format!(r#"{{"type":"order","id":"o{n}b","ts":{ts},"store":"s2","buyer":"b2","region":"Singapore","campaign":"抖音","items":[{{"sku":"k2","qty":1,"price":5}}]}}"#),
            format!(r#"{{"type":"order","id":"o{n}c","ts":{ts},"store":"s1","channel":"jd","buyer":"b3","region":"44","items":[{{"sku":"k1","qty":1,"price":20}}]}}"#),
            format!(r#"{{"type":"refund","id":"r{n}","ts":{ts},"store":"s1","items":[{{"sku":"k1","qty":1,"price":50}}]}}"#),
        ]);
    }
    apply(&mut st, cfg, &lines);
    st
}

/// The war-room log: two notes (one with an author), a third deleted.
fn with_notes(mut st: State, cfg: &Config) -> State {
    let mut notes = crate::event::Batch::default();
    for (id, author) in [(1u64, Some("值班")), (2, None), (3, None)] {
        let body = crate::note::NoteBody {
            text: format!("note {id} 切换备用"),
            scope: crate::note::NoteScope::Store("s1".into()),
            author: author.map(str::to_string),
        };
        let id = crate::note::NoteId(id);
        notes.events.push(crate::event::Event::note(id, AT, body));
    }
    let gone = crate::note::NoteId(3);
    notes
        .events
        .push(crate::event::Event::note_deleted(gone, AT));
    st.apply(&notes, &cfg.sale, AT, None);
    st
}

#[test]
fn a_mixed_sale_round_trips_through_format_4() {
    let cfg = config();
    let st = with_notes(mixed(&cfg), &cfg);
    // What the test relies on was counted.
    assert!(st.sale.reach.minutes.chunks() == 2 && st.sale.reach.spend > 0);
    assert_eq!((st.regions.len(), st.campaigns.len()), (3, 3));
    assert!(st.campaigns.iter().all(|c| c.channel.is_some()));
    assert!(!st.channel_regions.is_empty() && !st.store_regions.is_empty());

    let want = StateV4::from(st.clone());
    let bytes = Checkpoint::of(9, st.clone()).encode().expect("encode");
    assert!(bytes.starts_with(b"WRCP0004"));
    let cp = Checkpoint::decode(&bytes).expect("decode");
    assert_eq!(cp.body, want);
    let mut back = cp.into_state().expect("state");

    // Field by field, the new parts.
    assert_eq!(back.sale.reach, st.sale.reach);
    for (b, s) in back.channels.iter().zip(&st.channels) {
        assert_eq!(b.scope.reach, s.scope.reach, "channel {}", s.id);
    }
    for (b, s) in back.stores.iter().zip(&st.stores) {
        assert_eq!(b.scope.reach, s.scope.reach, "store {}", s.id);
    }
    let visits = |s: &State| -> Vec<(u64, u64)> {
        s.skus.iter().map(|k| (k.visitors, k.page_views)).collect()
    };
    assert_eq!(visits(&back), visits(&st));
    assert_eq!(back.regions, st.regions);
    assert_eq!(back.notes.list(), st.notes.list());
    assert_eq!((back.notes.len(), back.notes.rev()), (2, 4));
    assert_eq!(back.channel_regions, st.channel_regions);
    assert_eq!(back.store_regions, st.store_regions);
    for (b, s) in back.campaigns.iter().zip(&st.campaigns) {
        assert_eq!(
            (&b.id, b.channel, b.gmv, b.orders, b.units),
            (&s.id, s.channel, s.gmv, s.orders, s.units)
        );
        assert_eq!((&b.timeline, &b.reach), (&s.timeline, &s.reach));
    }
    assert_eq!(StateV4::from(back.clone()), want, "and the whole body");

    // The restored state goes on counting as the original does: its
    // interners and region buyers are whole.
    back.reindex();
    let mut st = st;
    let more = [
        format!(
            r#"{{"type":"order","id":"o9","ts":{AT},"store":"s2","buyer":"b1","region":"31","campaign":"京准通","items":[{{"sku":"k2","qty":1,"price":7}}]}}"#
        ),
        format!(
            r#"{{"type":"order","id":"o8","ts":{AT},"store":"s1","buyer":"b2","region":"Singapore","items":[{{"sku":"k1","qty":1,"price":7}}]}}"#
        ),
        format!(r#"{{"type":"spend","id":"a9","ts":{AT},"campaign":"直通车","amount":1}}"#),
    ];
    apply(&mut st, &cfg, &more);
    apply(&mut back, &cfg, &more);
    assert_eq!(back.regions.len(), 3, "no region made twice");
    assert_eq!(StateV4::from(back), StateV4::from(st));
}

/// Formats 2 and 3 hold no traffic, spend, regions, campaigns or SKU
/// price hours: they read with those empty and everything else as written.
#[test]
fn formats_2_and_3_read_with_the_new_parts_empty() {
    let cfg = config();
    let st = mixed(&cfg);
    let orders_only = |st: &State| {
        let mut b = StateV4::from(st.clone());
        // Nor the days around the sale or the channels' and stores' peaks.
        b.periods = Default::default();
        b.shape = Default::default();
        b.regions.clear();
        b.campaigns.clear();
        b.region_buyers.shards.iter_mut().for_each(|s| s.clear());
        b.channel_regions.clear();
        b.store_regions.clear();
        for sku in &mut b.skus {
            (sku.visitors, sku.page_views) = (0, 0);
        }
        let none = super::checkpoint_v4::ReachV4::default();
        b.prices = Default::default();
        b.sale.reach = none.clone();
        b.channels
            .iter_mut()
            .for_each(|c| c.scope.reach = none.clone());
        b.stores
            .iter_mut()
            .for_each(|s| s.scope.reach = none.clone());
        b
    };
    let want = orders_only(&st);
    let v3 = frame(3, 5, &StateV3::from(st.clone())).expect("format 3");
    let v2 = frame(2, 5, &StateV2::from(st.clone())).expect("format 2");
    for bytes in [v3, v2] {
        let cp = Checkpoint::decode(&bytes).expect("decode");
        assert_eq!(cp.lsn, 5);
        assert_eq!(cp.body, want, "{:?}", &bytes[..8]);
    }
}

/// A checksum proves the bytes are what was written, not that they make
/// sense: rows named by index must exist, and a campaign's timelines are
/// checked like a scope's.
#[test]
fn indices_beyond_the_rows_are_refused_by_name() {
    let cfg = config();
    let body = StateV4::from(mixed(&cfg));
    let refused = |tamper: &dyn Fn(&mut StateV4)| -> String {
        let mut b = body.clone();
        tamper(&mut b);
        let bytes = frame(4, 1, &b).expect("encode");
        Checkpoint::decode(&bytes)
            .and_then(Checkpoint::into_state)
            .expect_err("refused")
            .to_string()
    };
    let channels = body.channels.len() as u32;
    let msg = refused(&|b| b.campaigns[0].channel = Some(channels));
    assert_eq!(
        msg,
        format!("cannot decode: campaign 直通车 names channel {channels} of {channels}")
    );
    let msg = refused(&|b| b.channel_regions[0].0 |= 9);
    assert!(msg.contains("a channel's region 0x"), "{msg}");
    let msg = refused(&|b| {
        b.store_regions
            .push((u64::from(u32::MAX) << 32, Default::default()))
    });
    assert!(msg.contains("a store's region 0xffffffff00000000"), "{msg}");
    let msg = refused(&|b| {
        b.region_buyers.shards[0].insert(7 << 32);
    });
    assert!(msg.contains("a region's buyer 0x700000000"), "{msg}");
    let msg = refused(&|b| b.campaigns[0].reach.minutes.end = 0);
    assert_eq!(
        msg,
        "cannot decode: campaign 直通车's traffic and spend timeline: ends at minute 0, before its chunk 1 starts"
    );
    let msg = refused(&|b| b.stores[0].scope.reach.minutes.chunks.swap(0, 1));
    assert!(
        msg.starts_with(
            "cannot decode: store s1's traffic and spend timeline: chunk 0 comes after chunk 1"
        ),
        "{msg}"
    );
}
