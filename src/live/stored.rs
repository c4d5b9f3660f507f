//! What the screens are told about storage: figures on a war-room wall
//! must not be trusted silently when some of them are not yet stored
//! (docs/api.md, Live frames, "Storage on the screen").
//!
//! The hub reads the log's [`Health`] once per tick (a lock-free check or
//! two while all is well) and [`Shown`] turns it into the `storage` field:
//! every tick carries it while the log is failing (the count of batches
//! not yet stored moves), one tick carries `{"ok":true}` when it recovers,
//! and then it is left out again. A snapshot carries it whenever the log
//! is failing, so a screen that joins or catches up meanwhile says so at
//! once; a snapshot without it means all is stored.

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

/// What the ticks last said about storage; owned by the tick task.
#[derive(Debug, Default)]
pub struct Shown {
    failing: bool,
}

impl Shown {
    /// The note this tick carries, given the log's health now.
    pub fn next(&mut self, health: Health) -> Option<StorageNote> {
        let note = StorageNote::failing(health);
        let recovered = self.failing && note.is_none();
        self.failing = note.is_some();
        if recovered {
            Some(StorageNote::OK)
        } else {
            note
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
        let mut shown = Shown::default();
        assert_eq!(shown.next(Health::Ok), None);
        let failing = shown.next(FAILING).map(|n| serde_json::to_value(n).ok());
        assert_eq!(
            failing,
            Some(Some(
                json!({"ok": false, "unstored": 2, "reason": "write_failed"})
            ))
        );
        assert!(shown.next(FAILING).is_some(), "every tick while failing");
        assert_eq!(shown.next(Health::Ok), Some(StorageNote::OK));
        assert_eq!(
            serde_json::to_value(StorageNote::OK).ok(),
            Some(json!({"ok": true}))
        );
        assert_eq!(shown.next(Health::Ok), None, "then left out again");
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
