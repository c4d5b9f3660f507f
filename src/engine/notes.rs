//! The war-room log's notes as the engine holds them: in time order,
//! applied from the log like every event (docs/api.md, War-room log
//! (notes)).
//!
//! A deletion removes its note; no tombstone is kept, since nothing reads
//! a deleted note again (the log still holds both records, and the live
//! hub tells the screens which ids went — it compares ids, see
//! `live::notes`). `rev` rises with every change, so a reader can tell
//! cheaply that nothing changed. At most [`MAX_NOTES`] are held: the HTTP
//! side answers `409` before that, and apply ignores a note beyond it, the
//! same on every node and on replay (two posts racing past the check).

use crate::event::Event;
use crate::note::{MAX_NOTES, NoteBody, NoteId};

/// One note of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub id: NoteId,
    /// The time it is about (epoch ms): `ts` as posted, or when it was.
    pub ts_ms: i64,
    pub body: NoteBody,
}

/// The notes of the sale, oldest first (ties by id).
#[derive(Debug, Clone, Default)]
pub struct Notes {
    list: Vec<Note>,
    rev: u64,
}

impl Notes {
    /// Notes from a checkpoint, in any order.
    pub fn from_list(mut list: Vec<Note>, rev: u64) -> Notes {
        list.sort_by_key(|n| (n.ts_ms, n.id));
        Notes { list, rev }
    }

    pub fn list(&self) -> &[Note] {
        &self.list
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Rises with every note added or deleted.
    pub fn rev(&self) -> u64 {
        self.rev
    }

    pub fn get(&self, id: NoteId) -> Option<&Note> {
        self.list.iter().find(|n| n.id == id)
    }

    /// Whether there is room for one more.
    pub fn has_room(&self) -> bool {
        self.list.len() < MAX_NOTES
    }

    /// Applies a note event (`Kind::Note` or `Kind::NoteDeleted`).
    pub(super) fn apply(&mut self, e: &Event<'_>) {
        let id = e.note_id();
        match &e.note {
            Some(body) => {
                if !self.has_room() || self.get(id).is_some() {
                    return;
                }
                let at = self
                    .list
                    .partition_point(|n| (n.ts_ms, n.id) < (e.ts_ms, id));
                self.list.insert(
                    at,
                    Note {
                        id,
                        ts_ms: e.ts_ms,
                        body: (**body).clone(),
                    },
                );
            }
            None => {
                let Some(at) = self.list.iter().position(|n| n.id == id) else {
                    return;
                };
                self.list.remove(at);
            }
        }
        self.rev += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::NoteScope;

    fn note(id: u64, ts: i64) -> Event<'static> {
        let body = NoteBody {
            text: format!("note {id}"),
            scope: NoteScope::Sale,
            author: None,
        };
        Event::note(NoteId(id), ts, body)
    }

    #[test]
    fn notes_are_kept_by_time_and_deleted_by_id() {
        let mut n = Notes::default();
        n.apply(&note(1, 300));
        n.apply(&note(2, 100));
        n.apply(&note(3, 200));
        let ids: Vec<u64> = n.list().iter().map(|x| x.id.0).collect();
        assert_eq!(ids, [2, 3, 1]);
        n.apply(&note(2, 100));
        assert_eq!(n.len(), 3, "an id seen before is not added twice");
        let rev = n.rev();
        n.apply(&Event::note_deleted(NoteId(3), 400));
        assert_eq!(n.len(), 2);
        assert!(n.get(NoteId(3)).is_none());
        assert_eq!(n.rev(), rev + 1);
        n.apply(&Event::note_deleted(NoteId(3), 500));
        assert_eq!(n.rev(), rev + 1, "deleting an unknown id changes nothing");
    }

    #[test]
    fn no_more_than_the_cap_are_held() {
        let mut n = Notes::default();
        for i in 0..MAX_NOTES as u64 + 5 {
            n.apply(&note(i, i as i64));
        }
        assert_eq!(n.len(), MAX_NOTES);
        assert!(!n.has_room());
    }
}
