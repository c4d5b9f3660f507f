//! Recovery of a data directory made from arbitrary bytes, with the
//! promises of docs/api.md, Recovery, checked: for the `recovery` fuzz
//! target and the stable test that runs the same checks over its seeds
//! and pseudo-random mutations (`tests/it/fuzz_recovery.rs`).
//!
//! One input is either *raw* (first byte even): the rest split on
//! [`SPLIT`] into a log segment, a checkpoint and a key file, written as
//! they are; or *damaged* (first byte odd): a log of whole records the
//! probe frames itself (so checksums hold), then damaged as the bytes say
//! (bytes flipped, ranges zeroed, the file cut short). Every input checks:
//! no panic; an offline read changes no file; a start either recovers or
//! fails naming a file of the directory; `--repair` recovers (only a newer
//! format stops it), agrees with a start that succeeded, and leaves a
//! directory that recovers again to the same state. A damaged input also
//! checks that `--repair` keeps exactly the records left intact.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use super::format::log::{HEADER, Next, frame, marker, next_record};
use super::recovery::{Mode, Recovered, RecoveryError, recover};
use crate::config::Config;
use crate::engine::Engine;
use crate::event::Batch;

/// Separates the parts of a raw input.
pub const SPLIT: &[u8] = b"\n--part--\n";

const SALE: &str = r#"
[sale]
name = "probe"
currency = "CNY"
timezone = "Asia/Shanghai"
starts = "2026-11-11T00:00:00+08:00"
ends = "2026-11-12T00:00:00+08:00"
target = "1000000"

[[skus]]
id = "k1"
stock = 10
"#;

const NOW_MS: i64 = 1_794_330_000_000;

fn config() -> Option<Arc<Config>> {
    static CFG: OnceLock<Option<Arc<Config>>> = OnceLock::new();
    CFG.get_or_init(|| {
        crate::config::parse_str(SALE, "probe.toml", Path::new("."))
            .ok()
            .map(Arc::new)
    })
    .clone()
}

/// Batch payloads of 1, 2 and 3 events, encoded as the log does.
fn payloads() -> &'static [(Vec<u8>, u64)] {
    static P: OnceLock<Vec<(Vec<u8>, u64)>> = OnceLock::new();
    P.get_or_init(|| {
        let cur = crate::money::Currency::from_code("CNY");
        let Some(cur) = cur else { return Vec::new() };
        let rules = crate::ingest::Rules::new(&cur, NOW_MS);
        (1..=3u64)
            .filter_map(|n| {
                let body: Vec<String> = (0..n)
                    .map(|i| format!(r#"{{"type":"order","id":"p{n}-{i}","ts":{NOW_MS},"store":"s1","items":[{{"sku":"k1","qty":1,"price":"1.00"}}]}}"#))
                    .collect();
                let body = body.join("\n");
                let parsed = crate::ingest::parse(body.as_bytes(), false, &rules).ok()?;
                let mut out = Vec::new();
                super::encode_record(&parsed.batch, &mut out);
                super::stamp_record(&mut out, NOW_MS);
                Some((out, parsed.batch.len() as u64))
            })
            .collect()
    })
}

/// Runs every check on one input; panics on a broken promise.
#[doc(hidden)]
pub fn check(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        raw(rest);
    } else {
        damaged(rest);
    }
}

fn raw(rest: &[u8]) {
    let mut parts = split(rest).into_iter();
    let segment = parts.next().unwrap_or_default();
    let checkpoint = parts.next().unwrap_or_default();
    let keys = parts.next().unwrap_or_default();
    let lsn = checkpoint
        .get(8..16)
        .and_then(|b| b.try_into().ok())
        .map_or(1, u64::from_le_bytes);
    let mut files = vec![(super::wal::segment_name(1), segment.to_vec())];
    if !checkpoint.is_empty() {
        files.push((super::checkpoint::name(lsn), checkpoint.to_vec()));
    }
    if !keys.is_empty() {
        files.push((super::keys::name(lsn), keys.to_vec()));
    }
    common(&files);
}

fn split(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while let Some(i) = rest.windows(SPLIT.len()).position(|w| w == SPLIT) {
        out.push(&rest[..i]);
        rest = &rest[i + SPLIT.len()..];
    }
    out.push(rest);
    out
}

/// The checks every input gets; returns what `--repair` recovered.
fn common(files: &[(String, Vec<u8>)]) -> Option<(Recovered, u64)> {
    let cfg = config()?;
    // Offline: nothing changes.
    let dir = populate(files)?;
    let before = contents(dir.path());
    let _ = run(&cfg, dir.path(), Mode::ReadOnly);
    assert!(
        before == contents(dir.path()),
        "an offline read changed a file"
    );
    // A start: recovered, or an error naming a file of the directory.
    let dir = populate(files)?;
    let normal = run(&cfg, dir.path(), Mode::Normal);
    if let Err(e) = &normal {
        let msg = e.to_string();
        assert!(
            msg.contains(&*dir.path().to_string_lossy()),
            "an error that names no file: {msg}"
        );
    }
    // `--repair`: recovers unless a file is newer than this build.
    let dir = populate(files)?;
    let repaired = match run(&cfg, dir.path(), Mode::Repair) {
        Ok(r) => r,
        Err(RecoveryError::Format { source, .. }) if source.is_newer() => return None,
        Err(e) => panic!("--repair failed: {e}"),
    };
    if let Ok(n) = &normal {
        assert_eq!(
            (n.0.last_lsn, n.1),
            (repaired.0.last_lsn, repaired.1),
            "--repair recovered otherwise than a start that succeeded"
        );
    }
    // The repaired directory reads again to the same state (across a gap
    // only with `--repair` again: the server checkpoints after it).
    let again_mode = if repaired.0.gap {
        Mode::Repair
    } else {
        Mode::Normal
    };
    match run(&cfg, dir.path(), again_mode) {
        Ok(again) => assert_eq!(
            (again.0.last_lsn, again.1),
            (repaired.0.last_lsn, repaired.1),
            "the repaired directory recovers to another state"
        ),
        Err(e) => panic!("the repaired directory does not recover: {e}"),
    }
    Some(repaired)
}

fn run(cfg: &Arc<Config>, dir: &Path, mode: Mode) -> Result<(Recovered, u64), RecoveryError> {
    let engine = Engine::new(
        cfg.clone(),
        Arc::new(crate::clock::ManualClock::new(NOW_MS)),
    );
    let r = recover(dir, &engine, mode)?;
    Ok((r, engine.read(|st, _| st.events_applied)))
}

fn populate(files: &[(String, Vec<u8>)]) -> Option<tempfile::TempDir> {
    // In memory where there is a tmpfs: recovery syncs what it changes,
    // and thousands of inputs a second cannot wait for a disk.
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm).ok()?
    } else {
        tempfile::tempdir().ok()?
    };
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).ok()?;
    }
    Some(dir)
}

fn contents(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| (e.path(), std::fs::read(e.path()).unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// A log of whole records, then damage; `--repair` must keep exactly the
/// records the damage left intact (unless the damage made a record of its
/// own that verifies, which may then claim their place).
fn damaged(rest: &[u8]) {
    let payloads = payloads();
    let Some((&n, ops)) = rest.split_first() else {
        return;
    };
    if payloads.is_empty() {
        return;
    }
    let mut log = marker();
    let mut records = Vec::new();
    for lsn in 1..=u64::from(n % 40) {
        let (payload, events) = &payloads[lsn as usize % payloads.len()];
        let start = log.len();
        frame(lsn, payload, &mut log);
        records.push((start..log.len(), *events));
    }
    let original = log.clone();
    for op in ops.chunks_exact(4) {
        if log.is_empty() {
            break;
        }
        let at = usize::from(u16::from_le_bytes([op[1], op[2]])) % log.len();
        match op[0] % 4 {
            0 | 1 => log[at] ^= op[3].max(1),
            2 => {
                let end = (at + usize::from(op[3])).min(log.len());
                log[at..end].fill(0);
            }
            _ => log.truncate(at),
        }
    }
    let intact: Vec<_> = records
        .iter()
        .filter(|(r, _)| log.get(r.clone()) == original.get(r.clone()))
        .collect();
    let made_up = (0..log.len()).any(|at| match next_record(&log, at) {
        Next::Record { lsn, .. } => {
            let marker = at == 0 && lsn == 0;
            let original = intact.iter().any(|(r, _)| r.start == at);
            !marker && !original
        }
        _ => false,
    });
    let intact: u64 = intact.iter().map(|(_, events)| events).sum();
    let files = [(super::wal::segment_name(1), log)];
    // Events in the records applied (the payloads repeat their ids, so
    // the engine counts most as duplicates).
    let Some((Recovered { events, .. }, _)) = common(&files) else {
        return;
    };
    if !made_up {
        assert_eq!(
            events, intact,
            "--repair kept other events than the intact records'"
        );
    }
}

/// Inputs to start fuzzing from: healthy logs, raw and framed, and a few
/// kinds of damage.
#[doc(hidden)]
pub fn seeds() -> Vec<Vec<u8>> {
    let mut log = marker();
    for (lsn, (payload, _)) in (1..=5).zip(payloads().iter().cycle()) {
        frame(lsn, payload, &mut log);
    }
    let raw = [&[0u8][..], &log].concat();
    let torn = [&[0u8][..], &log[..log.len() - 3]].concat();
    let zeros = [&[0u8][..], &log, &[0u8; 64]].concat();
    let split = [&[0u8][..], &log, SPLIT, b"WRCP0002", SPLIT, b"WRKY0001"].concat();
    let mut out = vec![raw, torn, zeros, split];
    for ops in [
        &[][..],
        &[0, 60, 0, 0x10][..],
        &[2, 100, 0, 40][..],
        &[3, 200, 0, 0][..],
        &[0, 40, 0, 1, 2, 150, 0, 20, 3, 250, 0, 0][..],
    ] {
        out.push([&[1u8, 12][..], ops].concat());
    }
    // Bytes of a batch, for the fuzzer's dictionary of shapes.
    if let Some((p, _)) = payloads().first() {
        let mut b = Batch::default();
        if super::format::log::decode_payload(super::format::log::VERSION, p, &mut b).is_ok() {
            out.push([&[0u8][..], &p[..p.len().min(HEADER)]].concat());
        }
    }
    out
}
