//! Which notes of the war-room log each tick added or deleted, so a frame
//! "since s" carries the notes a screen that has seen tick `s` lacks
//! (docs/api.md, Live frames, `notes`).
//!
//! The engine's `Notes::rev` says whether anything changed; only then are
//! the notes compared with the ids seen before — a tick without a new note
//! costs one integer compare. Deletions are kept as (tick, id) in a ring of
//! [`DELETIONS`]; a screen whose gap reaches past the ring keeps a deleted
//! note until it loads a snapshot again (it reconnects, or the page
//! reloads), which a war room posting thousands of deletions would need.

use std::collections::VecDeque;

use chrono_tz::Tz;
use rustc_hash::FxHashMap;

use crate::engine::State;
use crate::note::NoteId;
use crate::views::NoteEntry;

/// Notes a snapshot carries: the newest this many.
pub const SNAPSHOT_NOTES: usize = 500;
/// Deletions remembered for catch-up frames.
const DELETIONS: usize = 4096;

#[derive(Debug, Default)]
pub struct NoteVersions {
    rev: u64,
    /// Each held note's id → the tick it was first seen at.
    seen: FxHashMap<NoteId, u64>,
    /// (tick, id) of the notes deleted, oldest first.
    deleted: VecDeque<(u64, NoteId)>,
}

impl NoteVersions {
    /// Records tick `seq`: the notes new since the last tick, and those gone.
    pub fn update(&mut self, st: &State, seq: u64) {
        if st.notes.rev() == self.rev {
            return;
        }
        self.rev = st.notes.rev();
        let now: FxHashMap<NoteId, ()> = st.notes.list().iter().map(|n| (n.id, ())).collect();
        for id in now.keys() {
            self.seen.entry(*id).or_insert(seq);
        }
        let gone: Vec<NoteId> = self
            .seen
            .keys()
            .filter(|id| !now.contains_key(id))
            .copied()
            .collect();
        for id in gone {
            self.seen.remove(&id);
            if self.deleted.len() >= DELETIONS {
                self.deleted.pop_front();
            }
            self.deleted.push_back((seq, id));
        }
    }

    /// The notes first seen after tick `since`, oldest first.
    pub fn added(&self, st: &State, tz: Tz, since: u64) -> Vec<NoteEntry> {
        if self.seen.values().all(|&at| at <= since) {
            return Vec::new();
        }
        st.notes
            .list()
            .iter()
            .filter(|n| self.seen.get(&n.id).is_some_and(|&at| at > since))
            .map(|n| NoteEntry::of(n, tz))
            .collect()
    }

    /// The ids of notes deleted after tick `since`.
    pub fn deleted(&self, since: u64) -> Vec<String> {
        self.deleted
            .iter()
            .rev()
            .take_while(|(at, _)| *at > since)
            .map(|(_, id)| id.to_string())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Batch, Event};
    use crate::note::{NoteBody, NoteScope};

    fn apply(st: &mut State, e: Event<'static>) {
        let mut b = Batch::default();
        b.events.push(e);
        let cfg = crate::config::parse_str(
            "[sale]\nname = \"t\"\ncurrency = \"CNY\"\ntimezone = \"Asia/Shanghai\"\n\
             starts = \"2026-11-11T00:00:00+08:00\"\nends = \"2026-11-12T00:00:00+08:00\"\n",
            "t.toml",
            std::path::Path::new("."),
        )
        .expect("valid");
        st.apply(&b, &cfg.sale, 0, None);
    }

    fn note(id: u64) -> Event<'static> {
        let body = NoteBody {
            text: "切换备用网关".into(),
            scope: NoteScope::Sale,
            author: None,
        };
        Event::note(NoteId(id), id as i64, body)
    }

    #[test]
    fn a_frame_since_a_tick_carries_the_notes_of_its_gap() {
        let mut st = State::default();
        let mut v = NoteVersions::default();
        v.update(&st, 1);
        apply(&mut st, note(1));
        v.update(&st, 2);
        v.update(&st, 3);
        apply(&mut st, note(2));
        v.update(&st, 4);
        fn ids(v: &NoteVersions, st: &State, since: u64) -> Vec<String> {
            let tz = chrono_tz::Asia::Shanghai;
            v.added(st, tz, since).into_iter().map(|e| e.id).collect()
        }
        assert_eq!(
            ids(&v, &st, 1),
            [NoteId(1).to_string(), NoteId(2).to_string()]
        );
        assert_eq!(ids(&v, &st, 2), [NoteId(2).to_string()]);
        assert!(ids(&v, &st, 4).is_empty());
        apply(&mut st, Event::note_deleted(NoteId(1), 5));
        v.update(&st, 5);
        assert_eq!(v.deleted(3), [NoteId(1).to_string()]);
        assert!(v.deleted(5).is_empty());
        assert_eq!(
            ids(&v, &st, 0),
            [NoteId(2).to_string()],
            "a deleted note is not sent"
        );
    }
}
