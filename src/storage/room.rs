//! Disk space reserved ahead of the log, so a batch is applied only when
//! its record is sure to fit (docs/api.md, Storage, "Disk full").
//!
//! Ingest applies a batch under the engine lock and then appends its
//! record; a record the disk then refuses would leave figures on the
//! screens that a restart takes back. So the writer keeps blocks allocated
//! past the end of its segment (`fallocate` with `FALLOC_FL_KEEP_SIZE`: the
//! file still ends at its last whole record) and publishes how many of
//! those bytes nobody has claimed yet: the [`Room`]. Ingest takes its
//! record's bytes from the room *before* applying — one atomic operation a
//! batch — and is refused (503, nothing applied) when they do not fit.
//!
//! [`Reservation`] is the writer's side: it extends the allocation in big
//! steps when the room runs low, halving the step when the disk has less,
//! and moves what is claimed to the next segment when the log rolls. When
//! the disk has nothing left the room runs out and stays out until space
//! is freed (a checkpoint deleting segments, an operator); the writer
//! tries again every second. A file system without `fallocate` (or a
//! segment that is not a regular file) cannot reserve: the room is then
//! unlimited and a full disk shows only when a write fails, as the
//! write-failure notice says.
//!
//! Accounting, with `free = cap − len − marker still to write`: every byte
//! of `free` is either in the room or claimed by a record not yet written.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// The room a refill aims for: refilled when below, by this much at once.
pub const LOW_WATER: u64 = 32 << 20;
/// The smallest step tried when the disk has less than a full one.
pub const MIN_STEP: u64 = 64 << 10;
/// How often a refill the disk refused is tried again.
const RETRY_EVERY: Duration = Duration::from_secs(1);
/// The room of a log that cannot reserve: never runs out.
const UNLIMITED: u64 = u64::MAX / 4;

/// Reserved log bytes nobody has claimed; shared by ingest and the writer.
#[derive(Debug, Default)]
pub struct Room {
    bytes: AtomicU64,
    /// The biggest claim refused since the last refill: a refill reserves
    /// at least this much, so a record bigger than [`LOW_WATER`] fits
    /// when sent again instead of never.
    wanted: AtomicU64,
    /// Why the last refill failed, while the disk refuses more.
    short: Mutex<Option<String>>,
}

impl Room {
    /// Claims `n` bytes; false (and nothing claimed) when they do not fit.
    #[inline]
    pub fn take(&self, n: u64) -> bool {
        self.bytes
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |r| r.checked_sub(n))
            .is_ok()
    }

    /// Returns bytes claimed but not used, or adds reserved ones.
    #[inline]
    pub fn give(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::AcqRel);
    }

    /// Notes a claim of `n` bytes that did not fit (off the hot path).
    pub fn want(&self, n: u64) {
        self.wanted.fetch_max(n, Ordering::AcqRel);
    }

    pub fn left(&self) -> u64 {
        self.bytes.load(Ordering::Acquire)
    }

    pub fn is_unlimited(&self) -> bool {
        self.left() >= UNLIMITED / 2
    }

    /// Why the disk refused more space, while it does.
    pub fn short(&self) -> Option<String> {
        self.short.lock().clone()
    }

    fn set_short(&self, why: Option<String>) {
        *self.short.lock() = why;
    }
}

/// How an allocation failed.
enum Refused {
    /// No space (or quota): try a smaller step, later again.
    Full(io::Error),
    /// This file cannot reserve at all.
    Unsupported(io::Error),
}

fn classify(e: io::Error) -> Refused {
    use rustix::io::Errno;
    match e.raw_os_error().map(Errno::from_raw_os_error) {
        Some(Errno::OPNOTSUPP | Errno::NODEV | Errno::NOSYS) => Refused::Unsupported(e),
        _ => Refused::Full(e),
    }
}

/// The writer's side: how far the current segment is allocated.
#[derive(Debug)]
pub struct Reservation {
    /// Allocated end of the current segment (bytes from its start).
    cap: u64,
    /// False once the file system said it cannot reserve.
    reserving: bool,
    /// No refill before this (the disk refused the last one).
    retry_at: Option<Instant>,
}

impl Reservation {
    /// A segment of `len` bytes, nothing allocated past them yet.
    pub fn new(len: u64) -> Reservation {
        Reservation {
            cap: len,
            reserving: true,
            retry_at: None,
        }
    }

    /// Bytes allocated and not yet used, less the marker still to write.
    fn free(&self, len: u64, marker: u64) -> u64 {
        self.cap.saturating_sub(len + marker)
    }

    /// Tops the room up to at least [`LOW_WATER`] when it is below, by
    /// `alloc(offset, bytes)` on the current segment (`len` bytes written,
    /// `marker` bytes of its marker still to write).
    pub fn refill(
        &mut self,
        room: &Room,
        len: u64,
        marker: u64,
        alloc: &mut dyn FnMut(u64, u64) -> io::Result<()>,
    ) {
        let target = LOW_WATER.max(room.wanted.load(Ordering::Acquire));
        if !self.reserving || room.left() >= target {
            return;
        }
        if self.retry_at.is_some_and(|at| Instant::now() < at) {
            return;
        }
        let mut step = LOW_WATER.max(target - room.left());
        loop {
            let at = self.cap.max(len);
            match alloc(at, step).map_err(classify) {
                Ok(()) => {
                    let before = self.free(len, marker);
                    self.cap = at + step;
                    room.give(self.free(len, marker) - before);
                    room.set_short(None);
                    if room.left() >= target {
                        room.wanted.store(0, Ordering::Release);
                    }
                    // Less than a full step: the disk is nearly full, so
                    // the next attempt waits instead of probing each write.
                    self.retry_at = (step < LOW_WATER).then(|| Instant::now() + RETRY_EVERY);
                    return;
                }
                Err(Refused::Full(_)) if step > MIN_STEP => step /= 2,
                Err(Refused::Full(e)) => {
                    self.retry_at = Some(Instant::now() + RETRY_EVERY);
                    if room.short().is_none() {
                        tracing::error!(error = %e, room = room.left(), "cannot reserve disk space for the log; ingest is refused once the reserved room is used");
                    }
                    room.set_short(Some(format!("cannot reserve space for the log: {e}")));
                    return;
                }
                Err(Refused::Unsupported(e)) => {
                    tracing::warn!(error = %e, "this file system cannot reserve space for the log: a full disk will show only when a write fails");
                    self.reserving = false;
                    room.give(UNLIMITED);
                    return;
                }
            }
        }
    }

    /// What a new segment must have allocated before the log rolls to it:
    /// its marker and everything claimed in this one (`len` bytes written).
    /// `None` when nothing needs reserving.
    pub fn for_next(&self, len: u64, marker: u64) -> Option<u64> {
        self.reserving.then(|| marker + self.free(len, 0))
    }

    /// Bytes allocated past `len`, when reserving (to allocate them again
    /// after a truncation).
    pub fn reserved_past(&self, len: u64) -> Option<u64> {
        Some(self.cap.saturating_sub(len)).filter(|&n| self.reserving && n > 0)
    }

    /// The log rolled to a segment allocated `cap` bytes (`for_next`).
    pub fn rolled(&mut self, cap: Option<u64>) {
        self.cap = cap.unwrap_or(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A disk with `budget` bytes, allocating as `fallocate` does.
    fn disk(budget: &mut u64) -> impl FnMut(u64, u64) -> io::Result<()> + '_ {
        move |_, n| {
            if n > *budget {
                return Err(io::Error::from_raw_os_error(
                    rustix::io::Errno::NOSPC.raw_os_error(),
                ));
            }
            *budget -= n;
            Ok(())
        }
    }

    #[test]
    fn the_room_is_what_is_reserved_and_not_claimed() {
        let room = Room::default();
        let mut budget = 100 << 20;
        let mut r = Reservation::new(0);
        // A new segment: its 24-byte marker comes out of the first step.
        r.refill(&room, 0, 24, &mut disk(&mut budget));
        assert_eq!(room.left(), LOW_WATER - 24);
        assert!(room.take(1000) && room.take(LOW_WATER - 24 - 1000));
        assert!(!room.take(1), "nothing claimed beyond the reservation");
        // Written: marker and records.
        let len = LOW_WATER;
        r.refill(&room, len, 0, &mut disk(&mut budget));
        assert_eq!(room.left(), LOW_WATER);
        assert_eq!(budget, (100 << 20) - 2 * LOW_WATER);
        // Claimed and given back (a batch of duplicates only).
        assert!(room.take(500));
        room.give(500);
        assert_eq!(room.left(), LOW_WATER);
    }

    #[test]
    fn a_full_disk_runs_the_room_out_and_a_freed_one_refills_it() {
        let room = Room::default();
        // Room for a half step and a bit.
        let mut budget = LOW_WATER / 2 + MIN_STEP;
        let mut r = Reservation::new(0);
        r.refill(&room, 0, 0, &mut disk(&mut budget));
        assert_eq!(room.left(), LOW_WATER / 2, "the step halved to fit");
        r.refill(&room, 0, 0, &mut disk(&mut budget));
        assert_eq!(room.left(), LOW_WATER / 2, "not tried again at once");
        r.retry_at = None;
        r.refill(&room, 0, 0, &mut disk(&mut budget));
        assert_eq!(
            room.left(),
            LOW_WATER / 2 + MIN_STEP,
            "down to the smallest step"
        );
        assert_eq!(budget, 0);
        assert!(room.short().is_none());
        r.retry_at = None;
        r.refill(&room, 0, 0, &mut disk(&mut budget));
        assert!(
            room.short().is_some(),
            "the disk has no more, and it says so"
        );
        assert!(room.take(room.left()));
        assert!(
            !room.take(67),
            "the next batch is refused before it is applied"
        );
        // Space comes back; the next refill (after the retry delay) takes it.
        let mut budget = LOW_WATER;
        r.retry_at = None;
        r.refill(&room, LOW_WATER / 2 + MIN_STEP, 0, &mut disk(&mut budget));
        assert_eq!(room.left(), LOW_WATER);
        assert!(room.short().is_none());
    }

    #[test]
    fn a_roll_carries_what_is_claimed_and_unsupported_means_unlimited() {
        let room = Room::default();
        let mut budget = u64::MAX;
        let mut r = Reservation::new(1000);
        r.refill(&room, 1000, 0, &mut disk(&mut budget));
        assert!(room.take(300));
        // 300 claimed + the rest of the room move to the next segment.
        assert_eq!(r.for_next(1000, 24), Some(24 + LOW_WATER));
        r.rolled(r.for_next(1000, 24));
        assert_eq!(r.free(0, 24), LOW_WATER);

        let room = Room::default();
        let mut r = Reservation::new(0);
        r.refill(&room, 0, 24, &mut |_, _| {
            Err(io::Error::from_raw_os_error(
                rustix::io::Errno::NODEV.raw_os_error(),
            ))
        });
        assert!(room.is_unlimited() && room.take(1 << 40));
        assert_eq!(r.for_next(0, 24), None);
    }
}
