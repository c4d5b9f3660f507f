//! Request body → events: NDJSON, a JSON array, or one object.
//!
//! Framing is decided once per request: a body starting with `[` is an array
//! (element N is "line" N); a `application/json` body that is one JSON value is
//! a single event; anything else is NDJSON, one event per line, blank lines
//! skipped but counted. Each line is parsed and validated on its own, so one
//! bad line is rejected alone. A body in which not a single line is a JSON
//! object cannot be read as events at all: that is the one case for `400`.
//! A UTF-8 byte order mark at the start of the body is skipped.

use serde::de::DeserializeSeed;
use serde_json::de::{SliceRead, StrRead};
use serde_json::value::RawValue;

use super::field::FieldPath;
use super::raw::{EventSeed, RawEvent, RawItem};
use super::validate::{Rules, beyond_range, validate};
use crate::event::Batch;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// At most this many line errors are listed in a reply.
pub const MAX_LISTED_ERRORS: usize = 100;

/// A rejected line: 1-based line (or array index) and the reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LineError {
    pub line: usize,
    pub error: String,
}

/// Why a whole body was refused (HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the body holds no events")]
    Empty,
    #[error("the body cannot be read as events: {0}")]
    Unreadable(String),
}

/// The parsed body: accepted events in order, and what was rejected.
#[derive(Debug, Default)]
pub struct Parsed<'a> {
    pub batch: Batch<'a>,
    /// The line of each event in `batch`, for errors found when applying.
    pub lines: Vec<usize>,
    pub rejected: usize,
    pub errors: Vec<LineError>,
    /// How many errors are listed (`Rules::max_listed`).
    listed: usize,
}

impl Parsed<'_> {
    /// Rejects a line; errors stay in line order, the first
    /// `Rules::max_listed` listed (also for lines refused at apply).
    pub fn reject(&mut self, line: usize, error: String) {
        self.rejected += 1;
        if self.errors.last().is_some_and(|last| last.line > line) {
            let at = self.errors.partition_point(|x| x.line < line);
            self.errors.insert(at, LineError { line, error });
            self.errors.truncate(self.listed);
            return;
        }
        if self.errors.len() < self.listed {
            self.errors.push(LineError { line, error });
        }
    }
}

enum LineFail {
    /// Not a JSON object at all.
    Unreadable(String),
    /// A JSON object that breaks a rule.
    Rule(String),
}

/// Parses a request body. `json` is true for an `application/json` content type.
pub fn parse<'a>(body: &'a [u8], json: bool, rules: &Rules<'_>) -> Result<Parsed<'a>, BodyError> {
    // A UTF-8 byte order mark (Windows tools write one) is not part of the
    // first event.
    let body = body.strip_prefix(UTF8_BOM).unwrap_or(body);
    let mut out = Parsed {
        listed: rules.max_listed,
        ..Parsed::default()
    };
    let mut scratch = Scratch::default();
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        return Err(BodyError::Empty);
    };

    // UTF-8 is checked once for the whole body when it is valid (nearly
    // always), so lines parse from `str` without serde_json re-checking
    // every string; a body with a bad byte is parsed line by line so only
    // the line holding it is rejected.
    let text = std::str::from_utf8(body).ok();
    let mut objects = 0usize;
    let mut first_unreadable = None;
    let mut one = |n: usize, line: Line<'a>, out: &mut Parsed<'a>, scratch: &mut Scratch<'a>| {
        let len = match line {
            Line::Str(s) => s.len(),
            Line::Bytes(b) => b.len(),
        };
        if len > rules.max_line_bytes {
            objects += 1;
            out.reject(
                n,
                format!("line: longer than {} bytes", rules.max_line_bytes),
            );
            return;
        }
        let parsed = match line {
            Line::Str(s) => parse_line(StrRead::new(s), scratch, rules, &mut out.batch),
            Line::Bytes(b) => parse_line(SliceRead::new(b), scratch, rules, &mut out.batch),
        };
        match parsed {
            Ok(()) => {
                objects += 1;
                out.lines.push(n);
            }
            Err(LineFail::Rule(e)) => {
                objects += 1;
                out.reject(n, e);
            }
            Err(LineFail::Unreadable(e)) => {
                first_unreadable.get_or_insert_with(|| format!("line {n}: {e}"));
                out.reject(n, e);
            }
        }
    };

    if body[start] == b'[' {
        let elems: Vec<&'a RawValue> = serde_json::from_slice(body)
            .map_err(|e| BodyError::Unreadable(format!("not a JSON array of events: {e}")))?;
        if elems.is_empty() {
            return Err(BodyError::Empty);
        }
        for (i, raw) in elems.into_iter().enumerate() {
            one(i + 1, Line::Str(raw.get()), &mut out, &mut scratch);
        }
    } else if json && serde_json::from_slice::<&RawValue>(body).is_ok() {
        one(1, Line::Bytes(body), &mut out, &mut scratch);
    } else if let Some(text) = text {
        for (i, line) in text.split('\n').enumerate() {
            if line.bytes().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            one(i + 1, Line::Str(line), &mut out, &mut scratch);
        }
    } else {
        for (i, line) in body.split(|&b| b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            one(i + 1, Line::Bytes(line), &mut out, &mut scratch);
        }
    }
    if objects == 0 {
        return Err(BodyError::Unreadable(first_unreadable.unwrap_or_default()));
    }
    Ok(out)
}

/// The text of lines `wanted` (1-based, as in [`LineError::line`]) of a
/// body framed as [`parse`] frames it, for the bus source's dead letters,
/// which carry each rejected line as it was sent. Array elements are their
/// JSON text; NDJSON lines keep everything but the newline. A line the
/// body does not have gives `b""`.
pub fn line_texts<'a>(body: &'a [u8], json: bool, wanted: &[usize]) -> Vec<&'a [u8]> {
    let body = body.strip_prefix(UTF8_BOM).unwrap_or(body);
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    let all: Vec<&[u8]> = match start {
        None => Vec::new(),
        Some(s) if body[s] == b'[' => serde_json::from_slice::<Vec<&RawValue>>(body)
            .map(|elems| elems.into_iter().map(|r| r.get().as_bytes()).collect())
            .unwrap_or_default(),
        Some(_) if json && serde_json::from_slice::<&RawValue>(body).is_ok() => vec![body],
        Some(_) => body.split(|&b| b == b'\n').collect(),
    };
    wanted
        .iter()
        .map(|&n| {
            n.checked_sub(1)
                .and_then(|i| all.get(i))
                .copied()
                .unwrap_or(b"")
        })
        .collect()
}

/// Per-line working space, reused for every line of a body.
#[derive(Default)]
struct Scratch<'a> {
    event: RawEvent<'a>,
    items: Vec<RawItem<'a>>,
    at: FieldPath,
}

/// One line of the body: as text when the body is valid UTF-8.
#[derive(Clone, Copy)]
enum Line<'a> {
    Str(&'a str),
    Bytes(&'a [u8]),
}

fn parse_line<'a, R: serde_json::de::Read<'a>>(
    line: R,
    scratch: &mut Scratch<'a>,
    rules: &Rules<'_>,
    out: &mut Batch<'a>,
) -> Result<(), LineFail> {
    scratch.items.clear();
    let mut de = serde_json::Deserializer::new(line);
    EventSeed {
        ev: &mut scratch.event,
        items: &mut scratch.items,
        at: &mut scratch.at,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end())
    .map_err(|e| json_error(&e, scratch.at, rules))?;
    validate(&mut scratch.event, &mut scratch.items, rules, out).map_err(LineFail::Rule)
}

/// serde_json's message without its "at line 1 column N" tail, plus the
/// column, and the field whose value it was reading (`at`) if any. A number
/// too large for any integer (`1e400`) is valid JSON that serde_json cannot
/// hold: it breaks that field's rule like any other wrong value.
fn json_error(e: &serde_json::Error, at: FieldPath, rules: &Rules<'_>) -> LineFail {
    if e.is_data() {
        return LineFail::Unreadable("must be a JSON object (one event per line)".into());
    }
    let full = e.to_string();
    let msg = full
        .rfind(" at line ")
        .map_or(full.as_str(), |i| &full[..i]);
    if at.field.is_none() {
        return LineFail::Unreadable(format!("invalid JSON at column {}: {msg}", e.column()));
    }
    if msg == "number out of range" {
        return LineFail::Rule(beyond_range(at, rules));
    }
    LineFail::Unreadable(format!(
        "{at}: invalid JSON at column {}: {msg}",
        e.column()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_texts_follow_the_framing() {
        let nd = b"\xEF\xBB\xBF{\"a\":1}\n\nbad\r\n{\"b\":2}";
        assert_eq!(
            line_texts(nd, false, &[3, 1, 9]),
            vec![&b"bad\r"[..], &b"{\"a\":1}"[..], &b""[..]]
        );
        let array = b" [ {\"a\":1}, 7 ,\"x\"]";
        assert_eq!(
            line_texts(array, false, &[2, 3]),
            vec![&b"7"[..], &b"\"x\""[..]]
        );
        let pretty = b"{\n \"a\": 1\n}";
        assert_eq!(line_texts(pretty, true, &[1]), vec![&pretty[..]]);
        assert_eq!(line_texts(pretty, false, &[2]), vec![&b" \"a\": 1"[..]]);
    }
}
