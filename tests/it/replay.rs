//! docs/api.md, Storage: a log replays to exactly the state it was written
//! from, to the byte, however long after. Each record carries the receive
//! time its batch was applied with (log format 3), and replay applies it at
//! that time instead of reading the clock, so events stamped a little in
//! the future (allowed, for clock skew) land in the same window, and the
//! last-apply time is the same.

use std::path::Path;
use std::sync::Arc;

use warroom::clock::ManualClock;
use warroom::config::Config;
use warroom::engine::Engine;
use warroom::ingest::Ingest;
use warroom::metrics::HttpMetrics;
use warroom::storage::{Log, Opening, Storage};

use crate::support::{MIN, START, test_config};

fn open(cfg: &Config, dir: &Path, now: i64) -> (Engine, Storage) {
    let engine = Engine::new(Arc::new(cfg.clone()), Arc::new(ManualClock::new(now)));
    let (storage, _) = Storage::open(&cfg.storage, dir, engine.clone(), Opening::default())
        .expect("open the directory");
    (engine, storage)
}

fn order(id: &str, ts: i64, store: &str) -> String {
    format!(
        r#"{{"type":"order","id":"{id}","ts":{ts},"store":"{store}","buyer":"b-{id}","items":[{{"sku":"k1","qty":2,"price":"12.34"}}]}}"#
    )
}

fn checkpoint_bytes(dir: &Path) -> Vec<u8> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().contains("checkpoint-"))
        .collect();
    files.sort();
    std::fs::read(files.last().expect("a checkpoint")).expect("read")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_replays_to_the_same_state_to_the_byte_much_later() {
    let cfg = test_config();
    let live_dir = tempfile::tempdir().expect("tempdir");
    let now = START + 30 * MIN;
    let (engine, storage) = open(&cfg, live_dir.path(), now);
    let ingest = Ingest::new(engine.clone(), Arc::new(HttpMetrics::default()));
    ingest.attach(Log::Local(storage.clone()));
    // Events on time, late, and two minutes ahead of the server's clock.
    let body = [
        order("o1", now - 5_000, "s1"),
        order("o2", now - 20 * MIN, "s2"),
        order("o3", now + 2 * MIN, "s1"),
        order("o4", now + 4 * MIN, "s2"),
    ]
    .join("\n");
    let reply = ingest
        .submit_durable(body.as_bytes(), None)
        .await
        .expect("accepted");
    assert_eq!(reply.accepted, 4, "{:?}", reply.errors);

    // The log as written, copied before any checkpoint.
    let replay_dir = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(live_dir.path()).expect("dir") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            std::fs::copy(
                &path,
                replay_dir.path().join(path.file_name().expect("name")),
            )
            .expect("copy");
        }
    }
    storage.checkpoint().expect("checkpoint").expect("written");
    storage.close();

    // Replayed an hour later: the very same checkpoint.
    let (_, replayed) = open(&cfg, replay_dir.path(), now + 60 * MIN);
    replayed.checkpoint().expect("checkpoint").expect("written");
    replayed.close();
    assert!(
        checkpoint_bytes(live_dir.path()) == checkpoint_bytes(replay_dir.path()),
        "the replayed state differs from the live one"
    );
}
