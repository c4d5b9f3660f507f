//! Key files: the idempotency keys, written a slice at a time
//! (`format::key_file` says what is in one).
//!
//! `keys-<lsn>.bin` holds the keys first applied after the previous key
//! file and up to log record `lsn`; written just before the checkpoint at
//! `lsn`, so a checkpoint's key set is the union of the key files at or
//! below its LSN. Keys are only ever added, so each checkpoint writes only
//! what is new (16 bytes a key) instead of the whole set again. A key file
//! above the checkpoint recovery starts from belongs to a checkpoint that
//! never completed; recovery removes it (replay adds those keys back, and
//! the next key file holds them). Written to a temporary file, synced and
//! renamed like a checkpoint.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::format::{FormatError, key_file};
use super::wal::{numbered_files, sync_dir};

pub fn name(lsn: u64) -> String {
    format!("keys-{lsn:020}.bin")
}

/// Key files in `dir`, oldest first, with their LSNs.
pub fn list(dir: &Path) -> std::io::Result<Vec<(u64, PathBuf)>> {
    numbered_files(dir, "keys-", ".bin")
}

/// Writes the keys new up to `lsn`.
pub fn write(dir: &Path, lsn: u64, keys: &[u128]) -> std::io::Result<PathBuf> {
    let tmp = dir.join(format!("{}.tmp", name(lsn)));
    key_file::write(File::create(&tmp)?, lsn, keys)?.sync_all()?;
    let path = dir.join(name(lsn));
    std::fs::rename(&tmp, &path)?;
    sync_dir(dir)?;
    Ok(path)
}

/// Reads one key file, of any format this build reads.
pub fn read(path: &Path) -> Result<Vec<u128>, FormatError> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| FormatError::Unreadable(e.to_string()))?;
    key_file::decode(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_durably_and_listed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let keys: Vec<u128> = (1..1000u128).map(|i| i << 70 | i).collect();
        let path = write(dir.path(), 42, &keys).expect("write");
        assert_eq!(read(&path).expect("read"), keys);
        write(dir.path(), 7, &[]).expect("write empty");
        let listed: Vec<u64> = list(dir.path())
            .expect("list")
            .into_iter()
            .map(|f| f.0)
            .collect();
        assert_eq!(listed, vec![7, 42], "oldest first, no temporary files");
        assert!(matches!(
            read(&dir.path().join(name(99))),
            Err(FormatError::Unreadable(_))
        ));
    }
}
