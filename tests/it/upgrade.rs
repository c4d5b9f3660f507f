//! Upgrades: a data directory written by an older warroom recovers to
//! exactly the figures that warroom showed, keeps its idempotency keys,
//! goes on in today's formats and loses the secrets the old one wrote; a
//! file from a newer warroom is refused by name. (That no secret is ever
//! written is a storage unit test, `storage::handle`.)
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
use warroom::metrics::HttpMetrics;
use warroom::storage::{Opening, Storage};
use warroom::views::{self, RowSort, SkuSort, TimelineScope};

pub(crate) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// A copy of the fixture's data directory, to recover without changing it.
pub(crate) fn copy_of(name: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(fixture(name).join("data")).expect("fixture data") {
        let path = entry.expect("entry").path();
        let to = tmp.path().join(path.file_name().expect("file name"));
        std::fs::copy(&path, &to).expect("copy");
    }
    tmp
}

pub(crate) fn config(name: &str) -> Config {
    warroom::config::load_file(&fixture(name).join("sale.toml")).expect("fixture config")
}

pub(crate) fn expected(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture(name).join("expected.json")).expect("expected");
    serde_json::from_str(&text).expect("expected.json")
}

pub(crate) fn pick(row: &Value, keys: &[&str]) -> Value {
    Value::Object(keys.iter().map(|&k| (k.into(), row[k].clone())).collect())
}

pub(crate) fn by_id(rows: Vec<Value>, keys: &[&str]) -> Value {
    let mut rows: Vec<Value> = rows.iter().map(|r| pick(r, keys)).collect();
    rows.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    Value::Array(rows)
}

pub(crate) fn to_values<T: serde::Serialize>(rows: Vec<T>) -> Vec<Value> {
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
        let timeline: Vec<Value> = to_values(
            views::timeline(st, &cfg, now, &TimelineScope::Sale, &Default::default())
                .expect("sale timeline"),
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
        let mut out = totals_and_rows(st, &cfg, now, &summary);
        out.insert("timeline".into(), Value::Array(timeline));
        Value::Object(out)
    })
}

/// The sections every fixture's `expected.json` holds besides its
/// timelines: the sale, totals, and the channel, store and SKU rows.
pub(crate) fn totals_and_rows(
    st: &warroom::engine::State,
    cfg: &warroom::config::Config,
    now: i64,
    summary: &Value,
) -> serde_json::Map<String, Value> {
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
    let v = json!({
        "sale": pick(&summary["sale"], &["name", "currency", "starts", "ends", "timezone"]),
        "events_applied": summary["events_applied"],
        "duplicates": summary["duplicates"],
        "totals": pick(&summary["totals"], &[
            "gmv", "refunds", "net_gmv", "orders", "refund_count", "units",
            "refund_units", "buyers", "new_buyers", "profit", "target", "profit_target",
        ]),
        "channels": by_id(to_values(views::channel_rows(st, cfg, now, RowSort::Gmv, usize::MAX)), &scope),
        "stores": by_id(to_values(views::store_rows(st, now, RowSort::Gmv, usize::MAX)), &store_keys),
        "skus": by_id(to_values(views::sku_rows(st, now, SkuSort::Gmv, usize::MAX)), &[
            "id", "name", "units", "gmv", "refund_units", "target_units", "stock", "stock_left",
        ]),
    });
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

/// Compares section by section, so a failure names what differs.
pub(crate) fn assert_figures(got: &Value, want: &Value, when: &str) {
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

pub(crate) fn open(cfg: &Config, dir: &Path) -> (Engine, Storage) {
    let engine = Engine::new(Arc::new(cfg.clone()), Arc::new(SystemClock));
    let (storage, _) = Storage::open(&cfg.storage, dir, engine.clone(), Opening::default())
        .expect("recover the directory");
    (engine, storage)
}

/// The fixture's orders and refunds (re-sending stock events would set
/// the levels again: they carry no id and are never duplicates).
pub(crate) fn keyed_events(name: &str) -> Vec<String> {
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

/// The fixture's fake secrets (its `sale.toml`), which the first release
/// wrote into `sale.json`.
const FIXTURE_SECRETS: [&str; 5] = [
    "fixture-ingest-token-FAKE-0001",
    "fixture-view-token-FAKE-0002",
    "fixture-admin-token-FAKE-0003",
    "fixture-access-token-FAKE-0004",
    "fixture-signing-secret-FAKE-0005",
];

pub(crate) fn files_of(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .collect();
    out.sort();
    out
}

pub(crate) async fn submit(ingest: &Ingest, lines: &[String]) -> warroom::ingest::Reply {
    ingest
        .submit_durable(lines.join("\n").as_bytes(), None)
        .await
        .expect("batch")
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
    let sale = std::fs::read_to_string(dir.path().join("sale.json")).expect("sale.json");
    assert!(sale.contains(r#""version": 2"#), "rewritten as format 2");
    for secret in FIXTURE_SECRETS {
        assert!(!sale.contains(secret), "{secret} left in sale.json");
    }

    // New events go to a segment of today's log format, after the old ones.
    let ingest = Ingest::new(engine.clone(), Arc::new(HttpMetrics::default()));
    ingest.attach(warroom::storage::Log::Local(storage.clone()));
    let new: Vec<String> = (0..3)
        .map(|i| format!(r#"{{"type":"order","id":"after-{i}","ts":1794327000000,"store":"s2","buyer":"u900","items":[{{"sku":"k2","qty":1,"price":"10.00"}}]}}"#))
        .collect();
    assert_eq!(submit(&ingest, &new).await.accepted, 3);
    let mut now = figures(&engine);
    let applied = want["events_applied"].as_u64().expect("events") + 3;
    assert_eq!(now["events_applied"], json!(applied));
    let segment = files_of(dir.path(), "wal-").pop().expect("a segment");
    let bytes = std::fs::read(&segment).expect("segment");
    assert_eq!(
        &bytes[16..24],
        b"WRLG0003",
        "opens with its format's marker"
    );

    // Stopped without a checkpoint: the v1 checkpoint, the v1 segment
    // after it and the new segment replay to the same figures.
    storage.wal().expect("a local log").close();
    drop((ingest, storage, engine));
    let (engine, storage) = open(&cfg, dir.path());
    assert_figures(&figures(&engine), &now, "replaying old and new segments");

    // Every order and refund the old release counted is still known: sent
    // again, each is a duplicate and nothing else changes.
    let ingest = Ingest::new(engine.clone(), Arc::new(HttpMetrics::default()));
    ingest.attach(warroom::storage::Log::Local(storage.clone()));
    let resent = keyed_events("upgrade-v1");
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
    let dups = now["duplicates"].as_u64().expect("duplicates") + resent.len() as u64;
    now["duplicates"] = json!(dups);
    assert_figures(&figures(&engine), &now, "after re-sending everything");
    drop(ingest);

    // A checkpoint by this build, then a cold start from it.
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
            .starts_with(b"WRCP0003")
    );
    // Segments are kept back to the fallback (the older checkpoint kept):
    // none of those left ends at or before it.
    let checkpoints = files_of(dir.path(), "checkpoint-");
    assert_eq!(checkpoints.len(), 2, "the newest and its fallback");
    let lsn_of = |p: &Path, prefix: &str| -> u64 {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        name.trim_start_matches(prefix)
            .split('.')
            .next()
            .and_then(|n| n.parse().ok())
            .expect("numbered file")
    };
    let fallback = lsn_of(&checkpoints[0], "checkpoint-");
    let segs = files_of(dir.path(), "wal-");
    for pair in segs.windows(2) {
        assert!(
            lsn_of(&pair[1], "wal-") > fallback + 1,
            "{} holds only records the fallback at {fallback} covers",
            pair[0].display()
        );
    }
    storage.close();
    drop((storage, engine));
    let (engine, storage) = open(&cfg, dir.path());
    assert_figures(&figures(&engine), &now, "after a checkpoint by this build");
    storage.close();
    drop((storage, engine));
    let offline = warroom::storage::load_readonly(dir.path()).expect("offline read");
    assert_figures(&figures(&offline), &now, "read offline after the upgrade");
}

#[test]
fn offline_export_reads_a_first_release_directory_and_changes_nothing() {
    let dir = copy_of("upgrade-v1");
    let before = contents(dir.path());
    let engine = warroom::storage::load_readonly(dir.path()).expect("offline read");
    assert_figures(&figures(&engine), &expected("upgrade-v1"), "read offline");
    assert!(
        before == contents(dir.path()),
        "an offline read changes no file"
    );
}

/// Every file of `dir`, by path, with its bytes.
pub(crate) fn contents(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| {
            let p = e.expect("entry").path();
            let bytes = std::fs::read(&p).expect("read");
            (p, bytes)
        })
        .collect();
    files.sort();
    files
}

/// One log record as the log frames it (`len | crc32c | lsn | payload`).
fn record(lsn: u64, payload: &[u8]) -> Vec<u8> {
    let crc = crc32c::crc32c_append(crc32c::crc32c(&lsn.to_le_bytes()), payload);
    let mut out = (payload.len() as u32).to_le_bytes().to_vec();
    out.extend(crc.to_le_bytes());
    out.extend(lsn.to_le_bytes());
    out.extend(payload);
    out
}

/// A file in a format newer than this build stops start-up by name, even
/// with `--repair`, and nothing in the directory is changed: not damage.
#[test]
fn a_newer_format_is_refused_by_name_and_left_alone() {
    let cfg = config("upgrade-v1");
    let newer = |file: &str, tamper: &dyn Fn(Vec<u8>) -> Vec<u8>| {
        let dir = copy_of("upgrade-v1");
        let path = dir.path().join(file);
        let bytes = std::fs::read(&path).expect("fixture file");
        std::fs::write(&path, tamper(bytes)).expect("tamper");
        let before = contents(dir.path());
        for repair in [false, true] {
            let engine = Engine::new(Arc::new(cfg.clone()), Arc::new(SystemClock));
            let Err(err) = Storage::open(
                &cfg.storage,
                dir.path(),
                engine,
                Opening {
                    repair,
                    ..Opening::default()
                },
            ) else {
                panic!("{file}: a newer format must stop start-up");
            };
            let msg = err.to_string();
            assert!(
                msg.contains(file) && msg.contains("is newer than this warroom"),
                "{msg}"
            );
            assert!(msg.ends_with("; upgrade warroom"), "{msg}");
            assert!(before == contents(dir.path()), "{file}: nothing changed");
        }
        let offline = warroom::storage::load_readonly(dir.path()).map(|_| ());
        assert!(
            offline.is_err_and(|e| e.contains(file) && e.contains("is newer")),
            "{file}: the offline read refuses it too"
        );
    };
    let magic = |m: &'static [u8; 8]| {
        move |mut b: Vec<u8>| {
            b[..8].copy_from_slice(m);
            b
        }
    };
    newer("checkpoint-00000000000000000014.bin", &magic(b"WRCP0004"));
    newer("keys-00000000000000000007.bin", &magic(b"WRKY0002"));
    newer("wal-00000000000000000015.log", &|b| {
        [record(0, b"WRLG0004"), b].concat()
    });
    newer("sale.json", &|b| {
        let text = String::from_utf8(b).expect("utf-8");
        text.replacen('{', r#"{"version": 3,"#, 1).into_bytes()
    });
}
