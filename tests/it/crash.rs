//! docs/api.md, Storage with the real binary: SIGKILL mid-stream loses nothing that
//! was acknowledged, in both fsync modes; a torn log tail is dropped; a
//! damaged record in the middle stops start-up until `--repair`; checkpoints
//! with their key files survive a kill, and a damaged or missing key file
//! stops start-up.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use warroom::sim::Rng;

use crate::process::start;

pub(crate) fn write_config(dir: &Path, fsync: &str) -> PathBuf {
    write_config_with(dir, fsync, "")
}

pub(crate) fn write_config_with(dir: &Path, fsync: &str, storage_extra: &str) -> PathBuf {
    let now = chrono::Utc::now();
    let starts = (now - chrono::Duration::hours(1)).to_rfc3339();
    let ends = (now + chrono::Duration::hours(23)).to_rfc3339();
    let text = format!(
        r#"[sale]
name = "crash test"
currency = "CNY"
timezone = "Asia/Shanghai"
starts = "{starts}"
ends = "{ends}"
target = "1000000"

[[skus]]
id = "k1"
stock = 100000

[storage]
dir = "data"
fsync = "{fsync}"
{storage_extra}
"#
    );
    let path = dir.join("sale.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// Figures the test expects, computed from the stream itself.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Expect {
    events: u64,
    gmv: i64,
    refunds: i64,
    orders: u64,
    units: u64,
    stores: BTreeMap<String, i64>,
    skus: BTreeMap<String, u64>,
}

pub(crate) fn stream(n: usize, seed: u64) -> (Vec<String>, Expect) {
    let mut rng = Rng::new(seed);
    let now = chrono::Utc::now().timestamp_millis();
    let mut ex = Expect::default();
    let lines = (0..n)
        .map(|i| {
            let store = format!("s{}", rng.below(7));
            let sku = format!("k{}", 1 + rng.below(30));
            let qty = 1 + rng.below(3);
            let cents = 100 + rng.below(100_000) as i64;
            let ts = now - rng.below(3_000_000) as i64;
            let refund = rng.chance(0.05);
            let amount = qty as i64 * cents;
            ex.events += 1;
            if refund {
                ex.refunds += amount;
            } else {
                ex.gmv += amount;
                ex.orders += 1;
                ex.units += qty;
                *ex.stores.entry(store.clone()).or_default() += amount;
                *ex.skus.entry(sku.clone()).or_default() += qty;
            }
            let ty = if refund { "refund" } else { "order" };
            format!(
                r#"{{"type":"{ty}","id":"c{i}","ts":{ts},"store":"{store}","buyer":"b{}","items":[{{"sku":"{sku}","qty":{qty},"price":"{}.{:02}"}}]}}"#,
                rng.below(500),
                cents / 100,
                cents % 100
            )
        })
        .collect();
    (lines, ex)
}

pub(crate) async fn summary(client: &reqwest::Client, base: &str) -> Value {
    client
        .get(format!("{base}/api/v1/summary"))
        .send()
        .await
        .expect("GET /api/v1/summary")
        .json()
        .await
        .expect("JSON")
}

pub(crate) async fn post(client: &reqwest::Client, base: &str, body: String) -> Option<Value> {
    let r = client
        .post(format!("{base}/api/v1/events"))
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .ok()?;
    if r.status() != 200 {
        return None;
    }
    r.json().await.ok()
}

async fn check_figures(client: &reqwest::Client, base: &str, ex: &Expect) {
    let get = |path: &'static str| {
        let url = format!("{base}{path}");
        async move {
            let r = client.get(url).send().await.expect("GET");
            r.json::<Value>().await.expect("JSON")
        }
    };
    let s = get("/api/v1/summary").await;
    assert_eq!(s["events_applied"], ex.events, "events applied");
    assert_eq!(s["totals"]["gmv"], ex.gmv);
    assert_eq!(s["totals"]["refunds"], ex.refunds);
    assert_eq!(s["totals"]["orders"], ex.orders);
    assert_eq!(s["totals"]["units"], ex.units);
    let stores = get("/api/v1/stores").await;
    for row in stores.as_array().expect("stores") {
        let id = row["id"].as_str().expect("id");
        assert_eq!(
            row["gmv"].as_i64(),
            Some(ex.stores.get(id).copied().unwrap_or(0)),
            "store {id}"
        );
    }
    let skus = get("/api/v1/skus?limit=1000").await;
    for row in skus.as_array().expect("skus") {
        let id = row["id"].as_str().expect("id");
        assert_eq!(
            row["units"].as_u64(),
            Some(ex.skus.get(id).copied().unwrap_or(0)),
            "sku {id}"
        );
    }
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let keys = metrics
        .lines()
        .find_map(|l| l.strip_prefix("warroom_idempotency_keys "))
        .and_then(|v| v.trim().parse::<u64>().ok());
    assert_eq!(keys, Some(ex.events), "idempotency keys");
}

async fn kill_mid_stream_loses_nothing_acknowledged(fsync: &str) {
    stop_mid_stream_loses_nothing_acknowledged(fsync, false).await;
}

/// Feeds concurrently, stops the server a third of the way in (SIGKILL, or
/// SIGTERM for a graceful stop), restarts it and checks every figure.
async fn stop_mid_stream_loses_nothing_acknowledged(fsync: &str, graceful: bool) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), fsync);
    let client = reqwest::Client::new();
    let (lines, ex) = stream(40_000, 11);
    let batches: Vec<String> = lines.chunks(100).map(|c| c.join("\n")).collect();
    let progress = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));

    let mut server = start(&config, &[]).expect("start");
    assert!(server.ready(&client).await, "{}", server.stderr());
    // Four concurrent feeders; the process is killed while they run.
    let base = server.base.clone();
    let mut feeders = Vec::new();
    for w in 0..4 {
        let (client, base, progress) = (client.clone(), base.clone(), progress.clone());
        let mine: Vec<(usize, String)> = batches
            .iter()
            .cloned()
            .enumerate()
            .filter(|(i, _)| i % 4 == w)
            .collect();
        feeders.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for (i, body) in mine {
                if post(&client, &base, body).await.is_some() {
                    acked.push(i);
                    progress.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            }
            acked
        }));
    }
    // Kill once about a third has been acknowledged, while requests are in flight.
    let deadline = Instant::now() + Duration::from_secs(30);
    while progress.load(std::sync::atomic::Ordering::SeqCst) < batches.len() / 3
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    if graceful {
        let _ = Command::new("kill")
            .args(["-TERM", &server.child.id().to_string()])
            .status();
        let status = server.child.wait().expect("exit");
        assert!(
            status.success(),
            "SIGTERM exits 0: {status:?}\n{}",
            server.stderr()
        );
    } else {
        server.child.kill().expect("SIGKILL");
        let _ = server.child.wait();
    }
    let mut acked = Vec::new();
    for f in feeders {
        acked.extend(f.await.expect("feeder"));
    }
    assert!(
        !acked.is_empty(),
        "some batches were acknowledged before the kill"
    );
    assert!(acked.len() < batches.len(), "the kill came mid-stream");

    let mut server = start(&config, &[]).expect("restart");
    assert!(server.ready(&client).await, "{}", server.stderr());
    // Everything acknowledged before the kill is there: re-sent, all duplicates.
    for &i in &acked {
        let reply = post(&client, &server.base, batches[i].clone())
            .await
            .expect("reply");
        assert_eq!(
            reply["accepted"], 0,
            "batch {i} was acknowledged, then lost ({fsync})"
        );
    }
    // The whole stream again: every event is new or a duplicate.
    for body in &batches {
        assert!(post(&client, &server.base, body.clone()).await.is_some());
    }
    check_figures(&client, &server.base, &ex).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_nothing_acknowledged_with_fsync_interval() {
    kill_mid_stream_loses_nothing_acknowledged("interval").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_ingest_loses_nothing_acknowledged() {
    stop_mid_stream_loses_nothing_acknowledged("interval", true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_nothing_acknowledged_with_fsync_always() {
    kill_mid_stream_loses_nothing_acknowledged("always").await;
}

/// Feeds `lines` in batches of 100, kills the server, returns the log segment.
pub(crate) async fn logged_then_killed(config: &Path, lines: &[String]) -> PathBuf {
    let client = reqwest::Client::new();
    let mut server = start(config, &[]).expect("start");
    assert!(server.ready(&client).await, "{}", server.stderr());
    for chunk in lines.chunks(100) {
        assert!(
            post(&client, &server.base, chunk.join("\n"))
                .await
                .is_some()
        );
    }
    server.child.kill().expect("SIGKILL");
    let _ = server.child.wait();
    let data = config.parent().expect("dir").join("data");
    let mut segs: Vec<PathBuf> = std::fs::read_dir(&data)
        .expect("data dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    segs.sort();
    segs.pop().expect("a log segment")
}

/// Byte offsets where each record of events starts (16-byte header: len,
/// crc, lsn), past the segment's format marker (the record of LSN 0).
pub(crate) fn record_starts(log: &[u8]) -> Vec<usize> {
    let mut at = 0;
    let mut out = Vec::new();
    while at + 16 <= log.len() {
        let len = u32::from_le_bytes([log[at], log[at + 1], log[at + 2], log[at + 3]]) as usize;
        let lsn = u64::from_le_bytes(log[at + 8..at + 16].try_into().expect("8 bytes"));
        if lsn != 0 {
            out.push(at);
        }
        at += 16 + len;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_last_record_is_dropped_and_the_rest_recovered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), "interval");
    let (lines, _) = stream(1_000, 5);
    let seg = logged_then_killed(&config, &lines).await;
    let log = std::fs::read(&seg).expect("read log");
    let starts = record_starts(&log);
    assert_eq!(starts.len(), 10, "one record per acknowledged batch");
    // Cut the last record in half, as a crash mid-write would.
    let cut = starts[9] + (log.len() - starts[9]) / 2;
    std::fs::write(&seg, &log[..cut]).expect("truncate");

    let client = reqwest::Client::new();
    let mut server = start(&config, &[]).expect("restart");
    assert!(server.ready(&client).await, "{}", server.stderr());
    let s: Value = summary(&client, &server.base).await;
    assert_eq!(s["events_applied"], 900, "the nine whole records");
    assert!(
        server.stderr().contains("torn"),
        "a warning names it: {}",
        server.stderr()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_record_in_the_middle_stops_start_up_until_repair() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), "interval");
    let (lines, _) = stream(1_000, 6);
    let seg = logged_then_killed(&config, &lines).await;
    let mut log = std::fs::read(&seg).expect("read log");
    let starts = record_starts(&log);
    // Flip one byte inside the payload of the fifth record.
    let at = starts[4] + 16 + 10;
    log[at] ^= 0x55;
    std::fs::write(&seg, &log).expect("write log");

    let client = reqwest::Client::new();
    let mut server = start(&config, &[]).expect("start");
    assert!(!server.ready(&client).await, "start-up must stop");
    let status = server.child.wait().expect("exit");
    assert!(!status.success());
    let err = server.stderr();
    let name = seg.file_name().and_then(|n| n.to_str()).expect("name");
    assert!(
        err.contains(name) && err.contains(&format!("byte {}", starts[4])),
        "names file and offset: {err}"
    );
    assert!(err.contains("--repair"), "{err}");

    // `--repair` keeps the records after the damaged one too (it used to
    // drop the rest of the log; see `damage` for the details).
    let mut server = start(&config, &["--repair"]).expect("start with --repair");
    assert!(server.ready(&client).await, "{}", server.stderr());
    let s: Value = summary(&client, &server.base).await;
    assert_eq!(s["events_applied"], 900, "every record but the damaged one");
}

fn files(data: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(data)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".bin"))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// A key file as the server writes it (`WRKY0001 | lsn | count | crc | keys`).
fn key_file(lsn: u64, keys: &[u128]) -> Vec<u8> {
    let body: Vec<u8> = keys.iter().flat_map(|k| k.to_le_bytes()).collect();
    let mut out = b"WRKY0001".to_vec();
    out.extend(lsn.to_le_bytes());
    out.extend((keys.len() as u64).to_le_bytes());
    out.extend(crc32c::crc32c(&body).to_le_bytes());
    out.extend(body);
    out
}

/// Checkpoints (with the idempotency keys in key files beside them) are
/// written while events arrive; after a SIGKILL the restarted server holds
/// every key, ignores a key file from a checkpoint that never completed,
/// and a damaged key file stops start-up, named, until `--repair`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_and_key_files_survive_a_kill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config_with(dir.path(), "interval", "checkpoint_events = 1000");
    let data = dir.path().join("data");
    let client = reqwest::Client::new();
    let (lines, ex) = stream(8_000, 5);
    let batches: Vec<String> = lines.chunks(100).map(|c| c.join("\n")).collect();

    let mut server = start(&config, &[]).expect("start");
    assert!(server.ready(&client).await, "{}", server.stderr());
    for body in &batches[..40] {
        assert!(post(&client, &server.base, body.clone()).await.is_some());
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while files(&data, "keys-").is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!files(&data, "keys-").is_empty(), "a key file is written");
    for body in &batches[40..60] {
        assert!(post(&client, &server.base, body.clone()).await.is_some());
    }
    server.child.kill().expect("SIGKILL");
    let _ = server.child.wait();
    assert!(!files(&data, "checkpoint-").is_empty(), "a checkpoint");

    // A key file above every checkpoint, as a crash between writing it and
    // its checkpoint leaves: it names events not yet sent, which must not
    // then count as duplicates.
    let unsent: Vec<u128> = (7_000..8_000)
        .map(|i| {
            let kind = if lines[i].contains(r#""type":"refund""#) {
                warroom::event::Kind::Refund
            } else {
                warroom::event::Kind::Order
            };
            warroom::event::idempotency_key(kind, &format!("c{i}"))
        })
        .collect();
    let stray = data.join(format!("keys-{:020}.bin", 1u64 << 40));
    std::fs::write(&stray, key_file(1 << 40, &unsent)).expect("stray key file");

    let mut server = start(&config, &[]).expect("restart");
    assert!(server.ready(&client).await, "{}", server.stderr());
    assert!(!stray.exists(), "the stray key file is removed");
    for (i, body) in batches[..60].iter().enumerate() {
        let reply = post(&client, &server.base, body.clone())
            .await
            .expect("reply");
        assert_eq!(reply["accepted"], 0, "batch {i} acknowledged, then lost");
    }
    for body in &batches {
        assert!(post(&client, &server.base, body.clone()).await.is_some());
    }
    check_figures(&client, &server.base, &ex).await;

    // Stop (final checkpoint), damage the oldest key file: start-up stops
    // and names it; --repair starts without it.
    let _ = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status();
    assert!(server.child.wait().expect("exit").success());
    let first = files(&data, "keys-").into_iter().next().expect("key file");
    // A missing key file is caught by the checkpoint's own count of keys.
    let aside = dir.path().join("aside.bin");
    std::fs::rename(&first, &aside).expect("move aside");
    let mut server = start(&config, &[]).expect("start without it");
    assert!(!server.ready(&client).await, "start-up must stop");
    let err = server.stderr();
    assert!(err.contains("a key file is missing"), "{err}");
    std::fs::rename(&aside, &first).expect("put back");
    let mut bytes = std::fs::read(&first).expect("read key file");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    std::fs::write(&first, &bytes).expect("damage");
    let mut server = start(&config, &[]).expect("start damaged");
    assert!(!server.ready(&client).await, "start-up must stop");
    let err = server.stderr();
    let name = first.file_name().and_then(|n| n.to_str()).expect("name");
    assert!(
        err.contains(name) && err.contains("damaged key file"),
        "the error names the file: {err}"
    );
    let mut server = start(&config, &["--repair"]).expect("repair");
    assert!(server.ready(&client).await, "{}", server.stderr());
    assert!(!first.exists(), "the damaged key file is set aside");
    // After the repair, a plain start works again.
    let _ = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status();
    assert!(server.child.wait().expect("exit").success());
    let mut server = start(&config, &[]).expect("start after repair");
    assert!(server.ready(&client).await, "{}", server.stderr());
}

/// A full disk (the log segment is `/dev/full`): ingest answers 503 naming
/// the cause, `/readyz` says so, later requests are refused without being
/// applied, and a stop still ends (the final checkpoint gives up rather
/// than wait for a log that cannot be written). Nothing was acknowledged,
/// so after the disk is back nothing is missing and the events go in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_503_and_a_stop_still_ends() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), "interval");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let segment = data.join(format!("wal-{:020}.log", 1));
    std::os::unix::fs::symlink("/dev/full", &segment).expect("symlink");
    let client = reqwest::Client::new();
    let (lines, _) = stream(300, 3);

    let mut server = start(&config, &[]).expect("start");
    assert!(server.ready(&client).await, "{}", server.stderr());
    let send = |body: String| {
        let (client, url) = (client.clone(), format!("{}/api/v1/events", server.base));
        async move {
            let r = client
                .post(url)
                .header("content-type", "application/x-ndjson")
                .body(body)
                .send()
                .await
                .expect("answer");
            (r.status().as_u16(), r.text().await.unwrap_or_default())
        }
    };
    let (status, body) = send(lines[..100].join("\n")).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("No space left on device"), "{body}");
    let ready = client
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 503);
    // /readyz is public: a generic reason, never the data directory's path
    // (ingest's 503 above, behind its token when [auth] is set, names the
    // cause). `/dev/full` cannot reserve space (not a regular file), so the
    // batch was applied before its write failed: `/readyz` says the figures
    // include it.
    let reason = ready.text().await.unwrap_or_default();
    assert!(
        reason.contains("storage unavailable")
            && reason.contains("figures shown include 1 batch(es) not yet stored"),
        "{reason}"
    );
    assert!(
        !reason.contains(&*data.to_string_lossy()) && !reason.contains("/dev/full"),
        "{reason}"
    );
    let (status, _) = send(lines[100..200].join("\n")).await;
    assert_eq!(status, 503);
    let summary: Value = summary(&client, &server.base).await;
    assert!(
        summary["events_applied"].as_u64().is_some_and(|n| n <= 100),
        "the refused second batch was not applied: {}",
        summary["events_applied"]
    );

    let _ = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        server.child.try_wait().ok().flatten().is_some(),
        "SIGTERM ends the server although its log cannot be written"
    );
    let err = server.stderr();
    assert!(err.contains("No space left on device"), "{err}");

    // The disk is back: the segment is an (empty) file again. (Deleting
    // it instead would be a lost segment: the log head names it.)
    std::fs::remove_file(&segment).expect("unlink");
    std::fs::write(&segment, b"").expect("an empty segment");
    let mut server = start(&config, &[]).expect("restart");
    assert!(server.ready(&client).await, "{}", server.stderr());
    let reply = post(&client, &server.base, lines[..200].join("\n"))
        .await
        .expect("accepted now");
    assert_eq!(reply["accepted"], 200, "nothing of it was stored before");
}
