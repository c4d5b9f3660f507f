//! Start-up: the newest valid checkpoint with its key files, then every log
//! record after it (`replay` says what happens where the log is not whole
//! records).
//!
//! A checkpoint at record N expects the log to go on at N + 1 (segments
//! are kept back to the fallback checkpoint, `checkpoint::retire`), and
//! `log-head.json` names the newest segment (`head`): a log that does not
//! reach back to the checkpoint, or lacks the segment the head names, has
//! lost records, which stops start-up by name unless `--repair`. A file in a format newer than this
//! build stops start-up by name, even with `--repair`: it is not damaged,
//! and nothing of it may be cut or set aside.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::checkpoint;
use super::format::FormatError;
use super::keys;
use super::replay::Replay;
use super::wal::numbered_files;
use crate::engine::{Engine, State};

/// What recovery found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovered {
    pub checkpoint_lsn: u64,
    /// Idempotency keys loaded from key files.
    pub keys: u64,
    /// The LSN of the last record applied (the next is this + 1).
    pub last_lsn: u64,
    pub records: u64,
    pub events: u64,
    /// Bytes of a torn tail cut off (a write a crash cut short).
    pub torn_bytes: u64,
    /// What was dropped as damaged or found missing.
    pub dropped: Dropped,
    /// Whether `--repair` went on across missing records, so the log's
    /// LSNs after the checkpoint are no longer continuous: a checkpoint
    /// must follow before a plain start can read the directory again.
    pub gap: bool,
    pub millis: u64,
}

/// Log records recovery went on without: damaged (their bytes moved to
/// `….damaged`) or missing (an LSN gap).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dropped {
    /// Records: damaged ones, and LSNs missing from the log.
    pub records: u64,
    /// Events in the dropped records that still decode (a damaged record
    /// may not, and a missing one cannot be read at all).
    pub events: u64,
    /// Bytes moved aside.
    pub bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum RecoveryError {
    #[error(
        "{file}: damaged log record at byte {offset}: {reason} (a start with `serve --repair` keeps every record that verifies and sets the damaged bytes aside)"
    )]
    Damaged {
        file: PathBuf,
        offset: u64,
        reason: String,
    },
    #[error(
        "{file}: damaged key file: {reason} (a start with `serve --repair` goes on without it; events it covered would count again if re-sent)"
    )]
    Keys { file: PathBuf, reason: String },
    #[error(
        "{dir}: the checkpoint at record {lsn} held {expected} idempotency keys but the key files hold {found}: a key file is missing (a start with `serve --repair` goes on without it; events it covered would count again if re-sent)"
    )]
    KeysMissing {
        dir: PathBuf,
        lsn: u64,
        expected: u64,
        found: u64,
    },
    #[error(
        "{file}: {detail} (a start with `serve --repair` goes on without them; order systems may re-send what they covered)"
    )]
    Gap { file: PathBuf, detail: String },
    #[error(transparent)]
    Head(super::head::HeadError),
    /// A file this build cannot read as it is (a newer format, foremost).
    #[error("{file}: {source}")]
    Format { file: PathBuf, source: FormatError },
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// The directory belongs to another sale (checked before any replay).
    #[error(transparent)]
    Identity(Box<super::identity::IdentityError>),
    /// The directory does not fit the log this start is given (cluster
    /// mode on a local log's directory, another stream, or the reverse).
    #[error("{dir}: {reason}")]
    WrongLog { dir: PathBuf, reason: String },
}

/// Log segments in `dir`, oldest first, with their first LSNs.
pub fn segments(dir: &Path) -> std::io::Result<Vec<(u64, PathBuf)>> {
    numbered_files(dir, "wal-", ".log")
}

/// How recovery may treat the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Start-up: a torn tail is cut off.
    Normal,
    /// `--repair`: a damaged record ends the log there; the rest is removed.
    Repair,
    /// Offline export: read only; a torn tail is ignored, nothing is changed.
    ReadOnly,
}

/// Loads `dir` into `engine`.
pub fn recover(dir: &Path, engine: &Engine, mode: Mode) -> Result<Recovered, RecoveryError> {
    let started = Instant::now();
    let io = |e| RecoveryError::Io(dir.to_path_buf(), e);
    if mode != Mode::ReadOnly {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut out = Recovered::default();
    load_checkpoint(dir, engine, mode, &mut out)?;
    out.last_lsn = out.checkpoint_lsn;
    let segs = segments(dir).map_err(io)?;
    newest_segment_is_there(dir, &segs, &mut out, mode)?;
    // The log's tail is its last segment holding anything (a start that
    // logged nothing may leave an empty one after it).
    let tail = segs
        .iter()
        .rposition(|(_, p)| std::fs::metadata(p).is_ok_and(|m| m.len() > 0))
        .unwrap_or(0);
    let mut replay = Replay {
        engine,
        mode,
        out: &mut out,
        max_seen: 0,
    };
    for (i, (first, path)) in segs.iter().enumerate() {
        replay.segment(path, *first, i >= tail)?;
    }
    let reached = replay.max_seen;
    if mode != Mode::ReadOnly {
        give_back_reserved_space(&segs);
    }
    log_reaches_checkpoint(dir, &segs, reached, &mut out, mode)?;
    if out.dropped != Dropped::default() {
        let d = out.dropped;
        tracing::warn!(
            records = d.records,
            events = d.events,
            bytes = d.bytes,
            "log records dropped (damaged bytes are kept in wal-*.log.damaged); order systems may re-send what they covered: duplicates count once"
        );
    }
    out.millis = started.elapsed().as_millis() as u64;
    Ok(out)
}

/// The newest valid checkpoint and its key files into `engine`, and from
/// then on the keys it applies are tracked for the next key file. With
/// no checkpoint the state stays empty (the key files are still checked).
fn load_checkpoint(
    dir: &Path,
    engine: &Engine,
    mode: Mode,
    out: &mut Recovered,
) -> Result<(), RecoveryError> {
    let io = |e| RecoveryError::Io(dir.to_path_buf(), e);
    for (lsn, path) in checkpoint::list(dir).map_err(io)? {
        let state = checkpoint::read(&path).and_then(|cp| Ok((cp.lsn, cp.into_state()?)));
        match state {
            Ok((at, mut state)) => {
                out.keys = load_keys(dir, at, &mut state, mode)?;
                engine.replace_state(state);
                out.checkpoint_lsn = at;
                tracing::info!(file = %path.display(), lsn, keys = out.keys, "checkpoint loaded");
                break;
            }
            // An older checkpoint would replay onto a log the newer
            // warroom has moved past: stop instead.
            Err(source) if source.is_newer() => {
                return Err(RecoveryError::Format { file: path, source });
            }
            Err(reason) => {
                tracing::warn!(file = %path.display(), %reason, "checkpoint unusable; trying an older one")
            }
        }
    }
    if out.checkpoint_lsn == 0 {
        load_keys(dir, 0, &mut State::default(), mode)?;
    }
    // Keys replayed from here on belong in the next key file.
    engine.track_new_keys();
    Ok(())
}

/// Cluster mode: the stream is the log, so the directory holds only
/// checkpoints and key files. Loads the newest checkpoint; the stream
/// replays the rest.
pub fn recover_checkpoint(
    dir: &Path,
    engine: &Engine,
    mode: Mode,
) -> Result<Recovered, RecoveryError> {
    let started = Instant::now();
    if mode != Mode::ReadOnly {
        std::fs::create_dir_all(dir).map_err(|e| RecoveryError::Io(dir.to_path_buf(), e))?;
    }
    let mut out = Recovered::default();
    load_checkpoint(dir, engine, mode, &mut out)?;
    out.last_lsn = out.checkpoint_lsn;
    out.millis = started.elapsed().as_millis() as u64;
    Ok(out)
}

/// A checkpoint at record `c` expects the log to go on at `c + 1`, and a
/// checkpoint never deletes the segment that does (docs/api.md, Files):
/// one named `wal-<c + 1>.log`, or one holding record `c` or later. With
/// neither, the log after the checkpoint is lost (a deleted segment).
fn log_reaches_checkpoint(
    dir: &Path,
    segs: &[(u64, PathBuf)],
    reached: u64,
    out: &mut Recovered,
    mode: Mode,
) -> Result<(), RecoveryError> {
    let c = out.checkpoint_lsn;
    if c == 0 || reached >= c || segs.iter().any(|(first, _)| *first == c + 1) {
        return Ok(());
    }
    let ends = if reached == 0 {
        "has no record".to_string()
    } else {
        format!("ends at record {reached}")
    };
    let detail = format!(
        "expects the log to go on at record {} ({}, or a segment holding record {c} or later), but the log {ends}: the records after the checkpoint are missing (a deleted or lost segment)",
        c + 1,
        super::wal::segment_name(c + 1),
    );
    if mode != Mode::Repair {
        return Err(RecoveryError::Gap {
            file: dir.join(checkpoint::name(c)),
            detail,
        });
    }
    tracing::warn!(
        checkpoint = c,
        "repair: the checkpoint {detail}; going on from it"
    );
    out.gap = true;
    Ok(())
}

/// Frees the disk space a killed writer left reserved past the end of its
/// segments (docs/api.md, Disk full): no old segment is written again (the
/// writer opens a new one), and they are kept back to the fallback
/// checkpoint, so a crash loop would otherwise pile reservations up.
/// Truncating a file to its own length frees the blocks past its end.
fn give_back_reserved_space(segs: &[(u64, PathBuf)]) {
    for (_, path) in segs {
        let trimmed = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|f| {
                let len = f.metadata()?.len();
                f.set_len(len)
            });
        if let Err(e) = trimmed {
            tracing::warn!(file = %path.display(), error = %e, "cannot free the space reserved past the end of a log segment");
        }
    }
}

/// The segment `log-head.json` names as the newest must exist: without it
/// the records it held are lost, even where an older segment reaches the
/// checkpoint and the log would look as if it simply ended (`head`).
fn newest_segment_is_there(
    dir: &Path,
    segs: &[(u64, PathBuf)],
    out: &mut Recovered,
    mode: Mode,
) -> Result<(), RecoveryError> {
    let newest = match super::head::read(dir) {
        Ok(Some(first)) => first,
        Ok(None) => return Ok(()),
        Err(e @ super::head::HeadError::Newer(..)) => return Err(RecoveryError::Head(e)),
        // The writer rewrites the head when it opens; repair goes on.
        Err(e) if mode == Mode::Repair => {
            tracing::warn!(error = %e, "repair: the log head is unreadable; going on without it");
            return Ok(());
        }
        Err(e) => return Err(RecoveryError::Head(e)),
    };
    if segs.iter().any(|(first, _)| *first == newest) {
        return Ok(());
    }
    let name = super::wal::segment_name(newest);
    let detail = format!(
        "names {name} as the newest log segment, but it is missing: the records from {newest} on are lost (a deleted or lost segment)"
    );
    if mode != Mode::Repair {
        return Err(RecoveryError::Gap {
            file: dir.join(super::head::HEAD_FILE),
            detail,
        });
    }
    tracing::warn!("repair: the log head {detail}; going on without them");
    out.gap = true;
    Ok(())
}

/// Loads the key files at or below checkpoint `lsn` into `state`; removes
/// those above it (from a checkpoint that never completed: replay adds
/// their keys back). Returns how many keys were loaded.
fn load_keys(dir: &Path, lsn: u64, state: &mut State, mode: Mode) -> Result<u64, RecoveryError> {
    let mut loaded = 0u64;
    let files = keys::list(dir).map_err(|e| RecoveryError::Io(dir.to_path_buf(), e))?;
    // Size the key table once for everything about to be loaded.
    let bytes: u64 = files
        .iter()
        .filter(|(at, _)| *at <= lsn)
        .filter_map(|(_, p)| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    state.reserve_keys((bytes / 16) as usize);
    for (at, path) in files {
        if at > lsn {
            if mode != Mode::ReadOnly {
                std::fs::remove_file(&path).map_err(|e| RecoveryError::Io(path.clone(), e))?;
            }
            continue;
        }
        match keys::read(&path) {
            Ok(keys) => {
                loaded += keys.len() as u64;
                state.load_keys(&keys);
            }
            // Not damage: never set aside, even by `--repair`.
            Err(source) if source.is_newer() => {
                return Err(RecoveryError::Format { file: path, source });
            }
            // Without these keys, events sent again would count twice.
            Err(reason) if mode != Mode::Repair => {
                return Err(RecoveryError::Keys {
                    file: path,
                    reason: reason.to_string(),
                });
            }
            Err(reason) => {
                // Set aside (kept for inspection), so a normal start after
                // the repair does not stop on it again.
                let aside = path.with_extension("bin.damaged");
                std::fs::rename(&path, &aside).map_err(|e| RecoveryError::Io(path.clone(), e))?;
                tracing::warn!(file = %path.display(), moved_to = %aside.display(), %reason, "repair: set aside a damaged key file; events it covered would count again if re-sent")
            }
        }
    }
    // A key file gone missing loses keys as surely as a damaged one.
    let (expected, found) = (state.checkpoint_keys, state.keys() as u64);
    if lsn > 0 && expected != found {
        if mode != Mode::Repair {
            return Err(RecoveryError::KeysMissing {
                dir: dir.to_path_buf(),
                lsn,
                expected,
                found,
            });
        }
        tracing::warn!(
            expected,
            found,
            "repair: key files hold fewer keys than the checkpoint; events they covered would count again if re-sent"
        );
        // Record the keys that are left, so later starts agree with the files.
        state.checkpoint_keys = found;
        checkpoint::set_keys(dir, lsn, found)
            .map_err(|e| RecoveryError::Io(dir.join(checkpoint::name(lsn)), e))?;
    }
    Ok(loaded)
}
