//! The war-room log (docs/api.md, War-room log (notes)): `GET`, `POST
//! /api/v1/notes` and `DELETE /api/v1/notes/{id}`.
//!
//! A posted note gets its id here and goes through ingest as a one-event
//! batch (`Ingest::submit_batch`), so the `201` comes only once the log
//! (or the stream) holds it, as an event batch's reply does. The listing
//! merges the alert book's fires and resolves in by time.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::error::AppError;
use super::router::AppState;
use crate::alerts::log_entries;
use crate::event::{Batch, Event};
use crate::ingest::parse_note;
use crate::note::{MAX_NOTES, NoteId};
use crate::views::{NoteEntry, NoteKind, merge_log, note_entries};

/// Alert records read from the book for the log (its whole history).
const ALERT_HISTORY: usize = 1_000;

#[derive(Debug, Deserialize)]
pub struct NotesQuery {
    since: Option<i64>,
    kind: Option<String>,
}

#[derive(serde::Serialize)]
pub struct NotesReply {
    notes: Vec<NoteEntry>,
}

/// The whole log as `GET /api/v1/notes` and the export show it.
pub fn log(app: &AppState, since: Option<i64>, kind: Option<NoteKind>) -> Vec<NoteEntry> {
    let tz = app.engine().sale().timezone;
    let notes = app.engine().read(|st, _| note_entries(st, tz));
    let alerts = log_entries(&app.alerts.recent(ALERT_HISTORY), tz);
    merge_log(notes, alerts, since, kind)
}

pub async fn list(
    State(app): State<AppState>,
    Query(q): Query<NotesQuery>,
) -> Result<Json<NotesReply>, AppError> {
    let kind = match q.kind.as_deref() {
        None => None,
        Some(k) => Some(NoteKind::parse(k).ok_or_else(|| {
            AppError::BadRequest(format!(
                "kind: must be note, alert_fired or alert_resolved, got {k:?}"
            ))
        })?),
    };
    Ok(Json(NotesReply {
        notes: log(&app, q.since, kind),
    }))
}

pub async fn post(
    State(app): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let engine = app.engine();
    let id = NoteId::random();
    let event = parse_note(&body, id, engine.now_ms()).map_err(AppError::BadRequest)?;
    if !engine.read(|st, _| st.notes.has_room()) {
        return Err(full());
    }
    let mut batch = Batch::default();
    batch.events.push(event);
    app.ingest.submit_batch(&batch).await?;
    let tz = engine.sale().timezone;
    // Applied beyond the cap (two posts raced past the check above): not held.
    let entry = engine
        .read(|st, _| st.notes.get(id).map(|n| NoteEntry::of(n, tz)))
        .ok_or_else(full)?;
    Ok((StatusCode::CREATED, Json(entry)).into_response())
}

pub async fn delete(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let engine = app.engine();
    let known = NoteId::parse(&id).filter(|&n| engine.read(|st, _| st.notes.get(n).is_some()));
    let Some(note) = known else {
        return Err(AppError::NotFound(format!("no note {id:?}")));
    };
    let mut batch = Batch::default();
    batch
        .events
        .push(Event::note_deleted(note, engine.now_ms()));
    app.ingest.submit_batch(&batch).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn full() -> AppError {
    AppError::Conflict(format!(
        "the war-room log is full: a sale holds at most {MAX_NOTES} notes (delete some first)"
    ))
}
