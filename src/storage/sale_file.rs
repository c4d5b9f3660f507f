//! `sale.json`: the data directory's own record of the sale it holds
//! (`format::sale` says what is in it, and that no secret ever is).
//!
//! `Storage::open` rewrites it in this build's format on every start, so a
//! directory written by an older warroom loses the secrets its old
//! `sale.json` held; `warroom export --data-dir` reads it to know the sale
//! without a config file.

use std::path::Path;

use super::format::FormatError;
use super::format::sale::SaleRecord;
use super::wal::sync_dir;
use crate::config::Config;

pub const SALE_FILE: &str = "sale.json";

/// Writes the record of `cfg`: temporary file, synced, renamed.
pub fn write(dir: &Path, cfg: &Config) -> std::io::Result<()> {
    let bytes = SaleRecord::of(cfg)
        .encode()
        .map_err(std::io::Error::other)?;
    replace(dir, SALE_FILE, &bytes)
}

/// A short digest of what `sale.json` records of `cfg` (the sale, its
/// targets and catalog): cluster nodes compare theirs, since apply reads
/// the catalog and nodes on different catalogs would drift apart.
pub fn fingerprint(cfg: &Config) -> String {
    let bytes = SaleRecord::of(cfg).encode().unwrap_or_default();
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&bytes))
}

/// Replaces `dir/name` with `bytes` whole: temporary file, synced, renamed,
/// the directory synced (also for `identity.json`).
pub fn replace(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = dir.join(format!("{name}.tmp"));
    {
        let mut f = std::fs::File::create(&tmp)?;
        std::io::Write::write_all(&mut f, bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, dir.join(name))?;
    sync_dir(dir)
}

/// The directory's record in this build's terms; `None` when it has none.
pub fn read(dir: &Path) -> Result<Option<SaleRecord>, FormatError> {
    match std::fs::read(dir.join(SALE_FILE)) {
        Ok(bytes) => SaleRecord::decode(&bytes).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(FormatError::Unreadable(e.to_string())),
    }
}
