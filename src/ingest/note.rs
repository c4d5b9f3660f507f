//! The body of `POST /api/v1/notes` → a note event (docs/api.md, War-room
//! log (notes)).
//!
//! One JSON object: `text` (1 to 2,000 characters), and optionally `ts`
//! (the events' rules: epoch ms or RFC 3339, at most 5 minutes ahead;
//! default now), `scope` (`sale`, `channel:ID`, `store:ID`, `sku:ID`;
//! default `sale`; the id 1 to 128 characters, as an event's) and `author`
//! (1 to 128 characters, not only spaces). Each failure names
//! its field as event errors do; a field not listed is refused, so a typo
//! does not silently drop what was meant.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::raw::Scalar;
use super::validate::timestamp;
use crate::event::Event;
use crate::note::{MAX_AUTHOR_CHARS, MAX_TEXT_CHARS, NoteBody, NoteId, NoteScope};

/// Longest id in a scope, in characters: an event's store, channel or SKU
/// id is at most this long (docs/api.md, Events).
const MAX_SCOPE_ID_CHARS: usize = 128;

const FIELDS: &[&str] = &["text", "ts", "scope", "author"];

/// A validated note, with the id it is logged under.
pub fn parse_note(body: &[u8], id: NoteId, now_ms: i64) -> Result<Event<'static>, String> {
    let mut fields: BTreeMap<Cow<'_, str>, Scalar<'_>> = serde_json::from_slice(body)
        .map_err(|e| format!("the body must be one JSON object of text, ts, scope, author: {e}"))?;
    if let Some(k) = fields.keys().find(|k| !FIELDS.contains(&k.as_ref())) {
        return Err(format!("{k}: unknown field (one of {})", FIELDS.join(", ")));
    }
    let text = match fields.remove("text") {
        Some(Scalar::Str(s)) => s,
        None | Some(Scalar::Null) => {
            return Err(format!("text: required, 1 to {MAX_TEXT_CHARS} characters"));
        }
        Some(_) => return Err("text: must be a string".into()),
    };
    let chars = text.chars().count();
    if !(1..=MAX_TEXT_CHARS).contains(&chars) || text.trim().is_empty() {
        return Err(format!(
            "text: must be 1 to {MAX_TEXT_CHARS} characters, got {}",
            if text.trim().is_empty() { 0 } else { chars }
        ));
    }
    let ts_ms = timestamp(fields.get("ts"), now_ms)?;
    let scope = match fields.remove("scope") {
        None | Some(Scalar::Null) => NoteScope::Sale,
        Some(Scalar::Str(s)) => scope(&s)?,
        Some(_) => return Err(scope_error()),
    };
    let author = match fields.remove("author") {
        None | Some(Scalar::Null) => None,
        // A blank author is refused as a blank text is: it would show as
        // a bare "— " on the screens.
        Some(Scalar::Str(s)) if s.trim().is_empty() => {
            return Err(format!(
                "author: must be 1 to {MAX_AUTHOR_CHARS} characters, got 0"
            ));
        }
        Some(Scalar::Str(s)) if s.chars().count() <= MAX_AUTHOR_CHARS => Some(s.into_owned()),
        Some(Scalar::Str(s)) => {
            return Err(format!(
                "author: must be 1 to {MAX_AUTHOR_CHARS} characters, got {}",
                s.chars().count()
            ));
        }
        Some(_) => return Err("author: must be a string".into()),
    };
    Ok(Event::note(
        id,
        ts_ms,
        NoteBody {
            text: text.into_owned(),
            scope,
            author,
        },
    ))
}

/// A scope, its id held to an event's id rules (1 to 128 characters): the
/// scope rides in every snapshot a screen loads, so it may not be longer
/// than the store, channel or SKU it names could be.
fn scope(s: &str) -> Result<NoteScope, String> {
    let scope = NoteScope::parse(s).ok_or_else(scope_error)?;
    let id = match &scope {
        NoteScope::Sale => return Ok(scope),
        NoteScope::Channel(id) | NoteScope::Store(id) | NoteScope::Sku(id) => id,
    };
    let n = id.chars().count();
    if n > MAX_SCOPE_ID_CHARS {
        return Err(format!(
            "scope: the id must be 1 to {MAX_SCOPE_ID_CHARS} characters, got {n}"
        ));
    }
    Ok(scope)
}

fn scope_error() -> String {
    "scope: must be sale, channel:ID, store:ID or sku:ID".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_794_326_400_000;

    fn parse(body: &str) -> Result<Event<'static>, String> {
        parse_note(body.as_bytes(), NoteId(7), NOW)
    }

    #[test]
    fn a_note_takes_its_defaults() {
        let e = parse(r#"{"text":"00:12 支付网关慢，切换备用"}"#).expect("valid");
        assert_eq!(e.ts_ms, NOW);
        assert_eq!(e.note_id(), NoteId(7));
        let body = e.note.expect("a body");
        assert_eq!(body.scope, NoteScope::Sale);
        assert_eq!(body.author, None);
        let e = parse(
            r#"{"text":"x","ts":"2026-11-10T23:52:00+08:00","scope":"store:s1","author":"小王"}"#,
        )
        .expect("valid");
        let body = e.note.as_ref().expect("a body");
        assert_eq!(body.scope, NoteScope::Store("s1".into()));
        assert_eq!(body.author.as_deref(), Some("小王"));
        assert_eq!(e.ts_ms, NOW - 8 * 60_000);
        let longest = format!(r#"{{"text":"x","scope":"sku:{}"}}"#, "品".repeat(128));
        assert!(
            parse(&longest).is_ok(),
            "an id of 128 characters, as events take"
        );
    }

    #[test]
    fn each_error_names_its_field() {
        let long = "长".repeat(2001);
        for (body, starts) in [
            (
                r#"{"text":""}"#.to_string(),
                "text: must be 1 to 2000 characters, got 0",
            ),
            (
                r#"{"text":"  "}"#.to_string(),
                "text: must be 1 to 2000 characters, got 0",
            ),
            (
                format!(r#"{{"text":"{long}"}}"#),
                "text: must be 1 to 2000 characters, got 2001",
            ),
            (r#"{}"#.to_string(), "text: required"),
            (r#"{"text":5}"#.to_string(), "text: must be a string"),
            (
                r#"{"text":"x","scope":"region:31"}"#.to_string(),
                "scope: must be sale, channel:ID, store:ID or sku:ID",
            ),
            (
                r#"{"text":"x","ts":1794326}"#.to_string(),
                "ts: 1794326 is not epoch milliseconds",
            ),
            (
                r#"{"text":"x","ts":1894326400000}"#.to_string(),
                "ts: more than 5 minutes in the future",
            ),
            (
                r#"{"text":"x","author":""}"#.to_string(),
                "author: must be 1 to 128 characters, got 0",
            ),
            (
                r#"{"text":"x","author":"   "}"#.to_string(),
                "author: must be 1 to 128 characters, got 0",
            ),
            (
                format!(r#"{{"text":"x","scope":"store:{}"}}"#, "s".repeat(129)),
                "scope: the id must be 1 to 128 characters, got 129",
            ),
            (
                r#"{"text":"x","txt":"y"}"#.to_string(),
                "txt: unknown field",
            ),
            ("[1]".to_string(), "the body must be one JSON object"),
        ] {
            let err = parse(&body).expect_err(&body);
            assert!(err.starts_with(starts), "{body}: {err}");
        }
    }
}
