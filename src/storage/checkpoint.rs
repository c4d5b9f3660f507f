//! Checkpoint files: the whole engine state at one log position, in one
//! file (`format::checkpoint` says what is in it).
//!
//! `checkpoint-<lsn>.bin` holds every counter, window, stock level and
//! buyer as of log record `lsn`; its idempotency keys are in the key files
//! at or below `lsn` (`keys`). It is written to a temporary file, synced,
//! renamed into place and the directory synced, so a crash leaves either
//! the old checkpoint or the new one, never half of one. Then it is read
//! back from disk — checksum and a full decode — and only a checkpoint that
//! reads back makes anything redundant ([`retire`]): older checkpoints
//! beyond the fallback, and the log segments the fallback covers (so the
//! fallback can still be replayed from if the newest is damaged).

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::format::FormatError;
use super::format::checkpoint::Checkpoint;
use super::wal::{numbered_files, sync_dir};

/// Checkpoints kept besides the newest (a fallback if it is damaged).
const KEEP: usize = 1;

pub fn name(lsn: u64) -> String {
    format!("checkpoint-{lsn:020}.bin")
}

/// Checkpoint files in `dir`, newest first, with their LSNs.
pub fn list(dir: &Path) -> std::io::Result<Vec<(u64, PathBuf)>> {
    let mut out = numbered_files(dir, "checkpoint-", ".bin")?;
    out.reverse();
    Ok(out)
}

/// Writes `cp` durably as `checkpoint-<lsn>.bin`; returns its path.
pub fn write(dir: &Path, cp: &Checkpoint) -> std::io::Result<PathBuf> {
    let bytes = cp.encode().map_err(std::io::Error::other)?;
    let tmp = dir.join(format!("{}.tmp", name(cp.lsn)));
    {
        let mut f = File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
    }
    let path = dir.join(name(cp.lsn));
    std::fs::rename(&tmp, &path)?;
    sync_dir(dir)?;
    Ok(path)
}

/// Reads one checkpoint, of any format this build reads.
pub fn read(path: &Path) -> Result<Checkpoint, FormatError> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| FormatError::Unreadable(e.to_string()))?;
    Checkpoint::decode(&bytes)
}

/// Reads a just-written checkpoint back from disk: it must decode whole
/// and hold what was written (`lsn`, `keys`).
pub fn verify(path: &Path, lsn: u64, keys: u64) -> Result<(), String> {
    let cp = read(path).map_err(|e| e.to_string())?;
    if (cp.lsn, cp.keys()) != (lsn, keys) {
        return Err(format!(
            "reads back as record {} with {} keys, not {lsn} with {keys}",
            cp.lsn,
            cp.keys()
        ));
    }
    Ok(())
}

/// Once the checkpoint at `path` reads back as written, removes what it
/// makes redundant: checkpoints older than the last `KEEP`, and the log
/// segments whose records it all covers. If it does not read back, it is
/// removed instead and everything else kept (the log still has every
/// record since the previous checkpoint). Returns the segments removed.
pub fn retire(dir: &Path, path: &Path, lsn: u64, keys: u64) -> std::io::Result<usize> {
    if let Err(reason) = verify(path, lsn, keys) {
        let _ = std::fs::remove_file(path);
        return Err(std::io::Error::other(format!(
            "{}: the checkpoint just written does not read back ({reason}); the log segments it covers are kept",
            path.display()
        )));
    }
    for (_, old) in list(dir)?.into_iter().skip(KEEP + 1) {
        let _ = std::fs::remove_file(old);
    }
    drop_behind_fallback(dir)
}

/// Removes the log segments the *fallback* checkpoint (the older one
/// kept) covers, not those the newest covers: if the newest turns out
/// unreadable, recovery loads the fallback and replays the log from there,
/// so that log must still be on disk. Costs up to one checkpoint interval
/// more of log. With no fallback yet, nothing is removed.
pub fn drop_behind_fallback(dir: &Path) -> std::io::Result<usize> {
    match list(dir)?.get(KEEP) {
        Some((fallback, _)) => drop_covered(dir, *fallback),
        None => Ok(0),
    }
}

/// Removes the log segments whose records the checkpoint at `lsn` all
/// covers: those followed by a segment starting at or before `lsn + 1`.
/// The segment the log goes on in — the one holding record `lsn + 1`, or
/// starting there — is never removed, and neither is the last one (the
/// one `log-head.json` names). Returns the segments removed.
fn drop_covered(dir: &Path, lsn: u64) -> std::io::Result<usize> {
    let mut removed = 0;
    let segs = super::recovery::segments(dir)?;
    for pair in segs.windows(2) {
        let ((_, path), (next_first, _)) = (&pair[0], &pair[1]);
        if next_first.saturating_sub(1) <= lsn {
            std::fs::remove_file(path)?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Records in the checkpoint at `lsn` that its key files hold `keys` keys
/// (`--repair` after a key file was lost), rewriting it in this build's
/// format.
pub fn set_keys(dir: &Path, lsn: u64, keys: u64) -> std::io::Result<()> {
    let mut cp = read(&dir.join(name(lsn))).map_err(std::io::Error::other)?;
    cp.set_keys(keys);
    write(dir, &cp).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::State;

    fn segment(dir: &Path, first: u64) -> PathBuf {
        let path = dir.join(super::super::wal::segment_name(first));
        std::fs::write(&path, b"").expect("segment");
        path
    }

    fn with_keys(n: u64) -> State {
        State {
            checkpoint_keys: n,
            ..State::default()
        }
    }

    #[test]
    fn segments_go_only_after_the_checkpoint_reads_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        let segs = [segment(d, 1), segment(d, 5), segment(d, 9)];
        let path = write(d, &Checkpoint::of(8, with_keys(3))).expect("write");

        // Damaged on its way to disk: nothing is removed but itself.
        let mut bytes = std::fs::read(&path).expect("read");
        let last = bytes.len() - 1;
        bytes[last] ^= 0x10;
        std::fs::write(&path, &bytes).expect("damage");
        let err = retire(d, &path, 8, 3).expect_err("must not verify");
        assert!(err.to_string().contains("does not read back"), "{err}");
        assert!(segs.iter().all(|s| s.exists()), "every segment kept");
        assert!(!path.exists(), "the bad checkpoint is removed");

        // Whole, but not what was written (another key count).
        let path = write(d, &Checkpoint::of(8, with_keys(2))).expect("write");
        assert!(retire(d, &path, 8, 3).is_err());
        assert!(segs.iter().all(|s| s.exists()), "every segment kept");

        // As written, but the only checkpoint: no fallback yet, so every
        // segment stays (a damaged newest would need the log from 1).
        let path = write(d, &Checkpoint::of(8, with_keys(3))).expect("write");
        assert_eq!(retire(d, &path, 8, 3).expect("retire"), 0);
        assert!(segs.iter().all(|s| s.exists()), "every segment kept");

        // A newer one at 12: the one at 8 is its fallback, so the segments
        // 8 covers go (records 1–4 and 5–8) and the one holding 9 stays.
        let path = write(d, &Checkpoint::of(12, with_keys(3))).expect("write");
        assert_eq!(retire(d, &path, 12, 3).expect("retire"), 2);
        assert!(!segs[0].exists() && !segs[1].exists() && segs[2].exists());
    }
}
