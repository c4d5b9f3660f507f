//! Start-up: the newest valid checkpoint with its key files, then every log
//! record after it.
//!
//! A torn last record (the process died mid-write) is cut off with a
//! warning: it was never acknowledged. A damaged record anywhere else stops
//! start-up with the file and offset; `--repair` keeps everything before it
//! and drops the rest (it says how much). A file in a format newer than
//! this build stops start-up by name, even with `--repair`: it is not
//! damaged, and nothing of it may be cut or set aside.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::checkpoint;
use super::format::FormatError;
use super::format::log::{self, MARKER_LSN, Next, next_record};
use super::keys;
use super::wal::numbered_files;
use crate::engine::{Engine, State};
use crate::event::Batch;

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
    pub torn_bytes: u64,
    pub repaired_bytes: u64,
    pub millis: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum RecoveryError {
    #[error(
        "{file}: damaged log record at byte {offset}: {reason} (start with --repair to keep what precedes it)"
    )]
    Damaged {
        file: PathBuf,
        offset: u64,
        reason: String,
    },
    #[error(
        "{file}: damaged key file: {reason} (start with --repair to go on without it; events it covered would count again if re-sent)"
    )]
    Keys { file: PathBuf, reason: String },
    #[error(
        "{dir}: the checkpoint at record {lsn} held {expected} idempotency keys but the key files hold {found}: a key file is missing (start with --repair to go on without it; events it covered would count again if re-sent)"
    )]
    KeysMissing {
        dir: PathBuf,
        lsn: u64,
        expected: u64,
        found: u64,
    },
    /// A file this build cannot read as it is (a newer format, foremost).
    #[error("{file}: {source}")]
    Format { file: PathBuf, source: FormatError },
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// The directory belongs to another sale (checked before any replay).
    #[error(transparent)]
    Identity(Box<super::identity::IdentityError>),
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
    let repair = mode == Mode::Repair;
    let readonly = mode == Mode::ReadOnly;
    let started = Instant::now();
    let io = |e| RecoveryError::Io(dir.to_path_buf(), e);
    if !readonly {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut out = Recovered::default();
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
    out.last_lsn = out.checkpoint_lsn;
    let segs = segments(dir).map_err(io)?;
    let count = segs.len();
    for (i, (_, path)) in segs.iter().enumerate() {
        let last_segment = i + 1 == count;
        let buf = read_segment(path).map_err(|e| RecoveryError::Io(path.clone(), e))?;
        // Decoded events borrow from `buf`: one scratch batch per segment.
        let mut batch = Batch::default();
        let mut at = 0usize;
        // Format 1 has no marker; a later one opens with it.
        let mut version = 1;
        if let Next::Record {
            lsn: MARKER_LSN,
            payload,
            end,
        } = next_record(&buf, 0)
        {
            version = log::marker_version(payload).map_err(|source| match source {
                FormatError::Newer { .. } => RecoveryError::Format {
                    file: path.clone(),
                    source,
                },
                other => RecoveryError::Damaged {
                    file: path.clone(),
                    offset: 0,
                    reason: other.to_string(),
                },
            })?;
            at = end;
        }
        loop {
            let damaged = |reason: &str| RecoveryError::Damaged {
                file: path.clone(),
                offset: at as u64,
                reason: reason.to_string(),
            };
            match next_record(&buf, at) {
                Next::End => break,
                Next::Record {
                    lsn: MARKER_LSN, ..
                } => return Err(damaged("a segment marker after the segment's start")),
                Next::Record { lsn, payload, end } => {
                    if lsn > out.checkpoint_lsn {
                        if lsn != out.last_lsn + 1 {
                            return Err(damaged(&format!(
                                "expected record {} but found {lsn}",
                                out.last_lsn + 1
                            )));
                        }
                        log::decode_payload(version, payload, &mut batch)
                            .map_err(|e| damaged(&e.to_string()))?;
                        engine.apply(&batch);
                        out.records += 1;
                        out.events += batch.len() as u64;
                        out.last_lsn = lsn;
                    }
                    at = end;
                }
                // A damaged *last* record is a write cut short by a crash or a
                // power cut (its pages half on disk): never acknowledged.
                Next::Bad(_, end) if last_segment && end == buf.len() => {
                    out.torn_bytes = (buf.len() - at) as u64;
                    tracing::warn!(file = %path.display(), offset = at, "dropping a damaged last record (never acknowledged)");
                    if !readonly {
                        truncate(path, at)?;
                    }
                    break;
                }
                Next::Torn if last_segment => {
                    out.torn_bytes = (buf.len() - at) as u64;
                    tracing::warn!(file = %path.display(), offset = at, bytes = out.torn_bytes, "dropping a torn last record (never acknowledged)");
                    if !readonly {
                        truncate(path, at)?;
                    }
                    break;
                }
                Next::Torn | Next::Bad(..) if repair => {
                    let reason = match next_record(&buf, at) {
                        Next::Bad(r, _) => r,
                        _ => "truncated",
                    };
                    out.repaired_bytes += (buf.len() - at) as u64;
                    tracing::warn!(file = %path.display(), offset = at, reason, "repair: dropping the log from here on");
                    truncate(path, at)?;
                    for (_, later) in &segs[i + 1..] {
                        out.repaired_bytes +=
                            std::fs::metadata(later).map(|m| m.len()).unwrap_or(0);
                        let _ = std::fs::remove_file(later);
                    }
                    out.millis = started.elapsed().as_millis() as u64;
                    return Ok(out);
                }
                Next::Torn => return Err(damaged("truncated record in the middle of the log")),
                Next::Bad(reason, _) => return Err(damaged(reason)),
            }
        }
    }
    out.millis = started.elapsed().as_millis() as u64;
    Ok(out)
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

/// A segment's bytes, as many as its size says (never more: a path that
/// is not a regular file reads as empty rather than without end).
fn read_segment(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let len = std::fs::metadata(path)?.len();
    let mut buf = Vec::with_capacity(len as usize);
    std::fs::File::open(path)?.take(len).read_to_end(&mut buf)?;
    Ok(buf)
}

fn truncate(path: &Path, len: usize) -> Result<(), RecoveryError> {
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| RecoveryError::Io(path.to_path_buf(), e))?;
    f.set_len(len as u64)
        .map_err(|e| RecoveryError::Io(path.to_path_buf(), e))?;
    f.sync_all()
        .map_err(|e| RecoveryError::Io(path.to_path_buf(), e))
}
