//! `log-head.json`: which log segment is the newest, so that losing it is
//! caught even where the log could otherwise look as if it simply ended.
//!
//! A checkpoint tells recovery where the log must go on, but not how far
//! it went: a directory whose newest segment was deleted looks exactly like
//! one whose log ended there whenever an older segment still reaches the
//! checkpoint (right after a clean stop, and — since segments are kept back
//! to the fallback checkpoint — for a whole checkpoint interval). The
//! writer therefore records the first record number of every segment it
//! opens, after the segment exists and before any record goes into it;
//! recovery requires that segment to be there. A crash between the two
//! steps leaves the head naming the previous segment, which still exists.
//!
//! Format 1: `{"version": 1, "segment": <first record number>}`, written to
//! a temporary file, synced and renamed, then the directory synced. A
//! directory without the file (written before it existed) is not checked;
//! its next start writes one. Older builds ignore it.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::wal::sync_dir;

pub const HEAD_FILE: &str = "log-head.json";
const VERSION: u64 = 1;

#[derive(serde::Serialize, serde::Deserialize)]
struct HeadV1 {
    version: u64,
    segment: u64,
}

/// Why the head cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum HeadError {
    #[error("{0}: cannot read: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("{0}: not a log head: {1}")]
    Damaged(PathBuf, String),
    #[error("{0}: format {1} is newer than this warroom (reads up to {VERSION}); upgrade warroom")]
    Newer(PathBuf, u64),
}

/// Records that the newest segment starts at record `first`.
pub fn write(dir: &Path, first: u64) -> std::io::Result<()> {
    let tmp = dir.join(format!("{HEAD_FILE}.tmp"));
    let body = serde_json::to_vec(&HeadV1 {
        version: VERSION,
        segment: first,
    })
    .map_err(std::io::Error::other)?;
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&body)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, dir.join(HEAD_FILE))?;
    // Renamed: the head names the new segment now, so the caller must keep
    // that segment whatever happens next. A failed directory sync means a
    // power cut may bring back the previous head, which names a segment
    // that still exists: harmless, so it is only reported.
    if let Err(e) = sync_dir(dir) {
        tracing::warn!(error = %e, "cannot sync the data directory after updating the log head");
    }
    Ok(())
}

/// The first record number of the newest segment, if the directory
/// records one.
pub fn read(dir: &Path) -> Result<Option<u64>, HeadError> {
    let path = dir.join(HEAD_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(HeadError::Io(path, e)),
    };
    let v: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| HeadError::Damaged(path.clone(), e.to_string()))?;
    match v.get("version").and_then(serde_json::Value::as_u64) {
        Some(VERSION) => {}
        Some(n) if n > VERSION => return Err(HeadError::Newer(path, n)),
        _ => return Err(HeadError::Damaged(path, "no known \"version\"".into())),
    }
    let head: HeadV1 =
        serde_json::from_value(v).map_err(|e| HeadError::Damaged(path.clone(), e.to_string()))?;
    Ok(Some(head.segment))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_read_and_refused_when_newer_or_damaged() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(matches!(read(dir.path()), Ok(None)));
        write(dir.path(), 42).expect("write");
        assert_eq!(read(dir.path()).ok().flatten(), Some(42));
        write(dir.path(), 43).expect("write again");
        assert_eq!(read(dir.path()).ok().flatten(), Some(43));
        std::fs::write(dir.path().join(HEAD_FILE), br#"{"version":2,"segment":1}"#).expect("newer");
        assert!(matches!(read(dir.path()), Err(HeadError::Newer(_, 2))));
        std::fs::write(dir.path().join(HEAD_FILE), b"\0\0").expect("damaged");
        assert!(matches!(read(dir.path()), Err(HeadError::Damaged(..))));
    }
}
