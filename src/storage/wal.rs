//! The write-ahead log: segment files of checksummed records, one writer
//! thread, group commit.
//!
//! Appends (under the engine lock, so log order is apply order) only copy
//! a framed record into a shared buffer and wake the writer. The writer
//! takes everything buffered, writes it with one `write`, and — with
//! `fsync = "always"` — one `fdatasync` for all of it, then publishes how
//! far the log is written and synced. Requests wait for their own position:
//! written (in the OS, survives a process crash) for `interval`, synced
//! (on disk, survives a power cut) for `always`. With `interval` the writer
//! syncs every 100 ms, so a power cut loses at most that much.
//!
//! Records and segments are as `format::log` says: a new segment opens
//! with its format's marker, written with its first records. Segments are
//! `wal-<first lsn>.log`, rolled at 64 MiB.
//!
//! Disk space is reserved ahead of the records (`room`): ingest claims a
//! record's bytes before it applies the batch, so what is applied fits on
//! disk. A write that fails even so (an I/O error, or a file system that
//! cannot reserve) truncates the segment back to the last whole record,
//! keeps the records buffered, reports the error — saying that the figures
//! shown include records not yet stored — and retries every second.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use tokio::sync::watch;

use super::format::log::{HEADER, frame};
use super::health::Health;
use super::room::Room;
use super::writer::Writer;
use crate::config::FsyncMode;

pub const SEGMENT_BYTES: u64 = 64 << 20;
pub const SYNC_INTERVAL: Duration = Duration::from_millis(100);
pub(super) const RETRY_EVERY: Duration = Duration::from_secs(1);

/// How far the log has got; published after every write or sync.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub written: u64,
    pub synced: u64,
    /// The last write or sync error, cleared once the log catches up.
    pub error: Option<String>,
}

pub(super) struct Pending {
    pub(super) buf: Vec<u8>,
    pub(super) next_lsn: u64,
    pub(super) closing: bool,
}

/// Counters of the log for `/metrics`.
#[derive(Debug, Default)]
pub struct WalStats {
    pub bytes: std::sync::atomic::AtomicU64,
    pub syncs: std::sync::atomic::AtomicU64,
    pub sync_us_total: std::sync::atomic::AtomicU64,
    pub sync_us_max: std::sync::atomic::AtomicU64,
}

pub(super) struct Inner {
    pub(super) stats: WalStats,
    pub(super) mode: FsyncMode,
    pub(super) pending: Mutex<Pending>,
    pub(super) wake: Condvar,
    pub(super) progress: watch::Sender<Progress>,
    pub(super) room: Room,
    dir: PathBuf,
}

/// Cloneable handle to the log.
#[derive(Clone)]
pub struct Wal {
    inner: Arc<Inner>,
    /// The writer thread, joined by [`Wal::close`].
    writer: Arc<Mutex<Option<std::thread::JoinHandle<()>>>>,
}

/// Why an ingest request could not be made durable.
#[derive(Debug, Clone, thiserror::Error)]
#[error("storage unavailable: {0}")]
pub struct WalError(pub String);

pub fn segment_name(first_lsn: u64) -> String {
    format!("wal-{first_lsn:020}.log")
}

/// Files in `dir` named `<prefix><number><suffix>`, with their numbers,
/// in ascending order (log segments, checkpoints).
pub fn numbered_files(
    dir: &Path,
    prefix: &str,
    suffix: &str,
) -> std::io::Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let number = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix(prefix))
            .and_then(|n| n.strip_suffix(suffix))
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(n) = number {
            out.push((n, path));
        }
    }
    out.sort_by_key(|f| f.0);
    Ok(out)
}

/// Allocates `len` bytes of `file` from `offset` without changing its
/// length (`FALLOC_FL_KEEP_SIZE`): the space is the file's, its end stays
/// at its last whole record.
pub(super) fn fallocate_keep_size(file: &File, offset: u64, len: u64) -> std::io::Result<()> {
    use rustix::fs::{FallocateFlags, fallocate};
    fallocate(file, FallocateFlags::KEEP_SIZE, offset, len).map_err(std::io::Error::from)
}

/// fsyncs a directory so a new or renamed file in it survives a power cut.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

impl Wal {
    /// Opens the log in `dir`; the next record gets `next_lsn`. Starts the
    /// writer thread, which runs until [`Wal::close`].
    pub fn open(dir: &Path, next_lsn: u64, mode: FsyncMode) -> std::io::Result<Wal> {
        std::fs::create_dir_all(dir)?;
        let (progress, _) = watch::channel(Progress {
            written: next_lsn - 1,
            synced: next_lsn - 1,
            error: None,
        });
        let inner = Arc::new(Inner {
            stats: WalStats::default(),
            mode,
            pending: Mutex::new(Pending {
                buf: Vec::with_capacity(1 << 20),
                next_lsn,
                closing: false,
            }),
            wake: Condvar::new(),
            progress,
            room: Room::default(),
            dir: dir.to_path_buf(),
        });
        let writer = Writer::new(dir.to_path_buf(), next_lsn, inner.clone())?;
        let writer = std::thread::Builder::new()
            .name("wal-writer".into())
            .spawn(move || writer.run())?;
        Ok(Wal {
            inner,
            writer: Arc::new(Mutex::new(Some(writer))),
        })
    }

    /// Claims room for a record of `payload_len` bytes before its batch
    /// is applied; the bytes claimed, or why there is no room (then
    /// nothing may be applied). One atomic operation.
    #[inline]
    pub fn reserve(&self, payload_len: usize) -> Result<u64, WalError> {
        let bytes = (HEADER + payload_len) as u64;
        if self.inner.room.take(bytes) {
            return Ok(bytes);
        }
        // Off the hot path: have the writer reserve more now, at least
        // this record's bytes.
        self.inner.room.want(bytes);
        self.inner.wake.notify_one();
        let why = self.inner.room.short().unwrap_or_else(|| {
            "the space reserved for it is used up; the log writer is reserving more".into()
        });
        Err(WalError(format!(
            "no room in the log in {} for this batch ({bytes} bytes): {why}; nothing of it was applied",
            self.inner.dir.display()
        )))
    }

    /// Gives back room claimed for a record that was not appended.
    pub fn unreserve(&self, bytes: u64) {
        self.inner.room.give(bytes);
    }

    /// Why the log has (nearly) no room left, while the disk refuses more.
    pub fn short_of_room(&self) -> Option<String> {
        let room = &self.inner.room;
        let reason = room.short()?;
        (room.left() < super::room::MIN_STEP).then(|| {
            format!(
                "no room left in the log in {}: {reason}; nothing new is applied",
                self.inner.dir.display()
            )
        })
    }

    /// Reserved bytes not yet claimed (for `/metrics`); `None` when the
    /// file system cannot reserve.
    pub fn room(&self) -> Option<u64> {
        let room = &self.inner.room;
        (!room.is_unlimited()).then(|| room.left())
    }

    /// Buffers one record (its room claimed with [`Wal::reserve`]); returns
    /// its LSN.
    pub fn append(&self, payload: &[u8]) -> u64 {
        let mut p = self.inner.pending.lock();
        let lsn = p.next_lsn;
        p.next_lsn += 1;
        frame(lsn, payload, &mut p.buf);
        drop(p);
        self.inner.wake.notify_one();
        lsn
    }

    /// The LSN of the last record appended.
    pub fn end(&self) -> u64 {
        self.inner.pending.lock().next_lsn - 1
    }

    pub fn stats(&self) -> &WalStats {
        &self.inner.stats
    }

    pub fn progress(&self) -> Progress {
        self.inner.progress.borrow().clone()
    }

    /// Whether everything applied is written, for the screens each tick:
    /// while all is well, a read of the published progress (nothing
    /// cloned) and of the room; the appends' lock only while failing.
    pub fn health(&self) -> Health {
        let (failed, written) = {
            let p = self.inner.progress.borrow();
            (p.error.is_some(), p.written)
        };
        let room = &self.inner.room;
        let out_of_room = || room.left() < super::room::MIN_STEP && room.short().is_some();
        Health::of(failed, written, || self.end(), !failed && out_of_room())
    }

    /// Waits until every record up to `lsn` is as durable as the mode
    /// promises. Fails at once while the disk refuses writes (the records
    /// stay buffered and are written when it recovers).
    pub async fn wait(&self, lsn: u64) -> Result<(), WalError> {
        let mode = self.inner.mode;
        let done = |p: &Progress| match mode {
            FsyncMode::Always => p.synced >= lsn,
            FsyncMode::Interval => p.written >= lsn,
        };
        let mut rx = self.inner.progress.subscribe();
        let seen = rx
            .wait_for(|p| done(p) || p.error.is_some())
            .await
            .map_err(|_| WalError("the log writer stopped".into()))?
            .clone();
        if done(&seen) {
            return Ok(());
        }
        Err(WalError(seen.error.unwrap_or_default()))
    }

    /// Writes and syncs everything buffered, then stops the writer and
    /// waits (up to 10 s, while the disk refuses writes) until it has: it
    /// gives back the space reserved past the segment's end as it stops,
    /// which a process exiting as soon as the records were synced skipped.
    pub fn close(&self) {
        self.inner.pending.lock().closing = true;
        self.inner.wake.notify_one();
        let Some(writer) = self.writer.lock().take() else {
            return;
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !writer.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if writer.is_finished() && writer.join().is_err() {
            tracing::error!("the log writer panicked");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;

    /// Blocks allocated to `path` beyond what its length needs.
    fn reserved_past_end(path: &Path) -> u64 {
        let meta = std::fs::metadata(path).expect("segment");
        (meta.blocks() * 512).saturating_sub(meta.len().div_ceil(4096) * 4096)
    }

    /// An empty segment left by an older build holds only its older
    /// marker: this build's records must not follow it, so the writer
    /// starts the segment over with its own marker.
    #[test]
    fn a_segment_holding_an_older_marker_starts_over() {
        use super::super::format::log::{Next, frame, marker, marker_version, next_record};
        let dir = tempfile::tempdir().expect("tempdir");
        let seg = dir.path().join(segment_name(1));
        let mut old = Vec::new();
        frame(0, b"WRLG0002", &mut old);
        std::fs::write(&seg, &old).expect("an older marker");
        let wal = Wal::open(dir.path(), 1, FsyncMode::Interval).expect("open");
        wal.reserve(3).expect("room");
        wal.append(b"abc");
        wal.close();
        let bytes = std::fs::read(&seg).expect("segment");
        assert!(
            bytes.starts_with(&marker()),
            "opens with this build's marker"
        );
        let Next::Record { payload, end, .. } = next_record(&bytes, 0) else {
            panic!("a marker");
        };
        assert_eq!(
            marker_version(payload),
            Ok(super::super::format::log::VERSION)
        );
        assert!(matches!(
            next_record(&bytes, end),
            Next::Record { lsn: 1, .. }
        ));
    }

    /// `close` returns once the writer has stopped and given back the
    /// space reserved past the segment's end, not merely once everything
    /// is synced (a process exiting right after it kept 32–64 MiB).
    #[test]
    fn close_returns_after_the_reservation_is_given_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (round, first) in [1u64, 1, 3].into_iter().enumerate() {
            let wal = Wal::open(dir.path(), first, FsyncMode::Interval).expect("open");
            if round == 1 {
                for _ in 0..2 {
                    let claim = wal.reserve(10).expect("room");
                    assert_eq!(claim, (HEADER + 10) as u64);
                    wal.append(&[7u8; 10]);
                }
            }
            wal.close();
            let seg = dir.path().join(segment_name(first));
            assert_eq!(reserved_past_end(&seg), 0, "round {round}");
        }
    }

    /// A record bigger than the writer's usual top-up (a large
    /// `max_body_bytes`) is refused once, and fits when sent again: the
    /// writer reserves for it instead of topping up to its usual mark
    /// forever.
    #[test]
    fn a_record_bigger_than_the_usual_room_fits_when_sent_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wal = Wal::open(dir.path(), 1, FsyncMode::Interval).expect("open");
        let big = (3 * super::super::room::LOW_WATER) as usize;
        let mut fitted = None;
        let deadline = Instant::now() + Duration::from_secs(10);
        while fitted.is_none() && Instant::now() < deadline {
            match wal.reserve(big) {
                Ok(bytes) => fitted = Some(bytes),
                Err(e) => {
                    assert!(e.0.contains("reserving more"), "{e}");
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }
        assert_eq!(fitted, Some((HEADER + big) as u64), "never fitted");
        wal.unreserve((HEADER + big) as u64);
        wal.close();
    }
}
