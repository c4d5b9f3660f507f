//! How a start opens a data directory, whichever log follows: the checks
//! made before anything is changed (a `sale.json` from a newer warroom,
//! the directory's identity) and what is recorded once it is recovered
//! (the identity, the sale). `Storage::open` (the local log) and
//! `Storage::open_following` (cluster mode) share them.

use std::path::Path;

use super::identity::{self, Adopt, Found, IDENTITY_FILE};
use super::recovery::{Mode, RecoveryError};
use super::sale_file::{self, SALE_FILE};
use crate::engine::Engine;

/// How a start treats the data directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Opening {
    /// `--repair`: a damaged log or key file is cut off or set aside.
    pub repair: bool,
    /// `--adopt-data-dir` (or the demo): whose directory becomes this sale's.
    pub adopt: Adopt,
}

/// Says at start what the identity check recorded.
fn log_identity(dir: &Path, found: &Found) {
    let dir = dir.display();
    let id = found.identity();
    match found {
        Found::Same(_) => {}
        Found::New(_) => {
            tracing::info!(%dir, id = %id.id, sale = %id.sale, "new data directory")
        }
        Found::Upgraded {
            from_sale_file: true,
            ..
        } => {
            tracing::info!(%dir, id = %id.id, sale = %id.sale, "identity recorded from sale.json (a directory from an older warroom)")
        }
        Found::Upgraded { .. } => {
            tracing::warn!(%dir, id = %id.id, sale = %id.sale, "the directory recorded no sale; it now belongs to this config's sale")
        }
        Found::Adopted { was, .. } => {
            let was = was
                .as_ref()
                .map_or_else(|| "an unreadable identity".to_string(), |w| w.to_string());
            tracing::warn!(%dir, %was, now = %id.sale, "--adopt-data-dir: the directory now belongs to this sale; the events it held count as this sale's")
        }
    }
}

impl Opening {
    /// How recovery may treat damaged files.
    pub(super) fn mode(self) -> Mode {
        if self.repair {
            Mode::Repair
        } else {
            Mode::Normal
        }
    }
}

/// Before anything is changed: a directory a newer warroom wrote is left
/// as it is, and another sale's directory is refused before a record is
/// replayed.
pub(super) fn check(dir: &Path, engine: &Engine, opening: Opening) -> Result<Found, RecoveryError> {
    match sale_file::read(dir) {
        Err(source) if source.is_newer() => {
            return Err(RecoveryError::Format {
                file: dir.join(SALE_FILE),
                source,
            });
        }
        Err(reason) => {
            tracing::warn!(file = %dir.join(SALE_FILE).display(), %reason, "unreadable; writing it again")
        }
        Ok(_) => {}
    }
    identity::check(dir, &engine.config().sale, opening.adopt)
        .map_err(|e| RecoveryError::Identity(Box::new(e)))
}

/// Once recovered: the identity found (if new or changed) and the sale as
/// configured now (`sale.json`, without any secret), so the folder can be
/// exported alone.
pub(super) fn record(dir: &Path, engine: &Engine, found: &Found) -> Result<(), RecoveryError> {
    if let Some(id) = found.to_write() {
        identity::write(dir, id).map_err(|e| RecoveryError::Io(dir.join(IDENTITY_FILE), e))?;
        log_identity(dir, found);
    }
    sale_file::write(dir, engine.config()).map_err(|e| RecoveryError::Io(dir.join(SALE_FILE), e))
}
