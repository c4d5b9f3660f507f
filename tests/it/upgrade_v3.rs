//! Upgrades from generation 3: a data directory of checkpoint format 3 and
//! log format 3, written before traffic, spend, regions and campaigns
//! existed, recovers to exactly the figures the build that wrote it
//! showed (its new figures zero and empty), keeps its idempotency keys,
//! takes the new events into a log segment of format 4 after its format-3
//! ones, replays both, and its next checkpoint is format 4 and reads back
//! to the same figures, the new ones included.
//!
//! `tests/data/upgrade-v3/` was written by the last build before log and
//! checkpoint format 4 (its README says how).

use serde_json::{Value, json};
use warroom::engine::{Engine, Reach, State, Wv};

use super::upgrade::{config, copy_of, expected, files_of, keyed_events, open, submit};
use super::upgrade_v2::{assert_same, figures};

const NAME: &str = "upgrade-v3";
/// Minute 2950 of the fixture's sale (day 3, after its last run).
const TS: i64 = 1_794_153_600_000 + 2_950 * 60_000;

/// Traffic, spend and an order's region and campaign, per scope: what
/// `figures` (the fixture's shape) does not show.
fn efficiency(engine: &Engine) -> Value {
    let reach = |r: &Reach| {
        let minutes: Vec<Value> = r
            .minutes
            .to_dense()
            .iter()
            .enumerate()
            .filter(|(_, m)| m.visitors > 0 || m.spend > 0)
            .map(|(i, m)| json!([i, m.visitors, m.spend]))
            .collect();
        json!([r.visitors, r.page_views, r.spend, minutes])
    };
    engine.read(|st: &State, _| {
        json!({
            "sale": reach(&st.sale.reach),
            "channels": st.channels.iter().map(|c| json!([c.id, reach(&c.scope.reach)])).collect::<Vec<_>>(),
            "stores": st.stores.iter().map(|s| json!([s.id, reach(&s.scope.reach)])).collect::<Vec<_>>(),
            "skus": st.skus.iter().map(|k| json!([k.id, k.visitors, k.page_views])).collect::<Vec<_>>(),
            "regions": st.regions.iter().map(|r| json!([r.id, r.gmv, r.orders, r.units, r.buyers])).collect::<Vec<_>>(),
            "campaigns": st.campaigns.iter().map(|c| json!([
                c.id, c.channel, c.gmv, c.orders, c.units, reach(&c.reach),
                c.timeline.to_dense().iter().filter(|m| m.orders > 0).count(),
            ])).collect::<Vec<_>>(),
            "channel_regions": by_key(&st.channel_regions),
            "store_regions": by_key(&st.store_regions),
        })
    })
}

/// A region map as `[key, gmv, orders]` rows in key order.
fn by_key(map: &std::collections::HashMap<u64, Wv, impl std::hash::BuildHasher>) -> Vec<Value> {
    let mut rows: Vec<(u64, Wv)> = map.iter().map(|(k, w)| (*k, *w)).collect();
    rows.sort_by_key(|(k, _)| *k);
    rows.iter()
        .map(|(k, w)| json!([k, w.gmv, w.orders]))
        .collect()
}

/// What a generation-3 directory must show for the new figures: nothing.
fn assert_nothing_new(engine: &Engine) {
    engine.read(|st, _| {
        let none = Reach::default();
        assert_eq!(st.sale.reach, none);
        assert!(st.channels.iter().all(|c| c.scope.reach == none));
        assert!(st.stores.iter().all(|s| s.scope.reach == none));
        assert!(st.skus.iter().all(|k| k.visitors == 0 && k.page_views == 0));
        assert!(st.regions.is_empty() && st.campaigns.is_empty());
        assert!(st.channel_regions.is_empty() && st.store_regions.is_empty());
    });
}

fn new_events() -> Vec<String> {
    [
        r#"{"type":"traffic","id":"tr-1","ts":TS,"store":"s1","sku":"k1","visitors":300,"page_views":900}"#,
        r#"{"type":"traffic","id":"tr-2","ts":TS,"channel":"jd","visitors":120}"#,
        r#"{"type":"traffic","id":"tr-3","ts":TS,"visitors":40}"#,
        r#"{"type":"spend","id":"ad-1","ts":TS,"channel":"tmall","campaign":"直通车","amount":"150.00"}"#,
        r#"{"type":"spend","id":"ad-2","ts":TS,"store":"s2","amount":20}"#,
        r#"{"type":"order","id":"N1","ts":TS,"store":"s1","buyer":"u001","region":"31","campaign":"直通车","items":[{"sku":"k1","qty":2,"price":"99.50"}]}"#,
        r#"{"type":"order","id":"N2","ts":TS,"store":"s8","buyer":"u900","region":"Singapore","items":[{"sku":"k2","qty":1,"price":199}]}"#,
        r#"{"type":"order","id":"N3","ts":TS,"store":"s2","channel":"jd","region":"44","campaign":"京准通","items":[{"sku":"k3","qty":1,"price":"25.5"}]}"#,
    ]
    .iter()
    .map(|l| l.replace("TS", &TS.to_string()))
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_format_3_directory_recovers_exactly_and_moves_to_format_4() {
    let (dir, cfg, want) = (copy_of(NAME), config(NAME), expected(NAME));
    let newest = files_of(dir.path(), "checkpoint-")
        .pop()
        .expect("checkpoint");
    assert!(
        std::fs::read(&newest)
            .expect("read")
            .starts_with(b"WRCP0003")
    );
    let segment = files_of(dir.path(), "wal-").pop().expect("segment");
    assert_eq!(
        &std::fs::read(&segment).expect("segment")[16..24],
        b"WRLG0003"
    );

    let (engine, storage) = open(&cfg, dir.path());
    assert_same(
        &figures(&engine),
        &want,
        "after recovering the v3 directory",
    );
    assert_nothing_new(&engine);

    let ingest = warroom::ingest::Ingest::new(
        engine.clone(),
        std::sync::Arc::new(warroom::metrics::HttpMetrics::default()),
    );
    ingest.attach(warroom::storage::Log::Local(storage.clone()));
    // The new events go to a segment of format 4, after the format-3 ones.
    let new = new_events();
    let reply = submit(&ingest, &new).await;
    assert_eq!(
        (reply.accepted, reply.rejected),
        (new.len(), 0),
        "{:?}",
        reply.errors
    );
    drop(ingest);
    let segment = files_of(dir.path(), "wal-").pop().expect("segment");
    assert_eq!(
        &std::fs::read(&segment).expect("segment")[16..24],
        b"WRLG0004"
    );
    let now = figures(&engine);
    let counted = efficiency(&engine);
    assert_eq!(
        now["events_applied"],
        json!(want["events_applied"].as_u64().expect("events") + new.len() as u64)
    );
    assert_eq!(counted["sale"][0], json!(460), "visitors counted");
    assert_eq!(counted["regions"].as_array().map(Vec::len), Some(3));

    // Stopped without a checkpoint: checkpoint 3, the format-3 tail and
    // the format-4 segment replay to the same figures.
    storage.wal().expect("a local log").close();
    drop((storage, engine));
    let (engine, storage) = open(&cfg, dir.path());
    assert_same(&figures(&engine), &now, "replaying format 3 and 4 segments");
    assert_eq!(efficiency(&engine), counted, "the new figures, replayed");

    // Every order and refund it counted is still known (a batch of
    // duplicates only is not logged: this comes after the replay).
    let ingest = warroom::ingest::Ingest::new(
        engine.clone(),
        std::sync::Arc::new(warroom::metrics::HttpMetrics::default()),
    );
    ingest.attach(warroom::storage::Log::Local(storage.clone()));
    let resent = keyed_events(NAME);
    for chunk in resent.chunks(50) {
        let reply = submit(&ingest, chunk).await;
        assert_eq!(
            (reply.accepted, reply.rejected),
            (0, 0),
            "{:?}",
            reply.errors
        );
        assert_eq!(reply.duplicates, chunk.len());
    }
    drop(ingest);
    let mut now = now;
    let dups = now["duplicates"].as_u64().expect("duplicates") + resent.len() as u64;
    now["duplicates"] = json!(dups);
    assert_same(&figures(&engine), &now, "after re-sending everything");

    // This build's checkpoint is format 4 and holds the new figures.
    storage
        .checkpoint()
        .expect("checkpoint")
        .expect("the log moved");
    let newest = files_of(dir.path(), "checkpoint-")
        .pop()
        .expect("checkpoint");
    assert!(
        std::fs::read(&newest)
            .expect("read")
            .starts_with(b"WRCP0004")
    );
    storage.close();
    drop((storage, engine));
    let (engine, storage) = open(&cfg, dir.path());
    assert_same(&figures(&engine), &now, "after a format 4 checkpoint");
    assert_eq!(
        efficiency(&engine),
        counted,
        "the new figures, from checkpoint 4"
    );
    storage.close();
    drop((storage, engine));
    let offline = warroom::storage::load_readonly(dir.path()).expect("offline read");
    assert_same(&figures(&offline), &now, "read offline after the upgrade");
    assert_eq!(efficiency(&offline), counted, "the new figures, offline");
}

#[test]
fn offline_export_reads_a_format_3_directory() {
    let dir = copy_of(NAME);
    let engine = warroom::storage::load_readonly(dir.path()).expect("offline read");
    assert_same(&figures(&engine), &expected(NAME), "read offline");
    assert_nothing_new(&engine);
}

/// A campaign the config lists but the checkpoint does not hold (every
/// campaign, after an upgrade from format 3; one added to the catalog
/// mid-sale) is there after recovery with its configured channel, which
/// an earlier spend naming another channel does not change (docs/api.md,
/// Events: "A campaign's channel is the one the config gives it").
#[test]
fn configured_campaigns_hold_over_a_checkpoint_without_them() {
    let dir = copy_of(NAME);
    let mut cfg = config(NAME);
    cfg.campaigns.push(warroom::config::CampaignDef {
        id: "京准通".into(),
        channel: Some("jd".into()),
        budget: Some(500_000),
    });
    let (engine, storage) = open(&cfg, dir.path());
    let channel_of = |engine: &Engine| {
        engine.read(|st, _| {
            let k = st
                .campaign_index("京准通")
                .expect("the configured campaign");
            st.campaigns[k]
                .channel
                .and_then(|c| st.channels.get(c as usize))
                .map(|c| c.id.to_string())
        })
    };
    assert_eq!(channel_of(&engine).as_deref(), Some("jd"));
    let line = format!(
        r#"{{"type":"spend","id":"ad-9","ts":{},"channel":"tmall","campaign":"京准通","amount":5}}"#,
        TS - 60_000
    );
    let cur = &cfg.sale.currency;
    let rules = warroom::ingest::Rules::new(cur, TS);
    let parsed = warroom::ingest::parse(line.as_bytes(), false, &rules).expect("parse");
    engine.apply(&parsed.batch);
    assert_eq!(
        channel_of(&engine).as_deref(),
        Some("jd"),
        "the config's channel, whatever the events name"
    );
    storage.close();
}
