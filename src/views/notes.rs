//! The war-room log as the API, the screens and the export show it
//! (docs/api.md, War-room log (notes)): notes people wrote and, merged in
//! by time, every alert that fired or resolved.
//!
//! One row type, [`NoteEntry`], for both: a note's row comes from the
//! engine's `Notes` here; an alert's from the alert book
//! (`alerts::log_entries`), since the views come before the alerts and do
//! not read them. Alerts are not stored twice: the book's history is
//! the record, read again whenever the log is asked for.

use chrono_tz::Tz;
use serde::Serialize;

use super::fmt_time;
use crate::engine::{Note, State};

/// What a log entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// Written by someone in the war room.
    Note,
    AlertFired,
    AlertResolved,
}

impl NoteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoteKind::Note => "note",
            NoteKind::AlertFired => "alert_fired",
            NoteKind::AlertResolved => "alert_resolved",
        }
    }

    /// `note`, `alert_fired` or `alert_resolved` (`?kind=`).
    pub fn parse(s: &str) -> Option<NoteKind> {
        [
            NoteKind::Note,
            NoteKind::AlertFired,
            NoteKind::AlertResolved,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoteEntry {
    /// A note's `n-…` id; an alert's `a-<alert id>-fired|resolved`.
    pub id: String,
    /// Epoch ms.
    pub ts: i64,
    /// RFC 3339 in the sale's zone.
    pub at: String,
    pub text: String,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    pub kind: NoteKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert_id: Option<u64>,
}

impl NoteEntry {
    pub fn of(n: &Note, tz: Tz) -> NoteEntry {
        NoteEntry {
            id: n.id.to_string(),
            ts: n.ts_ms,
            at: fmt_time(n.ts_ms, tz),
            text: n.body.text.clone(),
            scope: n.body.scope.to_string(),
            author: n.body.author.clone(),
            kind: NoteKind::Note,
            rule: None,
            alert_id: None,
        }
    }
}

/// The notes people wrote, oldest first.
pub fn note_entries(st: &State, tz: Tz) -> Vec<NoteEntry> {
    st.notes
        .list()
        .iter()
        .map(|n| NoteEntry::of(n, tz))
        .collect()
}

/// The newest `n` notes, oldest first (a snapshot's).
pub fn newest_notes(st: &State, tz: Tz, n: usize) -> Vec<NoteEntry> {
    let list = st.notes.list();
    list[list.len().saturating_sub(n)..]
        .iter()
        .map(|x| NoteEntry::of(x, tz))
        .collect()
}

/// Notes and alert entries as one log, by time (ties: notes first, then
/// by id), filtered to entries at or after `since` and of `kind`.
pub fn merge(
    mut notes: Vec<NoteEntry>,
    alerts: Vec<NoteEntry>,
    since: Option<i64>,
    kind: Option<NoteKind>,
) -> Vec<NoteEntry> {
    notes.extend(alerts);
    notes.retain(|e| since.is_none_or(|s| e.ts >= s) && kind.is_none_or(|k| e.kind == k));
    notes.sort_by(|a, b| (a.ts, a.kind, &a.id).cmp(&(b.ts, b.kind, &b.id)));
    notes
}
