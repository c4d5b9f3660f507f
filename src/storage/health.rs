//! The log's health as a typed value: whether everything shown is stored,
//! and if not, how much is not and why (docs/api.md, Storage, "Disk full").
//!
//! Ingest refuses batches while the log is failing, `/readyz` answers 503,
//! and the live hub reads this once per tick so the screens can say so
//! too. It is computed from what the log already publishes (the writer's
//! progress, the reserved room), so reading it costs the hot path nothing
//! and the reader a lock-free check or two while all is well; only a
//! failing log is asked how far its appends have got.

/// Whether what the screens show is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Health {
    /// Every batch applied is written (or no log is kept at all: memory
    /// only is a choice made at start, said at start, not a failure).
    #[default]
    Ok,
    /// The log cannot take batches now: new ones are refused (503).
    Failing {
        /// Batches applied, so on the screens, but not yet written: above
        /// 0 only when a write failed where no room could be reserved
        /// ahead (a file system without `fallocate`, an I/O error).
        unstored: u64,
        cause: Cause,
    },
}

/// Why the log is failing; generic on purpose (no path, no OS message):
/// the screens and `/readyz` are read by people who cannot act on it, the
/// server's log and ingest's 503 name the details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// A write or sync of the log failed; the writer retries every second.
    WriteFailed,
    /// The disk has no room left to reserve for new records: nothing is
    /// unstored, but new batches are refused until space is freed.
    DiskFull,
}

impl Health {
    /// The health from the log's published state: whether the writer's last
    /// write or sync failed, how far it has written, the last record
    /// appended (asked only when failing), and whether the room is out.
    pub(super) fn of(
        write_failed: bool,
        written: u64,
        end: impl FnOnce() -> u64,
        out_of_room: bool,
    ) -> Health {
        if write_failed {
            Health::Failing {
                unstored: end().saturating_sub(written),
                cause: Cause::WriteFailed,
            }
        } else if out_of_room {
            Health::Failing {
                unstored: 0,
                cause: Cause::DiskFull,
            }
        } else {
            Health::Ok
        }
    }

    pub fn is_ok(&self) -> bool {
        matches!(self, Health::Ok)
    }

    /// Batches shown but not yet stored.
    pub fn unstored(&self) -> u64 {
        match self {
            Health::Ok => 0,
            Health::Failing { unstored, .. } => *unstored,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never() -> u64 {
        panic!("a healthy log is not asked for its end")
    }

    #[test]
    fn a_healthy_log_is_ok_without_asking_its_end() {
        assert_eq!(Health::of(false, 10, never, false), Health::Ok);
    }

    #[test]
    fn a_failed_write_counts_what_is_appended_but_not_written() {
        let h = Health::of(true, 10, || 13, false);
        assert_eq!(
            h,
            Health::Failing {
                unstored: 3,
                cause: Cause::WriteFailed
            }
        );
        assert_eq!(h.unstored(), 3);
        // A failed sync: everything written, nothing unstored, still failing.
        assert_eq!(
            Health::of(true, 13, || 13, true),
            Health::Failing {
                unstored: 0,
                cause: Cause::WriteFailed
            }
        );
    }

    #[test]
    fn a_disk_out_of_room_fails_with_nothing_unstored() {
        let h = Health::of(false, 10, never, true);
        assert_eq!(
            h,
            Health::Failing {
                unstored: 0,
                cause: Cause::DiskFull
            }
        );
        assert!(!h.is_ok());
    }
}
