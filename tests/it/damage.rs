//! docs/api.md, Recovery, with the real binary on real files: what a
//! power cut, a flipped byte or a deleted segment leaves in the log, and
//! what start-up and `--repair` make of it. A zero-filled tail is torn; a
//! damaged last record is set aside (it may have been acknowledged);
//! `--repair` keeps every record that verifies after damage and moves the
//! damaged bytes to `….damaged`; missing records stop start-up by name.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::crash::{logged_then_killed, post, record_starts, stream, summary, write_config};
use crate::process::start;

fn named(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(suffix))
        })
        .collect();
    out.sort();
    out
}

async fn events_applied(config: &Path, extra: &[&str]) -> (u64, String) {
    let client = reqwest::Client::new();
    let mut server = start(config, extra).expect("start");
    assert!(server.ready(&client).await, "{}", server.stderr());
    let s: Value = summary(&client, &server.base).await;
    let n = s["events_applied"].as_u64().expect("events_applied");
    let err = server.stderr();
    stop(&mut server);
    (n, err)
}

fn stop(server: &mut crate::process::Server) {
    let _ = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status();
    assert!(server.child.wait().expect("exit").success());
}

/// A power cut leaves zeros where the last writes never reached the disk:
/// after whole records, or from inside the last one. Both are torn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zero_filled_tail_is_torn() {
    for inside in [false, true] {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = write_config(dir.path(), "interval");
        let (lines, _) = stream(1_000, 21);
        let seg = logged_then_killed(&config, &lines).await;
        let mut log = std::fs::read(&seg).expect("read log");
        let starts = record_starts(&log);
        if inside {
            let from = starts[9] + 30;
            log[from..].fill(0);
        }
        log.extend([0u8; 4096]);
        std::fs::write(&seg, &log).expect("zero fill");
        let (n, err) = events_applied(&config, &[]).await;
        assert_eq!(n, if inside { 900 } else { 1_000 }, "{err}");
        assert!(err.contains("torn tail"), "{err}");
        assert!(!err.contains("checksum"), "{err}");
        assert!(named(&dir.path().join("data"), ".damaged").is_empty());
    }
}

/// A flipped byte in the last record: not torn (it may have been
/// acknowledged), so the warning says so and its bytes are kept aside.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_last_record_is_set_aside_not_called_unacknowledged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), "interval");
    let (lines, _) = stream(1_000, 22);
    let seg = logged_then_killed(&config, &lines).await;
    let mut log = std::fs::read(&seg).expect("read log");
    let starts = record_starts(&log);
    let record = log[starts[9]..].to_vec();
    log[starts[9] + 16 + 40] ^= 0x21;
    std::fs::write(&seg, &log).expect("damage");

    let (n, err) = events_applied(&config, &[]).await;
    assert_eq!(n, 900, "{err}");
    assert!(err.contains("may have been acknowledged"), "{err}");
    assert!(!err.contains("never acknowledged"), "{err}");
    let aside = named(&dir.path().join("data"), ".damaged");
    assert_eq!(aside.len(), 1, "{aside:?}");
    let kept = std::fs::read(&aside[0]).expect("aside");
    assert_eq!(kept.len(), record.len(), "the damaged record's bytes");
    assert_eq!(kept[..16 + 40], record[..16 + 40]);
    // The next start is clean: nothing more is dropped.
    let (n, err) = events_applied(&config, &[]).await;
    assert_eq!(n, 900, "{err}");
    assert!(!err.contains("acknowledged"), "{err}");
}

/// One flipped byte in record 16 of 31: start-up stops naming it;
/// `--repair` keeps the 30 intact records (also the 15 after it), moves the
/// damaged one to `….damaged`, says what it dropped; later starts are
/// plain, and the dropped record's events, sent again, count once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repair_keeps_every_record_that_verifies_and_sets_the_damage_aside() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), "interval");
    let data = dir.path().join("data");
    let (lines, _) = stream(3_100, 23);
    let seg = logged_then_killed(&config, &lines).await;
    let mut log = std::fs::read(&seg).expect("read log");
    let starts = record_starts(&log);
    assert_eq!(starts.len(), 31);
    let damaged_len = starts[16] - starts[15];
    // The checksum field: the payload still decodes, so its events are known.
    log[starts[15] + 5] ^= 0x01;
    std::fs::write(&seg, &log).expect("damage");

    let client = reqwest::Client::new();
    let mut server = start(&config, &[]).expect("start");
    assert!(!server.ready(&client).await, "start-up must stop");
    let err = server.stderr();
    assert!(
        err.contains(&format!("byte {}", starts[15])) && err.contains("--repair"),
        "{err}"
    );

    let (n, err) = events_applied(&config, &["--repair"]).await;
    assert_eq!(n, 3_000, "every record but the damaged one: {err}");
    assert!(
        err.contains("records=1") && err.contains("events=100"),
        "says what it dropped: {err}"
    );
    assert!(err.contains(&format!("bytes={damaged_len}")), "{err}");
    let aside = named(&data, ".damaged");
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(
        std::fs::read(&aside[0]).expect("aside").len(),
        damaged_len,
        "exactly the damaged record"
    );

    // A plain start reads the repaired directory; the lost batch counts
    // once when sent again, every other one is a duplicate.
    let mut server = start(&config, &[]).expect("start after repair");
    assert!(server.ready(&client).await, "{}", server.stderr());
    for (i, chunk) in lines.chunks(100).enumerate() {
        let reply = post(&client, &server.base, chunk.join("\n"))
            .await
            .expect("reply");
        let want = if i == 15 { 100 } else { 0 };
        assert_eq!(reply["accepted"], want, "batch {i}");
    }
    let s: Value = summary(&client, &server.base).await;
    assert_eq!(s["events_applied"], 3_100);
}

/// The segment after a checkpoint is deleted: start-up stops naming the
/// gap (it used to report ready with the records missing); `--repair`
/// goes on from the checkpoint, and a plain start works after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_segment_stops_start_up_until_repair() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), "interval");
    let data = dir.path().join("data");
    let client = reqwest::Client::new();
    let (lines, _) = stream(1_500, 24);

    // 1,000 events, then a clean stop: a checkpoint at record 10.
    let mut server = start(&config, &[]).expect("start");
    assert!(server.ready(&client).await, "{}", server.stderr());
    for chunk in lines[..1_000].chunks(100) {
        assert!(
            post(&client, &server.base, chunk.join("\n"))
                .await
                .is_some()
        );
    }
    stop(&mut server);
    // 500 more after a restart, then a kill: records 11–15, in a new segment.
    let seg = logged_then_killed(&config, &lines[1_000..]).await;
    assert!(
        seg.ends_with(format!("wal-{:020}.log", 11)),
        "{}",
        seg.display()
    );
    std::fs::remove_file(&seg).expect("delete the segment");

    let mut server = start(&config, &[]).expect("start");
    assert!(!server.ready(&client).await, "start-up must stop");
    let err = server.stderr();
    // Segments are kept back to the fallback checkpoint, so the one holding
    // records 1–10 still reaches the checkpoint: the log head is what
    // tells the newest segment is gone.
    assert!(
        err.contains("log-head.json")
            && err.contains(&format!("wal-{:020}.log", 11))
            && err.contains("missing")
            && err.contains("--repair"),
        "{err}"
    );

    let (n, err) = events_applied(&config, &["--repair"]).await;
    assert_eq!(n, 1_000, "{err}");
    assert!(err.contains("missing"), "{err}");
    let (n, _) = events_applied(&config, &[]).await;
    assert_eq!(n, 1_000);
    assert!(!named(&data, ".log").is_empty());
}

/// The newest checkpoint is unreadable: start-up falls back to the older
/// one and replays the log from there (segments are kept back to it), so
/// nothing is lost. It used to stop on the missing records: the start
/// before the kill had removed the segment the fallback needs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_newest_checkpoint_falls_back_to_the_older_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), "interval");
    let data = dir.path().join("data");
    let client = reqwest::Client::new();
    let (lines, _) = stream(1_500, 31);

    // Two runs, each ending with a clean stop and its checkpoint (at
    // records 5 and 10), then a third killed after logging 11–15.
    for part in lines[..1_000].chunks(500) {
        let mut server = start(&config, &[]).expect("start");
        assert!(server.ready(&client).await, "{}", server.stderr());
        for chunk in part.chunks(100) {
            assert!(
                post(&client, &server.base, chunk.join("\n"))
                    .await
                    .is_some()
            );
        }
        stop(&mut server);
    }
    logged_then_killed(&config, &lines[1_000..]).await;
    let checkpoints = named(&data, ".bin")
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("checkpoint-"))
        .collect::<Vec<_>>();
    assert_eq!(checkpoints.len(), 2, "the newest and its fallback");
    let newest = checkpoints.last().expect("newest");
    let mut bytes = std::fs::read(newest).expect("read");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x5a;
    std::fs::write(newest, &bytes).expect("damage the newest checkpoint");

    let (n, err) = events_applied(&config, &[]).await;
    assert_eq!(n, 1_500, "{err}");
    assert!(err.contains("checkpoint unusable"), "{err}");
    // Once more, now that a start has replayed from the fallback.
    let (n, _) = events_applied(&config, &[]).await;
    assert_eq!(n, 1_500);
}
