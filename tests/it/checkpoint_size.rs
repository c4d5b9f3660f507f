//! A checkpoint is bounded by what was seen, not by the calendar: stores
//! that each sold once on day 30 of a 31-day sale cost a checkpoint one
//! timeline chunk each (about 100 bytes), where format 2 stored 43,000
//! minutes of zeros per store (129 kB each, tens of GB at the default cap
//! of 50,000 stores). Real files: written by `Storage::checkpoint`, read
//! back by a cold start and by the offline reader.

use std::sync::Arc;

use serde_json::{Value, json};
use warroom::clock::ManualClock;
use warroom::config::Config;
use warroom::engine::Engine;
use warroom::ingest::Ingest;
use warroom::metrics::HttpMetrics;
use warroom::storage::{Log, Opening, Storage};
use warroom::views::{self, RowSort, TimelineRange, TimelineScope};

use super::upgrade::{files_of, submit};

/// Stores first seen late in the sale, one order each.
const STORES: usize = 2_000;
/// 2025-01-01T00:00:00+08:00.
const STARTS_MS: i64 = 1_735_660_800_000;
/// Day 30, 12:00: minute 43,200 − 720 of the sale.
const LATE_MS: i64 = STARTS_MS + (29 * 24 + 12) * 3_600_000;

fn long_sale(dir: &std::path::Path) -> Config {
    let text = r#"
[sale]
name = "A month-long sale"
currency = "CNY"
timezone = "Asia/Shanghai"
starts = "2025-01-01T00:00:00+08:00"
ends = "2025-02-01T00:00:00+08:00"

[storage]
fsync = "always"
checkpoint_every = 86400
"#;
    warroom::config::parse_str(text, "long.toml", dir).expect("config")
}

fn open(cfg: &Config, dir: &std::path::Path) -> (Engine, Storage) {
    // Today, long after the sale, like the offline reader's clock: the
    // figures compared do not depend on which of the two reads them.
    let today = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    let clock = ManualClock::new(today);
    let engine = Engine::new(Arc::new(cfg.clone()), Arc::new(clock));
    let (storage, _) = Storage::open(&cfg.storage, dir, engine.clone(), Opening::default())
        .expect("open the data directory");
    (engine, storage)
}

/// Totals, every store's row, and each store's minute on day 30.
fn figures(engine: &Engine) -> Value {
    let cfg = engine.config().clone();
    let minute = ((LATE_MS - STARTS_MS) / 60_000) as usize;
    engine.read(|st, now| {
        let stores = views::store_rows(st, now, RowSort::Gmv, usize::MAX);
        let mut rows = serde_json::to_value(&stores).expect("rows");
        let minutes: Vec<Value> = (0..STORES)
            .step_by(97)
            .map(|i| {
                let scope = TimelineScope::Store(format!("late-{i}"));
                let range = TimelineRange {
                    from: Some(minute - 1),
                    to: Some(minute + 2),
                    step: None,
                };
                serde_json::to_value(views::timeline(st, &cfg, now, &scope, &range).expect("timeline"))
                    .expect("timeline rows")
            })
            .collect();
        let sale = views::timeline(st, &cfg, now, &TimelineScope::Sale, &TimelineRange::default())
            .expect("sale timeline");
        json!({
            "summary": serde_json::to_value(views::summary(st, &cfg, now)).expect("summary")["totals"],
            "stores": rows.take(),
            "store minutes": minutes,
            "sale": serde_json::to_value(sale).expect("sale rows"),
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stores_first_seen_late_in_a_long_sale_make_a_small_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = long_sale(dir.path());
    let data = dir.path().join("data");
    let (engine, storage) = open(&cfg, &data);
    let ingest = Ingest::new(engine.clone(), Arc::new(HttpMetrics::default()));
    ingest.attach(Log::Local(storage.clone()));
    let lines: Vec<String> = (0..STORES)
        .map(|i| {
            format!(
                r#"{{"type":"order","id":"o{i}","ts":{},"store":"late-{i}","items":[{{"sku":"k1","qty":1,"price":"9.90"}}]}}"#,
                LATE_MS + i as i64 * 1_000
            )
        })
        .collect();
    for chunk in lines.chunks(500) {
        assert_eq!(submit(&ingest, chunk).await.accepted, chunk.len());
    }
    let want = figures(&engine);
    assert_eq!(want["summary"]["orders"], json!(STORES));
    drop(ingest);

    storage
        .checkpoint()
        .expect("checkpoint")
        .expect("the log moved");
    let file = files_of(&data, "checkpoint-").pop().expect("a checkpoint");
    let size = std::fs::metadata(&file).expect("checkpoint").len() as usize;
    // Per store: its rows of one-second and ten-second buckets (~450 bytes
    // of zeros), counters, id, and one timeline chunk (~100 bytes).
    assert!(
        size < STORES * 1_024,
        "{size} bytes for {STORES} stores: {} a store",
        size / STORES
    );
    storage.close();
    drop((storage, engine));

    let (engine, storage) = open(&cfg, &data);
    assert!(figures(&engine) == want, "a cold start from the checkpoint");
    storage.close();
    drop((storage, engine));
    let offline = warroom::storage::load_readonly(&data).expect("offline read");
    assert!(figures(&offline) == want, "read offline");
}
