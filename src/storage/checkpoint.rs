//! Checkpoints: the whole engine state at one log position, in one file.
//!
//! `checkpoint-<lsn>.bin` holds every counter, window, stock level and
//! buyer as of log record `lsn`; its idempotency keys are in the key files
//! at or below `lsn` (`keys`). It is written to a
//! temporary file, synced, renamed into place and the directory synced, so
//! a crash leaves either the old checkpoint or the new one, never half of
//! one. Layout: `WRCP0002 | lsn u64 | len u64 | crc32c u32 | postcard(State)`.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::wal::{numbered_files, sync_dir};
use crate::engine::State;

const MAGIC: &[u8; 8] = b"WRCP0002";
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

/// Writes `state` as of `lsn`; removes checkpoints older than the last `KEEP`.
pub fn write(dir: &Path, lsn: u64, state: &State) -> std::io::Result<PathBuf> {
    let body = postcard::to_stdvec(state).map_err(std::io::Error::other)?;
    let tmp = dir.join(format!("{}.tmp", name(lsn)));
    {
        let mut f = BufWriter::new(File::create(&tmp)?);
        f.write_all(MAGIC)?;
        f.write_all(&lsn.to_le_bytes())?;
        f.write_all(&(body.len() as u64).to_le_bytes())?;
        f.write_all(&crc32c::crc32c(&body).to_le_bytes())?;
        f.write_all(&body)?;
        f.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    }
    let path = dir.join(name(lsn));
    std::fs::rename(&tmp, &path)?;
    sync_dir(dir)?;
    for (_, old) in list(dir)?.into_iter().skip(KEEP + 1) {
        let _ = std::fs::remove_file(old);
    }
    Ok(path)
}

/// Reads one checkpoint; an error names what is wrong with it.
pub fn read(path: &Path) -> Result<(u64, State), String> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.starts_with(b"WRCP0001") {
        return Err(
            "format 1, from an older warroom (keys inside); not readable by this one".into(),
        );
    }
    if bytes.len() < 28 || &bytes[..8] != MAGIC {
        return Err("not a warroom checkpoint".into());
    }
    let word = |at: usize| {
        let mut a = [0u8; 8];
        a.copy_from_slice(&bytes[at..at + 8]);
        u64::from_le_bytes(a)
    };
    let (lsn, len) = (word(8), word(16) as usize);
    let mut c = [0u8; 4];
    c.copy_from_slice(&bytes[24..28]);
    let body = bytes.get(28..28 + len).ok_or("truncated")?;
    if crc32c::crc32c(body) != u32::from_le_bytes(c) {
        return Err("checksum mismatch".into());
    }
    let state = postcard::from_bytes(body).map_err(|e| format!("cannot decode: {e}"))?;
    Ok((lsn, state))
}
