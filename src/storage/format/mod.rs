//! The bytes of a data directory: every file format storage writes, each
//! with its version, and the conversions that let a newer warroom read
//! what an older one wrote.
//!
//! ## Versions
//!
//! | format | file | written | read |
//! |---|---|---|---|
//! | checkpoint | `checkpoint-<lsn>.bin` | 4 (`WRCP0004`) | 2 (dense timelines, converted), 3 (no traffic, spend, regions or campaigns: read empty), 4; 1 is refused (never released in a readable form) |
//! | key file | `keys-<lsn>.bin` | 1 (`WRKY0001`) | 1 |
//! | log segment | `wal-<lsn>.log` | 4 (marker `WRLG0004`; batches may hold traffic, spend, regions and campaigns) | 1 (no marker), 2, 3 (each payload stamped with its receive time), 4 |
//! | sale record | `sale.json` | 2 (`"version": 2`) | 1 (the whole config, no `version`; its secrets are dropped), 2 |
//! | log head | `log-head.json` | 1 (`"version": 1`, see `storage::head`) | 1; a directory without one is not checked |
//! | identity | `identity.json` | 1 (`"version": 1`) | 1; a directory without one takes the identity its `sale.json` records |
//! | stream | `stream.json` (cluster mode only) | 1 (`"version": 1`) | 1 |
//!
//! The first release (data-directory generation 1, the `upgrade-v1`
//! fixture) wrote checkpoint 2, key file 1, log 1 and sale record 1;
//! generation 2 (the `upgrade-v2` fixture) wrote log 2, sale record 2 and
//! identity 1; generation 3 (the `upgrade-v3` fixture) wrote checkpoint 3,
//! whose timelines hold the chunks seen instead of every minute from the
//! sale's start, and log 3, whose records carry the time they were applied
//! at (replay reads no clock). This build (generation 4) writes checkpoint
//! 4, which adds every scope's traffic and spend, SKU page visits, the
//! regions and campaigns, and log 4, whose batches may hold the events
//! that carry them (traffic, spend; an order's region and campaign). An
//! older build cannot read a newer generation's checkpoint or log (it
//! refuses both by name): going back needs the backup taken before the
//! upgrade (docs/operations.md, Upgrades).
//!
//! A file in a format newer than this build is refused by name ("format 5
//! is newer than this warroom (reads up to 4); upgrade warroom"), never
//! taken for damage: start-up stops and `--repair` leaves it alone.
//!
//! The formats are storage's own types: the engine's in-memory structs do
//! not define the bytes (`checkpoint_v4` mirrors them and `state_v4`
//! converts field by field, so an engine change fails to compile there
//! instead of changing the format). When a format changes: add its new
//! version beside the old one, convert old → new on read, bump the
//! version written, and add a fixture (`tests/data/upgrade-vN/`) written by
//! the last build before the change.
//!
//! - `checkpoint` — the checkpoint file: header, checksum, body by version.
//! - `checkpoint_v2` — the checkpoint body of format 2 (read only).
//! - `checkpoint_v3` — the checkpoint body of format 3 (read only).
//! - `checkpoint_v4` — the checkpoint body of format 4.
//! - `state_v2` — checkpoint body 2 → engine state.
//! - `state_v3` — checkpoint body 3 → engine state.
//! - `state_v4` — engine state ⇄ checkpoint body 4, and bodies 2 and 3 → 4.
//! - `notes_v4` — the war-room log's notes in body 4 (its last field).
//! - `prices_v4` — the SKUs' hourly price records, the last part of body 4.
//! - `rows_v4` — the rows of body 4 (scopes, timelines, SKUs, regions,
//!   campaigns) ⇄ the engine's.
//! - `key_file` — the idempotency key file.
//! - `log` — log segments: record framing, the format marker.
//! - `batch` — a log record's payload: a batch of events.
//! - `sale` — `sale.json`, the sale the directory holds.
//! - `identity` — `identity.json`, the sale the directory belongs to.
//! - `stream` — `stream.json`, the stream a cluster node's checkpoints follow.

/// `From` both ways between an in-memory struct and its twin in a format:
/// every field named in both patterns (no `..`, so a field added on either
/// side fails to compile) and converted with `into` (the identity where
/// the types are the same).
macro_rules! twins {
    ($ours:ident <-> $disk:ident { $($field:ident),* $(,)? }) => {
        impl From<$ours> for $disk {
            fn from(x: $ours) -> $disk {
                let $ours { $($field),* } = x;
                $disk { $($field: $field.into()),* }
            }
        }
        impl From<$disk> for $ours {
            fn from(x: $disk) -> $ours {
                let $disk { $($field),* } = x;
                $ours { $($field: $field.into()),* }
            }
        }
    };
}

pub mod batch;
pub mod checkpoint;
mod checkpoint_v2;
mod checkpoint_v3;
mod checkpoint_v4;
pub mod identity;
pub mod key_file;
pub mod log;
mod notes_v4;
mod periods_v4;
mod prices_v4;
mod rows_v4;
pub mod sale;
mod state_v2;
mod state_v3;
mod state_v4;
pub mod stream;
#[cfg(test)]
mod tests_v4;

/// Why a file cannot be read. The caller names the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("format {found} is newer than this warroom (reads up to {reads}); upgrade warroom")]
    Newer { found: u32, reads: u32 },
    #[error("format {found}, from an older warroom ({why}); not readable by this one")]
    Retired { found: u32, why: &'static str },
    #[error("not a warroom {0}")]
    Foreign(&'static str),
    #[error("cannot read: {0}")]
    Unreadable(String),
    #[error("truncated: {0}")]
    Truncated(String),
    #[error("checksum mismatch")]
    Checksum,
    #[error("cannot decode: {0}")]
    Decode(String),
    #[error("cannot encode: {0}")]
    Encode(String),
}

impl FormatError {
    /// A newer format stops start-up; any other fault may be worked around
    /// (an older checkpoint, `--repair`).
    pub fn is_newer(&self) -> bool {
        matches!(self, FormatError::Newer { .. })
    }
}

/// The version in an 8-byte magic `<tag><4 digits>` (`WRCP0002` → 2), or
/// `None` when `bytes` does not start with `tag` and four digits.
pub fn magic_version(bytes: &[u8], tag: &[u8; 4]) -> Option<u32> {
    let digits = bytes.get(4..8).filter(|_| bytes.starts_with(tag))?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

/// The 8-byte magic of `version` (`magic(b"WRCP", 2)` → `WRCP0002`).
pub fn magic(tag: &[u8; 4], version: u32) -> [u8; 8] {
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(tag);
    out[4..].copy_from_slice(format!("{:04}", version % 10_000).as_bytes());
    out
}

/// Refuses versions above `reads`.
pub fn not_newer(found: u32, reads: u32) -> Result<u32, FormatError> {
    if found > reads {
        return Err(FormatError::Newer { found, reads });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magics_carry_their_version() {
        assert_eq!(&magic(b"WRCP", 2), b"WRCP0002");
        assert_eq!(magic_version(b"WRCP0002rest", b"WRCP"), Some(2));
        assert_eq!(magic_version(b"WRKY0013", b"WRKY"), Some(13));
        assert_eq!(magic_version(b"WRKY0001", b"WRCP"), None);
        assert_eq!(magic_version(b"WRCP00x2", b"WRCP"), None);
        assert_eq!(magic_version(b"WRCP", b"WRCP"), None);
        let newer = not_newer(3, 2).expect_err("newer");
        assert!(newer.is_newer());
        assert_eq!(
            newer.to_string(),
            "format 3 is newer than this warroom (reads up to 2); upgrade warroom"
        );
        assert_eq!(not_newer(2, 2), Ok(2));
    }
}
