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
//! `wal-<first lsn>.log`, rolled at 64 MiB. A failed write (disk full)
//! truncates the segment back to the last whole record, keeps the records
//! buffered, reports the error to waiters and retries every second until
//! the disk recovers.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use tokio::sync::watch;

use super::format::log::{frame, marker};
use crate::config::FsyncMode;

pub const SEGMENT_BYTES: u64 = 64 << 20;
pub const SYNC_INTERVAL: Duration = Duration::from_millis(100);
const RETRY_EVERY: Duration = Duration::from_secs(1);

/// How far the log has got; published after every write or sync.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub written: u64,
    pub synced: u64,
    /// The last write or sync error, cleared once the log catches up.
    pub error: Option<String>,
}

struct Pending {
    buf: Vec<u8>,
    next_lsn: u64,
    closing: bool,
}

/// Counters of the log for `/metrics`.
#[derive(Debug, Default)]
pub struct WalStats {
    pub bytes: std::sync::atomic::AtomicU64,
    pub syncs: std::sync::atomic::AtomicU64,
    pub sync_us_total: std::sync::atomic::AtomicU64,
    pub sync_us_max: std::sync::atomic::AtomicU64,
}

struct Inner {
    stats: WalStats,
    mode: FsyncMode,
    pending: Mutex<Pending>,
    wake: Condvar,
    progress: watch::Sender<Progress>,
}

/// Cloneable handle to the log.
#[derive(Clone)]
pub struct Wal {
    inner: Arc<Inner>,
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
        });
        let writer = Writer::new(dir.to_path_buf(), next_lsn, inner.clone())?;
        std::thread::Builder::new()
            .name("wal-writer".into())
            .spawn(move || writer.run())?;
        Ok(Wal { inner })
    }

    /// Buffers one record; returns its LSN.
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

    /// Writes and syncs everything buffered, then stops the writer.
    pub fn close(&self) {
        self.inner.pending.lock().closing = true;
        self.inner.wake.notify_one();
        let end = self.end();
        let mut rx = self.inner.progress.subscribe();
        let deadline = Instant::now() + Duration::from_secs(10);
        while rx.borrow_and_update().synced < end && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

struct Writer {
    dir: PathBuf,
    file: File,
    /// Bytes of whole records in the current segment (0: not even the
    /// marker yet).
    len: u64,
    /// The marker that opens each new segment.
    marker: Vec<u8>,
    inner: Arc<Inner>,
    written: u64,
    synced: u64,
    last_sync: Instant,
}

impl Writer {
    fn new(dir: PathBuf, first_lsn: u64, inner: Arc<Inner>) -> std::io::Result<Writer> {
        let file = Self::create(&dir, first_lsn)?;
        // Normally a new file; one left empty (or holding only its marker)
        // by a start that logged nothing is continued.
        let len = file.metadata()?.len();
        Ok(Writer {
            dir,
            file,
            len,
            marker: marker(),
            inner,
            written: first_lsn - 1,
            synced: first_lsn - 1,
            last_sync: Instant::now(),
        })
    }

    fn create(dir: &Path, first_lsn: u64) -> std::io::Result<File> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(segment_name(first_lsn)))?;
        sync_dir(dir)?;
        Ok(file)
    }

    fn publish(&self, error: Option<String>) {
        self.inner.progress.send_replace(Progress {
            written: self.written,
            synced: self.synced,
            error,
        });
    }

    fn run(mut self) {
        let mut data = Vec::with_capacity(1 << 20);
        loop {
            let (end, closing) = {
                let mut p = self.inner.pending.lock();
                if p.buf.is_empty() && !p.closing {
                    let wait = if self.synced < self.written {
                        SYNC_INTERVAL
                    } else {
                        Duration::from_secs(1)
                    };
                    self.inner.wake.wait_for(&mut p, wait);
                }
                std::mem::swap(&mut data, &mut p.buf);
                (p.next_lsn - 1, p.closing)
            };
            if !data.is_empty() {
                if let Err(e) = self.write(&data, end) {
                    // Keep the records, in order, ahead of anything newer.
                    let mut p = self.inner.pending.lock();
                    data.append(&mut p.buf);
                    std::mem::swap(&mut data, &mut p.buf);
                    drop(p);
                    tracing::error!(error = %e, "write-ahead log write failed; retrying");
                    self.publish(Some(format!(
                        "cannot write the log in {}: {e}",
                        self.dir.display()
                    )));
                    std::thread::sleep(RETRY_EVERY);
                    continue;
                }
                data.clear();
            }
            let due = self.inner.mode == FsyncMode::Always
                || closing
                || self.last_sync.elapsed() >= SYNC_INTERVAL;
            if due && self.synced < self.written {
                let started = Instant::now();
                let synced = self.file.sync_data();
                let us = started.elapsed().as_micros() as u64;
                let st = &self.inner.stats;
                st.syncs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                st.sync_us_total
                    .fetch_add(us, std::sync::atomic::Ordering::Relaxed);
                st.sync_us_max
                    .fetch_max(us, std::sync::atomic::Ordering::Relaxed);
                if let Err(e) = synced {
                    tracing::error!(error = %e, "write-ahead log fsync failed; retrying");
                    self.publish(Some(format!(
                        "cannot sync the log in {}: {e}",
                        self.dir.display()
                    )));
                    std::thread::sleep(RETRY_EVERY);
                    continue;
                }
                self.synced = self.written;
                self.last_sync = Instant::now();
            }
            self.publish(None);
            if closing && self.synced == end {
                return;
            }
        }
    }

    /// Writes whole records ending at `end`, rolling the segment first if full.
    fn write(&mut self, data: &[u8], end: u64) -> std::io::Result<()> {
        if self.len >= SEGMENT_BYTES {
            self.file.sync_data()?;
            self.synced = self.written;
            self.file = Self::create(&self.dir, self.written + 1)?;
            self.len = 0;
        }
        if self.len == 0 {
            // The marker goes out with the segment's first records, not at
            // creation: a segment that can never be written (disk full)
            // must not stop the log from opening.
            if let Err(e) = self.file.write_all(&self.marker) {
                let _ = self.file.set_len(0);
                return Err(e);
            }
            self.len = self.marker.len() as u64;
        }
        if let Err(e) = self.file.write_all(data) {
            // Cut off a partial write so the segment ends on a whole record.
            let _ = self.file.set_len(self.len);
            return Err(e);
        }
        self.len += data.len() as u64;
        self.written = end;
        self.inner
            .stats
            .bytes
            .fetch_add(data.len() as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}
