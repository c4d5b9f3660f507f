//! Which sale a data directory belongs to, checked on every start before
//! anything is replayed (docs/api.md, Storage, "Identity").
//!
//! A directory records its sale's name, currency and start, and a random
//! id made when it was created (`identity.json`, see `format::identity`).
//! Another sale refuses to start on it, naming both sales and the
//! directory, unless started with `--adopt-data-dir`: replaying one sale's
//! events as another's (60,000 CNY orders counted as USD) is never what an
//! operator meant. A changed target, catalog, plan or end is a normal edit
//! during a sale and is not part of the identity.
//!
//! A directory from an older warroom has no identity file: it takes the
//! identity its `sale.json` recorded (and is refused the same way if that
//! names another sale), or the config's when it recorded none. Cluster
//! mode will add the identity of its stream beside the sale's here.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::format::{self, FormatError};
use super::sale_file::{self, SALE_FILE};
use crate::config::Sale;
use crate::money::Currency;

pub const IDENTITY_FILE: &str = "identity.json";

/// Whether a start may take over another sale's data directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Adopt {
    /// Another sale is refused (a plain start).
    #[default]
    No,
    /// `--adopt-data-dir`: any other sale's directory becomes this one's.
    AnySale,
    /// Only another start of this sale (same name and currency): the demo,
    /// whose sale starts when it is run. Any other sale is refused, so a
    /// demo pointed at a real sale's directory changes nothing.
    AnotherStart,
}

impl Adopt {
    /// Whether a directory recording `recorded` (`None`: unreadable) may
    /// become `configured`'s.
    fn allows(self, recorded: Option<&SaleIdentity>, configured: &SaleIdentity) -> bool {
        match self {
            Adopt::No => false,
            Adopt::AnySale => true,
            Adopt::AnotherStart => recorded
                .is_some_and(|r| r.name == configured.name && r.currency == configured.currency),
        }
    }
}

/// A random 128-bit id, made when a data directory is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataDirId(pub u128);

/// What makes two sales different sales (not their targets or catalog).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleIdentity {
    pub name: String,
    pub currency: Currency,
    pub starts_ms: i64,
}

/// A data directory's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDirIdentity {
    pub id: DataDirId,
    pub sale: SaleIdentity,
}

/// Why a sale may not start on a data directory.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error(
        "{dir}: this data directory belongs to the sale {recorded}, not to this config's sale {configured}. Start with that sale's config, point [storage] dir (or --data-dir) at another directory, or pass --adopt-data-dir to make the directory this sale's (the events it holds then count as this sale's)"
    )]
    OtherSale {
        dir: PathBuf,
        recorded: Box<SaleIdentity>,
        configured: Box<SaleIdentity>,
    },
    #[error(
        "{file}: {source} (pass --adopt-data-dir to record this config's sale as the directory's)"
    )]
    Unreadable { file: PathBuf, source: FormatError },
    #[error("{file}: {source}")]
    Newer { file: PathBuf, source: FormatError },
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
}

/// What a start found, and what it writes once the directory is recovered
/// (nothing is written before: a start that fails changes nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The directory records this sale.
    Same(DataDirIdentity),
    /// A new directory: its identity is made now.
    New(DataDirIdentity),
    /// An older warroom's directory, which recorded no identity file: the
    /// one its `sale.json` implies (`from_sale_file`), or the config's.
    Upgraded {
        identity: DataDirIdentity,
        from_sale_file: bool,
    },
    /// `--adopt-data-dir`: the directory becomes this sale's (its id kept).
    Adopted {
        identity: DataDirIdentity,
        was: Option<SaleIdentity>,
    },
}

impl Found {
    pub fn identity(&self) -> &DataDirIdentity {
        match self {
            Found::Same(identity)
            | Found::New(identity)
            | Found::Upgraded { identity, .. }
            | Found::Adopted { identity, .. } => identity,
        }
    }

    /// The identity to record, unless the directory already records it.
    pub fn to_write(&self) -> Option<&DataDirIdentity> {
        match self {
            Found::Same(_) => None,
            other => Some(other.identity()),
        }
    }
}

impl SaleIdentity {
    pub fn of(sale: &Sale) -> SaleIdentity {
        SaleIdentity {
            name: sale.name.clone(),
            currency: sale.currency.clone(),
            starts_ms: sale.starts_ms,
        }
    }
}

impl fmt::Display for SaleIdentity {
    /// `"Double 11 2026" (CNY, starts 2026-11-10T16:00:00Z)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let starts = chrono::DateTime::from_timestamp_millis(self.starts_ms)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
            .unwrap_or_else(|| format!("{} ms", self.starts_ms));
        write!(
            f,
            "{:?} ({}, starts {starts})",
            self.name, self.currency.code
        )
    }
}

impl fmt::Display for DataDirId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl FromStr for DataDirId {
    type Err = ();
    fn from_str(s: &str) -> Result<DataDirId, ()> {
        if s.len() != 32 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(());
        }
        u128::from_str_radix(s, 16).map(DataDirId).map_err(|_| ())
    }
}

impl DataDirId {
    /// 128 bits from the operating system's random source; where that
    /// cannot be read, from the process's hash seed and the time.
    pub fn random() -> DataDirId {
        let mut bytes = [0u8; 16];
        let read = std::fs::File::open("/dev/urandom")
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes));
        if read.is_err() {
            use std::hash::{BuildHasher, Hasher};
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default();
            for half in bytes.chunks_mut(8) {
                let mut h = std::collections::hash_map::RandomState::new().build_hasher();
                h.write_u128(nanos);
                h.write_u32(std::process::id());
                half.copy_from_slice(&h.finish().to_le_bytes());
            }
        }
        DataDirId(u128::from_le_bytes(bytes))
    }
}

/// Checks `dir` against `sale` before anything in it is read; changes
/// nothing. As `adopt` allows, another sale's directory becomes this one's.
pub fn check(dir: &Path, sale: &Sale, adopt: Adopt) -> Result<Found, IdentityError> {
    let configured = SaleIdentity::of(sale);
    let file = dir.join(IDENTITY_FILE);
    let mine = |id| DataDirIdentity {
        id,
        sale: configured.clone(),
    };
    let recorded = match std::fs::read(&file) {
        Ok(bytes) => match format::identity::decode(&bytes) {
            Ok(identity) => Some(identity),
            Err(source) if source.is_newer() => {
                return Err(IdentityError::Newer { file, source });
            }
            Err(_) if adopt.allows(None, &configured) => {
                return Ok(Found::Adopted {
                    identity: mine(DataDirId::random()),
                    was: None,
                });
            }
            Err(source) => return Err(IdentityError::Unreadable { file, source }),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(IdentityError::Io(file, e)),
    };
    let (recorded, id) = match recorded {
        Some(identity) => (identity.sale, identity.id),
        None => match older_identity(dir)? {
            // Nothing there yet: a new directory.
            Older::Empty => return Ok(Found::New(mine(DataDirId::random()))),
            Older::Unrecorded => {
                return Ok(Found::Upgraded {
                    identity: mine(DataDirId::random()),
                    from_sale_file: false,
                });
            }
            Older::Recorded(sale) if sale == configured => {
                return Ok(Found::Upgraded {
                    identity: mine(DataDirId::random()),
                    from_sale_file: true,
                });
            }
            Older::Recorded(sale) => (sale, DataDirId::random()),
        },
    };
    if recorded == configured {
        return Ok(Found::Same(mine(id)));
    }
    if adopt.allows(Some(&recorded), &configured) {
        return Ok(Found::Adopted {
            identity: mine(id),
            was: Some(recorded),
        });
    }
    Err(IdentityError::OtherSale {
        dir: dir.to_path_buf(),
        recorded: Box::new(recorded),
        configured: Box::new(configured),
    })
}

/// Records `identity` in `dir`: temporary file, synced, renamed.
pub fn write(dir: &Path, identity: &DataDirIdentity) -> std::io::Result<()> {
    let bytes = format::identity::encode(identity).map_err(std::io::Error::other)?;
    sale_file::replace(dir, IDENTITY_FILE, &bytes)
}

/// What a directory without an identity file holds.
enum Older {
    /// No storage file at all (or no directory): new.
    Empty,
    /// Data, and a `sale.json` naming its sale.
    Recorded(SaleIdentity),
    /// Data without a readable `sale.json`.
    Unrecorded,
}

fn older_identity(dir: &Path) -> Result<Older, IdentityError> {
    if let Ok(Some(record)) = sale_file::read(dir) {
        let s = record.sale;
        return Ok(Older::Recorded(SaleIdentity {
            name: s.name,
            currency: Currency {
                code: s.currency.code,
                exponent: s.currency.exponent,
            },
            starts_ms: s.starts_ms,
        }));
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Older::Empty),
        Err(e) => return Err(IdentityError::Io(dir.to_path_buf(), e)),
    };
    let holds_data = entries.filter_map(Result::ok).any(|entry| {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        name == SALE_FILE
            || ["wal-", "checkpoint-", "keys-"]
                .iter()
                .any(|p| name.starts_with(p))
    });
    Ok(if holds_data {
        Older::Unrecorded
    } else {
        Older::Empty
    })
}
