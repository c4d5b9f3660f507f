//! Key files: the idempotency keys, written a slice at a time.
//!
//! `keys-<lsn>.bin` holds the keys first applied after the previous key
//! file and up to log record `lsn`; written just before the checkpoint at
//! `lsn`, so a checkpoint's key set is the union of the key files at or
//! below its LSN. Keys are only ever added, so each checkpoint writes only
//! what is new (16 bytes a key) instead of the whole set again. A key file
//! above the checkpoint recovery starts from belongs to a checkpoint that
//! never completed; recovery removes it (replay adds those keys back, and
//! the next key file holds them). Layout: `WRKY0001 | lsn u64 | count u64 |
//! crc32c u32 | count × u128 (little-endian)`, written to a temporary file,
//! synced and renamed like a checkpoint.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::wal::{numbered_files, sync_dir};

const MAGIC: &[u8; 8] = b"WRKY0001";
const HEAD: usize = 28;

pub fn name(lsn: u64) -> String {
    format!("keys-{lsn:020}.bin")
}

/// Key files in `dir`, oldest first, with their LSNs.
pub fn list(dir: &Path) -> std::io::Result<Vec<(u64, PathBuf)>> {
    numbered_files(dir, "keys-", ".bin")
}

/// Writes the keys new up to `lsn`: one pass, the checksum filled in last.
pub fn write(dir: &Path, lsn: u64, keys: &[u128]) -> std::io::Result<PathBuf> {
    let tmp = dir.join(format!("{}.tmp", name(lsn)));
    {
        let mut f = BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
        f.write_all(MAGIC)?;
        f.write_all(&lsn.to_le_bytes())?;
        f.write_all(&(keys.len() as u64).to_le_bytes())?;
        f.write_all(&[0; 4])?;
        let mut crc = 0u32;
        let mut buf = Vec::with_capacity(4096 * 16);
        for chunk in keys.chunks(4096) {
            buf.clear();
            for k in chunk {
                buf.extend_from_slice(&k.to_le_bytes());
            }
            crc = crc32c::crc32c_append(crc, &buf);
            f.write_all(&buf)?;
        }
        let mut file = f.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(24))?;
        file.write_all(&crc.to_le_bytes())?;
        file.sync_all()?;
    }
    let path = dir.join(name(lsn));
    std::fs::rename(&tmp, &path)?;
    sync_dir(dir)?;
    Ok(path)
}

/// Reads one key file; an error says what is wrong with it.
pub fn read(path: &Path) -> Result<Vec<u128>, String> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() < HEAD || &bytes[..8] != MAGIC {
        return Err("not a warroom key file".into());
    }
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[16..24]);
    let count = u64::from_le_bytes(w) as usize;
    let body = &bytes[HEAD..];
    if Some(body.len()) != count.checked_mul(16) {
        return Err(format!(
            "truncated: {} bytes of keys, {count} keys expected",
            body.len()
        ));
    }
    let mut c = [0u8; 4];
    c.copy_from_slice(&bytes[24..28]);
    if crc32c::crc32c(body) != u32::from_le_bytes(c) {
        return Err("checksum mismatch".into());
    }
    Ok(body
        .chunks_exact(16)
        .map(|b| {
            let mut k = [0u8; 16];
            k.copy_from_slice(b);
            u128::from_le_bytes(k)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let dir = tempfile::tempdir().expect("tempdir");
        let keys: Vec<u128> = (0..10_000u128)
            .map(|i| (i * 0x9E37_79B9_7F4A_7C15_u128) << 3)
            .collect();
        let path = write(dir.path(), 42, &keys).expect("write");
        assert_eq!(read(&path).expect("read"), keys);
        assert_eq!(list(dir.path()).expect("list"), vec![(42, path.clone())]);
        let mut bytes = std::fs::read(&path).expect("bytes");
        bytes[HEAD + 5] ^= 1;
        std::fs::write(&path, &bytes).expect("damage");
        assert_eq!(read(&path), Err("checksum mismatch".into()));
        std::fs::write(&path, &bytes[..bytes.len() - 3]).expect("cut");
        assert!(read(&path).is_err_and(|e| e.starts_with("truncated")));
        let empty = write(dir.path(), 43, &[]).expect("write empty");
        assert_eq!(read(&empty).expect("read empty"), Vec::<u128>::new());
    }
}
