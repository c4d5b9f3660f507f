//! Upgrades from generation 2: a data directory whose checkpoints are
//! format 2 (every timeline stored minute by minute from the sale's start)
//! recovers to exactly the figures the build that wrote it showed, per
//! minute included, keeps its idempotency keys, and its next checkpoint is
//! format 3 (timelines stored by the chunks seen), smaller, and reads back
//! to the same figures.
//!
//! `tests/data/upgrade-v2/` was written by the last build before
//! checkpoint format 3 (its README says how): a three-day sale with stores
//! first seen on days 2 and 3.

use serde_json::{Value, json};
use warroom::engine::Engine;
use warroom::views::{self, TimelineRange, TimelineScope};

use super::upgrade::{
    config, copy_of, expected, files_of, keyed_events, open, pick, submit, to_values,
    totals_and_rows,
};

const NAME: &str = "upgrade-v2";
/// `make.py`'s `RUN_MINUTES` and `WINDOW`.
const RUN_MINUTES: [usize; 3] = [0, 1500, 2900];
const WINDOW: usize = 40;
const MINUTE_KEYS: [&str; 5] = ["minute_start", "gmv", "orders", "units", "cumulative_gmv"];

/// The engine's figures in the shape of this fixture's `expected.json`.
fn figures(engine: &Engine) -> Value {
    let cfg = engine.config().clone();
    engine.read(|st, now| {
        let summary = serde_json::to_value(views::summary(st, &cfg, now)).expect("summary");
        let rows = |scope: &TimelineScope, range: TimelineRange| -> Vec<Value> {
            to_values(views::timeline(st, &cfg, now, scope, &range).expect("timeline"))
                .into_iter()
                .filter(|r| r["orders"].as_u64().is_some_and(|o| o > 0))
                .map(|r| pick(&r, &MINUTE_KEYS))
                .collect()
        };
        let mut timelines = serde_json::Map::new();
        for name in ["sale", "channel:douyin", "store:s7", "store:s8"] {
            let scope = TimelineScope::parse(name).expect("scope");
            let windows: Vec<Value> = RUN_MINUTES
                .iter()
                .flat_map(|&m| {
                    let from = m.saturating_sub(10);
                    let range = TimelineRange {
                        from: Some(from),
                        to: Some(from + WINDOW),
                        step: None,
                    };
                    rows(&scope, range)
                })
                .collect();
            timelines.insert(name.into(), Value::Array(windows));
        }
        timelines.insert(
            "sale, whole".into(),
            Value::Array(rows(&TimelineScope::Sale, TimelineRange::default())),
        );
        let mut out = totals_and_rows(st, &cfg, now, &summary);
        out.insert("timelines".into(), Value::Object(timelines));
        Value::Object(out)
    })
}

/// Compares every section `want` has, one by one, so a failure names it.
fn assert_same(got: &Value, want: &Value, when: &str) {
    let sections = want.as_object().expect("expected.json is an object");
    for (key, value) in sections {
        if key == "timelines" {
            for (scope, rows) in value.as_object().expect("timelines") {
                assert_eq!(&got[key][scope], rows, "timeline of {scope} {when}");
            }
        } else {
            assert_eq!(&got[key], value, "{key} {when}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_format_2_directory_recovers_exactly_and_moves_to_format_3() {
    let (dir, cfg, want) = (copy_of(NAME), config(NAME), expected(NAME));
    let old = files_of(dir.path(), "checkpoint-")
        .pop()
        .expect("the fixture's checkpoint");
    let old_size = std::fs::metadata(&old).expect("checkpoint").len();
    assert!(std::fs::read(&old).expect("read").starts_with(b"WRCP0002"));

    let (engine, storage) = open(&cfg, dir.path());
    assert_same(
        &figures(&engine),
        &want,
        "after recovering the v2 directory",
    );

    // Every order and refund it counted is still known.
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
    let mut now = want.clone();
    let dups = want["duplicates"].as_u64().expect("duplicates") + resent.len() as u64;
    now["duplicates"] = json!(dups);
    assert_same(&figures(&engine), &now, "after re-sending everything");

    // This build's checkpoint is format 3, and smaller: the timelines hold
    // the chunks seen, not the zeros from the sale's start.
    storage
        .checkpoint()
        .expect("checkpoint")
        .expect("the log moved");
    let newest = files_of(dir.path(), "checkpoint-")
        .pop()
        .expect("checkpoint");
    let bytes = std::fs::read(&newest).expect("read");
    assert!(
        bytes.starts_with(b"WRCP0003"),
        "written as format 3: {:?}",
        bytes.get(..8)
    );
    assert!(
        (bytes.len() as u64) < old_size / 2,
        "format 3 is {} bytes, format 2 was {old_size}",
        bytes.len()
    );
    storage.close();
    drop((storage, engine));

    let (engine, storage) = open(&cfg, dir.path());
    assert_same(&figures(&engine), &now, "after a format 3 checkpoint");
    storage.close();
    drop((storage, engine));
    let offline = warroom::storage::load_readonly(dir.path()).expect("offline read");
    assert_same(&figures(&offline), &now, "read offline after the upgrade");
}

#[test]
fn offline_export_reads_a_format_2_directory() {
    let dir = copy_of(NAME);
    let engine = warroom::storage::load_readonly(dir.path()).expect("offline read");
    assert_same(&figures(&engine), &expected(NAME), "read offline");
}
