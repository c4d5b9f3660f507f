//! What the screens are told about storage: figures on a war-room wall
//! must not be trusted silently when some of them are not yet stored
//! (docs/api.md, Live frames, "Storage on the screen").
//!
//! The hub reads the log's [`Health`] once per tick (a lock-free check or
//! two while all is well) and [`StorageVersion`] turns it into the
//! `storage` field: every tick frame carries it while the log is failing
//! (the count of batches not yet stored moves), the first frame after a
//! recovery carries `{"ok":true}` — also a catch-up frame for a screen
//! that last saw the failure — and then it is left out again. A snapshot
//! carries it whenever the log is failing, so a screen that joins
//! meanwhile says so at once; a snapshot without it means all is stored.

use serde::Serialize;

use crate::storage::{Cause, Health};

/// The `storage` field of a tick or snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StorageNote {
    pub ok: bool,
    /// Batches counted in the figures but not yet stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unstored: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<StorageReason>,
}

/// Why storage is failing, as the screens read it (no path, no OS
/// message: the server's log has those).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageReason {
    /// Writing the log fails; the server retries every second.
    WriteFailed,
    /// No disk space left for the log; new events are refused.
    DiskFull,
}

impl From<Cause> for StorageReason {
    fn from(c: Cause) -> StorageReason {
        match c {
            Cause::WriteFailed => StorageReason::WriteFailed,
            Cause::DiskFull => StorageReason::DiskFull,
        }
    }
}

impl StorageNote {
    pub const OK: StorageNote = StorageNote {
        ok: true,
        unstored: None,
        reason: None,
    };

    /// The note a snapshot carries: only while failing.
    pub fn failing(health: Health) -> Option<StorageNote> {
        match health {
            Health::Ok => None,
            Health::Failing { unstored, cause } => Some(StorageNote {
                ok: false,
                unstored: Some(unstored),
                reason: Some(cause.into()),
            }),
        }
    }
}

/// The log's health as the ticks saw it, versioned like the rows (see
/// `versions`): the note it is failing with now, and the tick it last
/// recovered at. Owned by the hub's versions, set once per tick.
#[derive(Debug, Default)]
pub struct StorageVersion {
    failing: Option<StorageNote>,
    recovered: u64,
}

impl StorageVersion {
    /// Records the log's health at tick `seq`.
    pub fn set(&mut self, health: Health, seq: u64) {
        let note = StorageNote::failing(health);
        if self.failing.is_some() && note.is_none() {
            self.recovered = seq;
        }
        self.failing = note;
    }

    /// The note a frame since tick `since` carries: the failure while the
    /// log fails, `{"ok":true}` if it recovered after `since`, else none.
    pub fn since(&self, since: u64) -> Option<StorageNote> {
        match self.failing {
            Some(note) => Some(note),
            None => (self.recovered > since).then_some(StorageNote::OK),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const FAILING: Health = Health::Failing {
        unstored: 2,
        cause: Cause::WriteFailed,
    };

    #[test]
    fn ticks_say_so_while_failing_once_when_recovered_then_nothing() {
        let mut shown = StorageVersion::default();
        shown.set(Health::Ok, 1);
        assert_eq!(shown.since(0), None);
        shown.set(FAILING, 2);
        let failing = shown.since(1).map(|n| serde_json::to_value(n).ok());
        assert_eq!(
            failing,
            Some(Some(
                json!({"ok": false, "unstored": 2, "reason": "write_failed"})
            ))
        );
        shown.set(FAILING, 3);
        assert!(shown.since(2).is_some(), "every tick while failing");
        shown.set(Health::Ok, 4);
        assert_eq!(shown.since(3), Some(StorageNote::OK));
        assert_eq!(
            shown.since(1),
            Some(StorageNote::OK),
            "a screen that last saw the failure is told it is over"
        );
        assert_eq!(
            serde_json::to_value(StorageNote::OK).ok(),
            Some(json!({"ok": true}))
        );
        shown.set(Health::Ok, 5);
        assert_eq!(shown.since(4), None, "then left out again");
    }

    #[test]
    fn a_full_disk_is_its_own_reason_with_nothing_unstored() {
        let full = Health::Failing {
            unstored: 0,
            cause: Cause::DiskFull,
        };
        assert_eq!(
            StorageNote::failing(full).map(|n| serde_json::to_value(n).ok()),
            Some(Some(
                json!({"ok": false, "unstored": 0, "reason": "disk_full"})
            ))
        );
        assert_eq!(StorageNote::failing(Health::Ok), None);
    }
}
