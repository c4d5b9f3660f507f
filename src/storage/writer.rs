//! The log's writer thread: takes everything buffered, writes it with one
//! `write` into the current segment, syncs as the fsync mode says, rolls
//! segments, and keeps disk space reserved ahead of the records (see
//! `room`). It is the only code that touches the segment file.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::format::log::marker;
use super::room::Reservation;
use super::wal::{
    Inner, Progress, RETRY_EVERY, SEGMENT_BYTES, SYNC_INTERVAL, fallocate_keep_size, segment_name,
    sync_dir,
};
use crate::config::FsyncMode;

pub(super) struct Writer {
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
    reservation: Reservation,
    /// No roll attempt before this (the last one found no space).
    roll_retry_at: Option<Instant>,
}

impl Writer {
    pub(super) fn new(dir: PathBuf, first_lsn: u64, inner: Arc<Inner>) -> std::io::Result<Writer> {
        let file = Self::create(&dir, first_lsn)?;
        // The head names it before any record goes in (see `head`).
        super::head::write(&dir, first_lsn)?;
        // Normally a new file; one left empty (or holding only its marker)
        // by a start that logged nothing is continued — unless that marker
        // names an older format (left by an older build): records of this
        // build's format must not follow it, so it starts over.
        let mut len = file.metadata()?.len();
        let ours = marker();
        if len > 0
            && len <= ours.len() as u64
            && std::fs::read(dir.join(segment_name(first_lsn)))? != ours
        {
            file.set_len(0)?;
            len = 0;
        }
        let mut writer = Writer {
            dir,
            file,
            len,
            marker: ours,
            inner,
            written: first_lsn - 1,
            synced: first_lsn - 1,
            last_sync: Instant::now(),
            reservation: Reservation::new(len),
            roll_retry_at: None,
        };
        // Room from the start: ingest opens as soon as the log does.
        writer.refill();
        Ok(writer)
    }

    /// The marker bytes the current segment still has to write.
    fn marker_due(&self) -> u64 {
        if self.len == 0 {
            self.marker.len() as u64
        } else {
            0
        }
    }

    /// Truncates the segment to `len` after a failed write. Truncating frees
    /// the space reserved past the end too, so it is reserved again: the
    /// records waiting were promised it.
    fn cut_back(&mut self, len: u64) {
        let _ = self.file.set_len(len);
        if let Some(n) = self.reservation.reserved_past(len) {
            let _ = fallocate_keep_size(&self.file, len, n);
        }
    }

    /// Tops up the reserved room when it runs low.
    fn refill(&mut self) {
        let (len, marker) = (self.len, self.marker_due());
        let file = &self.file;
        self.reservation
            .refill(&self.inner.room, len, marker, &mut |at, n| {
                fallocate_keep_size(file, at, n)
            });
    }

    /// Moves to a new segment, allocated for everything claimed in this
    /// one; without the space (or the file) it stays on this one and tries
    /// again a second later. The old segment's unused allocation is freed.
    fn roll(&mut self) -> std::io::Result<()> {
        if self.roll_retry_at.is_some_and(|at| Instant::now() < at) {
            return Ok(());
        }
        self.file.sync_data()?;
        self.synced = self.written;
        let need = self
            .reservation
            .for_next(self.len, self.marker.len() as u64);
        let first = self.written + 1;
        let next = Self::create(&self.dir, first).and_then(|file| {
            if let Some(n) = need {
                fallocate_keep_size(&file, 0, n)?;
            }
            super::head::write(&self.dir, first)?;
            Ok(file)
        });
        let file = match next {
            Ok(file) => file,
            Err(e) => {
                tracing::warn!(error = %e, "cannot start a new log segment; the current one grows meanwhile");
                let _ = std::fs::remove_file(self.dir.join(segment_name(first)));
                self.roll_retry_at = Some(Instant::now() + RETRY_EVERY);
                return Ok(());
            }
        };
        let old = std::mem::replace(&mut self.file, file);
        if let Err(e) = old.set_len(self.len) {
            tracing::warn!(error = %e, "cannot free the space reserved past the end of a log segment");
        }
        self.len = 0;
        self.reservation.rolled(need);
        self.roll_retry_at = None;
        Ok(())
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

    pub(super) fn run(mut self) {
        let mut data = Vec::with_capacity(1 << 20);
        loop {
            self.refill();
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
                    tracing::error!(error = %e, unstored_records = end - self.written, "write-ahead log write failed; the figures shown include records not yet stored; retrying");
                    self.publish(Some(format!(
                        "cannot write the log in {}: {e}; the figures shown include {} batch(es) not yet stored",
                        self.dir.display(),
                        end - self.written
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
                // Give the file system back what was reserved and not used.
                let _ = self.file.set_len(self.len);
                return;
            }
        }
    }

    /// Writes whole records ending at `end`, rolling the segment first if full.
    fn write(&mut self, data: &[u8], end: u64) -> std::io::Result<()> {
        if self.len >= SEGMENT_BYTES {
            self.roll()?;
        }
        if self.len == 0 {
            // The marker goes out with the segment's first records, not at
            // creation: a segment that can never be written (disk full)
            // must not stop the log from opening.
            if let Err(e) = self.file.write_all(&self.marker) {
                self.cut_back(0);
                return Err(e);
            }
            self.len = self.marker.len() as u64;
        }
        if let Err(e) = self.file.write_all(data) {
            // Cut off a partial write so the segment ends on a whole record.
            self.cut_back(self.len);
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
