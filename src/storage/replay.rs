//! Replaying the log after a checkpoint: every segment in order, each
//! record applied once, and what to do where the bytes are not whole
//! records (docs/api.md, Recovery).
//!
//! The rules, by what is found where a record fails to verify:
//!
//! - **A torn tail** (`format::log::Tail::Torn`: cut short, or zeros to the
//!   end of the file) with no record after it: a write a crash cut short.
//!   Cut off with a warning; it holds nothing else.
//! - **A damaged last record** (whole, its checksum failing, nothing after
//!   it): it may have been acknowledged, so it is not called torn. Start-up
//!   goes on without it, but its bytes are moved to `….damaged` first and
//!   the warning says it may have been acknowledged.
//! - **Damage with records after it** (found by `format::log::resync`), or
//!   at the end of a segment that is not the last: start-up stops, naming
//!   the file and byte. `--repair` moves the damaged bytes to `….damaged`,
//!   keeps every record after them that verifies, and says how many
//!   records, events and bytes it dropped.
//! - **Records missing** (an LSN gap: a deleted segment, or a log that stops
//!   short of the checkpoint): start-up stops naming the gap; `--repair`
//!   goes on from the next record there is.

use std::path::{Path, PathBuf};

use super::format::FormatError;
use super::format::log::{self, MARKER_LSN, Next, Tail, next_record};
use super::recovery::{Mode, Recovered, RecoveryError};
use super::wal::sync_dir;
use crate::engine::Engine;
use crate::event::Batch;

/// The log replay of one recovery.
pub(super) struct Replay<'a> {
    pub engine: &'a Engine,
    pub mode: Mode,
    pub out: &'a mut Recovered,
    /// The highest LSN of any record seen, covered by the checkpoint or not.
    pub max_seen: u64,
}

impl Replay<'_> {
    /// Replays one segment (`first` from its name); `tail` when no later
    /// segment holds anything.
    pub fn segment(&mut self, path: &Path, first: u64, tail: bool) -> Result<(), RecoveryError> {
        let buf = read_segment(path).map_err(|e| RecoveryError::Io(path.to_path_buf(), e))?;
        let mut seg = Segment {
            path,
            buf: &buf,
            at: 0,
            version: 1,
            prev: first.saturating_sub(1),
            aside: Vec::new(),
        };
        seg.read_marker(self.mode)?;
        let opening = seg.at;
        // Decoded events borrow from `buf`: one scratch batch per segment.
        let mut batch = Batch::default();
        loop {
            match next_record(&buf, seg.at) {
                Next::End => break,
                Next::Record {
                    lsn: MARKER_LSN,
                    end,
                    ..
                } => {
                    let why = "a segment marker after the segment's start";
                    self.bad_record(&mut seg, end, why)?;
                }
                Next::Record { lsn, payload, end } => {
                    self.max_seen = self.max_seen.max(lsn);
                    if lsn <= self.out.checkpoint_lsn {
                        (seg.prev, seg.at) = (lsn.max(seg.prev), end);
                        continue;
                    }
                    let expected = self.out.last_lsn + 1;
                    if lsn < expected {
                        let why = format!("expected record {expected} but found {lsn} again");
                        self.bad_record(&mut seg, end, &why)?;
                        continue;
                    }
                    if lsn > expected {
                        self.gap(&seg, expected, lsn, seg.at == opening)?;
                    }
                    let stamp = match log::decode_payload(seg.version, payload, &mut batch) {
                        Ok(stamp) => stamp,
                        Err(e) => {
                            self.bad_record(&mut seg, end, &e.to_string())?;
                            continue;
                        }
                    };
                    self.engine.replay(&batch, stamp);
                    self.out.records += 1;
                    self.out.events += batch.len() as u64;
                    self.out.last_lsn = lsn;
                    (seg.prev, seg.at) = (lsn, end);
                }
                Next::Torn | Next::Bad(..) => {
                    if !self.damage(&mut seg, tail)? {
                        break;
                    }
                }
            }
        }
        seg.set_aside(self.mode)
    }

    /// A record that verifies but cannot be taken (a marker out of place,
    /// an LSN seen before, a payload that does not decode): damage, but its
    /// extent is known.
    fn bad_record(
        &mut self,
        seg: &mut Segment,
        end: usize,
        why: &str,
    ) -> Result<(), RecoveryError> {
        if self.mode != Mode::Repair {
            return Err(seg.damaged(why));
        }
        let (records, events) = census(seg.version, &seg.buf[seg.at..end]);
        self.drop_counted(seg, seg.at..end, records, events, why);
        seg.at = end;
        Ok(())
    }

    /// A record at `seg.at` fails to verify. Returns whether to read on
    /// (after `--repair` skipped the damage).
    fn damage(&mut self, seg: &mut Segment, tail: bool) -> Result<bool, RecoveryError> {
        let at = seg.at;
        let resume = log::resync(seg.buf, at, seg.prev);
        let why = match next_record(seg.buf, at) {
            Next::Bad(reason, _) => reason,
            _ => "truncated record",
        };
        match (resume, log::tail(seg.buf, at)) {
            (None, Tail::Torn) => {
                let bytes = (seg.buf.len() - at) as u64;
                if tail {
                    self.out.torn_bytes += bytes;
                    tracing::warn!(file = %seg.path.display(), offset = at, bytes, "dropping a torn tail: a write a crash cut short (zeros or a partial record to the end of the file)");
                    if self.mode != Mode::ReadOnly {
                        truncate(seg.path, at)?;
                    }
                }
                // In an older segment, zeros or a cut-off record at its end
                // lose nothing as long as the next segment goes on from
                // the last whole record: `gap` checks that.
                Ok(false)
            }
            (None, Tail::Damaged) if tail => {
                let (records, events) = census(seg.version, &seg.buf[at..]);
                tracing::warn!(file = %seg.path.display(), offset = at, "the last log record is damaged ({why}): it may have been acknowledged; going on without it");
                self.drop_counted(seg, at..seg.buf.len(), records, events, why);
                Ok(false)
            }
            _ if self.mode != Mode::Repair => Err(seg.damaged(why)),
            (Some(next), _) => {
                // The records skipped are counted by the LSN gap they leave.
                let (_, events) = census(seg.version, &seg.buf[at..next]);
                self.drop_counted(seg, at..next, 0, events, why);
                seg.at = next;
                Ok(true)
            }
            (None, _) => {
                let (records, events) = census(seg.version, &seg.buf[at..]);
                self.drop_counted(seg, at..seg.buf.len(), records, events, why);
                Ok(false)
            }
        }
    }

    fn drop_counted(
        &mut self,
        seg: &mut Segment,
        range: std::ops::Range<usize>,
        records: u64,
        events: u64,
        why: &str,
    ) {
        let d = &mut self.out.dropped;
        d.records += records;
        d.events += events;
        d.bytes += range.len() as u64;
        tracing::warn!(file = %seg.path.display(), offset = range.start, bytes = range.len(), events, reason = why, "dropping damaged log bytes (moved aside)");
        seg.aside.push(range);
    }

    /// Records `from..to` (exclusive) are missing before a record in `seg`.
    fn gap(
        &mut self,
        seg: &Segment,
        from: u64,
        to: u64,
        opening: bool,
    ) -> Result<(), RecoveryError> {
        let missing = to - from;
        if self.mode != Mode::Repair {
            return Err(if opening {
                RecoveryError::Gap {
                    file: seg.path.to_path_buf(),
                    detail: format!(
                        "starts at record {to}, but the log before it ends at record {}: records {from}–{} are missing (a deleted or lost segment)",
                        from - 1,
                        to - 1
                    ),
                }
            } else {
                seg.damaged(&format!("expected record {from} but found {to}"))
            });
        }
        self.out.dropped.records += missing;
        self.out.gap = true;
        tracing::warn!(file = %seg.path.display(), from, to = to - 1, missing, "repair: log records are missing; going on from the next one there is");
        Ok(())
    }
}

/// One segment's bytes and where the replay is in them.
struct Segment<'a> {
    path: &'a Path,
    buf: &'a [u8],
    at: usize,
    /// The segment's log format (1: no marker).
    version: u32,
    /// The LSN of the last whole record read in this segment.
    prev: u64,
    /// Byte ranges to move to `….damaged`, in order.
    aside: Vec<std::ops::Range<usize>>,
}

impl Segment<'_> {
    fn damaged(&self, reason: &str) -> RecoveryError {
        RecoveryError::Damaged {
            file: self.path.to_path_buf(),
            offset: self.at as u64,
            reason: reason.to_string(),
        }
    }

    /// Format 1 has no marker; a later one opens with it.
    fn read_marker(&mut self, mode: Mode) -> Result<(), RecoveryError> {
        let Next::Record {
            lsn: MARKER_LSN,
            payload,
            end,
        } = next_record(self.buf, 0)
        else {
            return Ok(());
        };
        match log::marker_version(payload) {
            Ok(version) => {
                (self.version, self.at) = (version, end);
                Ok(())
            }
            // Not damage: never cut or set aside, even by `--repair`.
            Err(source @ FormatError::Newer { .. }) => Err(RecoveryError::Format {
                file: self.path.to_path_buf(),
                source,
            }),
            Err(other) if mode != Mode::Repair => Err(self.damaged(&other.to_string())),
            // Left for the replay loop to drop as a marker out of place.
            Err(_) => Ok(()),
        }
    }

    /// Moves the dropped ranges to a `….damaged` file beside the segment
    /// (synced), then rewrites the segment without them.
    fn set_aside(&self, mode: Mode) -> Result<(), RecoveryError> {
        if self.aside.is_empty() || mode == Mode::ReadOnly {
            return Ok(());
        }
        let aside = free_name(self.path, "damaged");
        let mut kept = Vec::with_capacity(self.buf.len());
        let mut dropped = Vec::new();
        let mut from = 0;
        for r in &self.aside {
            kept.extend_from_slice(&self.buf[from..r.start]);
            dropped.extend_from_slice(&self.buf[r.clone()]);
            from = r.end;
        }
        kept.extend_from_slice(&self.buf[from..]);
        write_synced(&aside, &dropped).map_err(io(&aside))?;
        let tmp = free_name(self.path, "tmp");
        write_synced(&tmp, &kept).map_err(io(&tmp))?;
        std::fs::rename(&tmp, self.path).map_err(io(self.path))?;
        if let Some(dir) = self.path.parent() {
            sync_dir(dir).map_err(io(dir))?;
        }
        tracing::warn!(file = %self.path.display(), moved_to = %aside.display(), bytes = dropped.len(), "damaged log bytes moved aside");
        Ok(())
    }
}

/// Records and events in bytes dropped from the log, as far as they can be
/// read: headers followed while they fit, payloads decoded without their
/// checksum (a damaged record may well not decode).
fn census(version: u32, bytes: &[u8]) -> (u64, u64) {
    let (mut records, mut events, mut at) = (0u64, 0u64, 0usize);
    let mut batch = Batch::default();
    while at < bytes.len() {
        records += 1;
        let Some(head) = bytes.get(at..at + log::HEADER) else {
            break;
        };
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let Some(payload) = bytes.get(at + log::HEADER..at + log::HEADER + len) else {
            break;
        };
        if log::decode_payload(version, payload, &mut batch).is_ok() {
            events += batch.len() as u64;
        }
        at += log::HEADER + len;
    }
    (records, events)
}

/// `<path>.<what>`, or `<path>.<what>.2`, … : the first name not taken.
pub(super) fn free_name(path: &Path, what: &str) -> PathBuf {
    let base = path.as_os_str().to_owned();
    (1u32..)
        .map(|n| {
            let mut name = base.clone();
            name.push(if n == 1 {
                format!(".{what}")
            } else {
                format!(".{what}.{n}")
            });
            PathBuf::from(name)
        })
        .find(|p| !p.exists())
        .unwrap_or_else(|| path.with_extension(what))
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> RecoveryError + '_ {
    move |e| RecoveryError::Io(path.to_path_buf(), e)
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// A segment's bytes, as many as its size says (never more: a path that
/// is not a regular file reads as empty rather than without end).
pub(super) fn read_segment(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let len = std::fs::metadata(path)?.len();
    let mut buf = Vec::with_capacity(len as usize);
    std::fs::File::open(path)?.take(len).read_to_end(&mut buf)?;
    Ok(buf)
}

fn truncate(path: &Path, len: usize) -> Result<(), RecoveryError> {
    let io = |e| RecoveryError::Io(path.to_path_buf(), e);
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(io)?;
    f.set_len(len as u64).map_err(io)?;
    f.sync_all().map_err(io)
}
