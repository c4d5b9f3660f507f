//! The war-room log's notes as the engine, the log and the API know them
//! (docs/api.md, War-room log (notes)): the server-assigned id, the scope a
//! note is about, and the body a note event carries.
//!
//! A note travels through ingest like an event (`Kind::Note`), so it is
//! logged, replayed and published exactly as orders are; its text, scope
//! and author sit behind one pointer in [`crate::event::Event`], so orders
//! pay eight bytes for them and nothing else. The id is made when the
//! note is posted and logged with it: replay and every cluster node agree
//! on it without drawing anything themselves.

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// Longest note text, in characters.
pub const MAX_TEXT_CHARS: usize = 2_000;
/// Longest author, in characters.
pub const MAX_AUTHOR_CHARS: usize = 128;
/// Notes one sale may hold (deleted ones free their place).
pub const MAX_NOTES: usize = 10_000;

/// A note's id: `n-` and 16 hex digits on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NoteId(pub u64);

impl NoteId {
    /// A fresh random id. Random, not a counter, so two cluster nodes
    /// posting at the same moment cannot hand out the same one.
    pub fn random() -> NoteId {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(SEQ.fetch_add(1, Ordering::Relaxed));
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        h.write_u128(nanos);
        NoteId(h.finish())
    }

    /// `n-0123456789abcdef` → the id; anything else is not one.
    pub fn parse(s: &str) -> Option<NoteId> {
        let hex = s.strip_prefix("n-").filter(|h| h.len() == 16)?;
        u64::from_str_radix(hex, 16).ok().map(NoteId)
    }
}

impl fmt::Display for NoteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n-{:016x}", self.0)
    }
}

/// What a note is about: the sale, or one channel, store or SKU.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NoteScope {
    Sale,
    Channel(String),
    Store(String),
    Sku(String),
}

impl NoteScope {
    /// `sale`, `channel:ID`, `store:ID` or `sku:ID` (an id may hold a
    /// colon: everything after the first is the id; it may not be empty).
    pub fn parse(s: &str) -> Option<NoteScope> {
        if s == "sale" {
            return Some(NoteScope::Sale);
        }
        let (kind, id) = s.split_once(':')?;
        if id.is_empty() {
            return None;
        }
        let id = id.to_string();
        match kind {
            "channel" => Some(NoteScope::Channel(id)),
            "store" => Some(NoteScope::Store(id)),
            "sku" => Some(NoteScope::Sku(id)),
            _ => None,
        }
    }
}

impl fmt::Display for NoteScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoteScope::Sale => f.write_str("sale"),
            NoteScope::Channel(id) => write!(f, "channel:{id}"),
            NoteScope::Store(id) => write!(f, "store:{id}"),
            NoteScope::Sku(id) => write!(f, "sku:{id}"),
        }
    }
}

/// What a `Kind::Note` event carries beyond its id (in `Event::key`) and
/// time: boxed, so an order's event grows by one pointer only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteBody {
    pub text: String,
    pub scope: NoteScope,
    pub author: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_and_write_one_string() {
        let id = NoteId(0x00ab_cdef_0123_4567);
        assert_eq!(id.to_string(), "n-00abcdef01234567");
        assert_eq!(NoteId::parse("n-00abcdef01234567"), Some(id));
        for bad in ["n-123", "00abcdef01234567", "n-00abcdef0123456g", "n-"] {
            assert_eq!(NoteId::parse(bad), None, "{bad}");
        }
        assert_ne!(NoteId::random(), NoteId::random());
    }

    #[test]
    fn scopes_read_and_write_one_string() {
        for text in ["sale", "channel:tmall", "store:s:1", "sku:品1"] {
            let scope = NoteScope::parse(text).expect(text);
            assert_eq!(scope.to_string(), text);
        }
        for bad in ["", "channel:", "region:31", "campaign:x", "Sale"] {
            assert_eq!(NoteScope::parse(bad), None, "{bad}");
        }
    }
}
