//! Upgrades: a data directory written by an older warroom recovers to
//! exactly the figures that warroom showed, keeps its idempotency keys,
//! and goes on in today's formats; and no secret is written to disk.
//!
//! `tests/data/upgrade-v1/` was written by the build before the formats
//! were versioned (its README says how). Add a new fixture whenever a
//! format changes, and a test here that reads it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};
use warroom::clock::SystemClock;
use warroom::config::Config;
use warroom::engine::Engine;
use warroom::ingest::Ingest;
use warroom::metrics::Metrics;
use warroom::storage::Storage;
use warroom::views::{self, RowSort, SkuSort, TimelineScope};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// A copy of the fixture's data directory, to recover without changing it.
fn copy_of(name: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(fixture(name).join("data")).expect("fixture data") {
        let path = entry.expect("entry").path();
        let to = tmp.path().join(path.file_name().expect("file name"));
        std::fs::copy(&path, &to).expect("copy");
    }
    tmp
}

fn config(name: &str) -> Config {
    warroom::config::load_file(&fixture(name).join("sale.toml")).expect("fixture config")
}

fn expected(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture(name).join("expected.json")).expect("expected");
    serde_json::from_str(&text).expect("expected.json")
}

fn pick(row: &Value, keys: &[&str]) -> Value {
    Value::Object(keys.iter().map(|&k| (k.into(), row[k].clone())).collect())
}

fn by_id(rows: Vec<Value>, keys: &[&str]) -> Value {
    let mut rows: Vec<Value> = rows.iter().map(|r| pick(r, keys)).collect();
    rows.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    Value::Array(rows)
}

fn to_values<T: serde::Serialize>(rows: Vec<T>) -> Vec<Value> {
    rows.into_iter()
        .map(|r| serde_json::to_value(r).expect("row"))
        .collect()
}

/// The engine's figures in the shape of `expected.json` (what `make.py`
/// kept of the API's answers).
fn figures(engine: &Engine) -> Value {
    let cfg = engine.config().clone();
    engine.read(|st, now| {
        let summary = serde_json::to_value(views::summary(st, &cfg, now)).expect("summary");
        let scope = [
            "id",
            "name",
            "gmv",
            "refunds",
            "net_gmv",
            "orders",
            "units",
            "buyers",
            "target",
            "profit",
            "profit_target",
        ];
        let store_keys: Vec<&str> = scope.iter().copied().chain(["channel"]).collect();
        let timeline: Vec<Value> = to_values(
            views::timeline(st, &cfg, now, &TimelineScope::Sale).expect("sale timeline"),
        )
        .into_iter()
        .enumerate()
        .filter(|(i, r)| r["orders"].as_u64().is_some_and(|o| o > 0) || *i < 5)
        .map(|(_, r)| {
            pick(
                &r,
                &[
                    "minute_start",
                    "gmv",
                    "orders",
                    "units",
                    "cumulative_gmv",
                    "baseline_gmv",
                ],
            )
        })
        .collect();
        json!({
            "sale": pick(&summary["sale"], &["name", "currency", "starts", "ends", "timezone"]),
            "events_applied": summary["events_applied"],
            "duplicates": summary["duplicates"],
            "totals": pick(&summary["totals"], &[
                "gmv", "refunds", "net_gmv", "orders", "refund_count", "units",
                "refund_units", "buyers", "new_buyers", "profit", "target", "profit_target",
            ]),
            "channels": by_id(to_values(views::channel_rows(st, now, RowSort::Gmv, usize::MAX)), &scope),
            "stores": by_id(to_values(views::store_rows(st, now, RowSort::Gmv, usize::MAX)), &store_keys),
            "skus": by_id(to_values(views::sku_rows(st, now, SkuSort::Gmv, usize::MAX)), &[
                "id", "name", "units", "gmv", "refund_units", "target_units", "stock", "stock_left",
            ]),
            "timeline": timeline,
        })
    })
}

/// Compares section by section, so a failure names what differs.
fn assert_figures(got: &Value, want: &Value, when: &str) {
    for key in [
        "sale",
        "events_applied",
        "duplicates",
        "totals",
        "channels",
        "stores",
        "skus",
        "timeline",
    ] {
        assert_eq!(got[key], want[key], "{key} {when}");
    }
}

fn open(cfg: &Config, dir: &Path) -> (Engine, Storage) {
    let engine = Engine::new(Arc::new(cfg.clone()), Arc::new(SystemClock));
    let (storage, _) =
        Storage::open(&cfg.storage, dir, engine.clone(), false).expect("recover the directory");
    (engine, storage)
}

/// The fixture's orders and refunds (re-sending stock events would set
/// the levels again: they carry no id and are never duplicates).
fn keyed_events(name: &str) -> Vec<String> {
    (1..=3)
        .flat_map(|i| {
            let path = fixture(name).join(format!("events-{i}.ndjson"));
            let text = std::fs::read_to_string(path).expect("events");
            text.lines()
                .filter(|l| !l.contains(r#""type": "stock""#) && !l.contains(r#""type":"stock""#))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_release_directory_recovers_keeps_its_keys_and_moves_on() {
    let (dir, cfg, want) = (
        copy_of("upgrade-v1"),
        config("upgrade-v1"),
        expected("upgrade-v1"),
    );
    let (engine, storage) = open(&cfg, dir.path());
    assert_figures(
        &figures(&engine),
        &want,
        "after recovering the v1 directory",
    );

    // Every order and refund it counted is still known: sent again, each
    // is a duplicate and nothing else changes.
    let ingest = Ingest::new(engine.clone(), Arc::new(Metrics::default()));
    ingest.attach(storage.clone());
    let resent = keyed_events("upgrade-v1");
    for chunk in resent.chunks(50) {
        let reply = ingest
            .submit_durable(chunk.join("\n").as_bytes(), None)
            .await
            .expect("re-sent batch");
        assert_eq!(
            (reply.accepted, reply.rejected),
            (0, 0),
            "{:?}",
            reply.errors
        );
        assert_eq!(reply.duplicates, chunk.len());
    }
    let mut want = want;
    let dups = want["duplicates"].as_u64().expect("duplicates") + resent.len() as u64;
    want["duplicates"] = json!(dups);
    assert_figures(&figures(&engine), &want, "after re-sending everything");

    // A checkpoint in today's format, then a cold start from it.
    storage
        .checkpoint()
        .expect("checkpoint")
        .expect("the log moved");
    storage.close();
    drop((ingest, storage, engine));
    let (engine, storage) = open(&cfg, dir.path());
    assert_figures(&figures(&engine), &want, "after a checkpoint by this build");
    storage.close();
    drop((storage, engine));
    let offline = warroom::storage::load_readonly(dir.path()).expect("offline read");
    assert_figures(&figures(&offline), &want, "read offline after the upgrade");
}

#[test]
fn offline_export_reads_a_first_release_directory_and_changes_nothing() {
    let dir = copy_of("upgrade-v1");
    let snapshot = |d: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        let mut files: Vec<_> = std::fs::read_dir(d)
            .expect("dir")
            .map(|e| {
                let p = e.expect("entry").path();
                let bytes = std::fs::read(&p).expect("read");
                (p, bytes)
            })
            .collect();
        files.sort();
        files
    };
    let before = snapshot(dir.path());
    let engine = warroom::storage::load_readonly(dir.path()).expect("offline read");
    assert_figures(&figures(&engine), &expected("upgrade-v1"), "read offline");
    assert!(
        before == snapshot(dir.path()),
        "an offline read changes no file"
    );
}
