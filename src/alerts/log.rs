//! Alerts as entries of the war-room log (docs/api.md, War-room log
//! (notes)): each alert of the book's history is an `alert_fired` entry at
//! its firing time and, once resolved, an `alert_resolved` entry at its
//! resolving time. Read from the history whenever the log is asked for,
//! never stored as notes.

use chrono_tz::Tz;

use super::record::AlertRecord;
use crate::views::{NoteEntry, NoteKind, fmt_time};

/// The log entries of `records` (any order).
pub fn log_entries(records: &[AlertRecord], tz: Tz) -> Vec<NoteEntry> {
    let mut out = Vec::with_capacity(records.len() * 2);
    for r in records {
        let entry = |kind: NoteKind, ts: i64, suffix: &str| NoteEntry {
            id: format!("a-{}-{suffix}", r.id),
            ts,
            at: fmt_time(ts, tz),
            text: if r.summary.is_empty() {
                r.title.clone()
            } else {
                format!("{} — {}", r.title, r.summary)
            },
            scope: r.scope.to_string(),
            author: None,
            kind,
            rule: Some(r.rule.as_str().to_string()),
            alert_id: Some(r.id),
        };
        out.push(entry(NoteKind::AlertFired, r.fired_at_ms, "fired"));
        let resolved = r
            .resolved_at
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
        if let Some(t) = resolved {
            out.push(entry(
                NoteKind::AlertResolved,
                t.timestamp_millis(),
                "resolved",
            ));
        }
    }
    out
}
