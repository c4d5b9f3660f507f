//! The war-room log on the hub (docs/api.md, Live frames, `notes`): a
//! snapshot carries the notes, a regular tick the note just added, a
//! catch-up the notes added and deleted in its gap.

use super::screen::{Screen, setup};
use crate::event::{Batch, Event};
use crate::live::catch_up::Next;
use crate::live::filter::Filter;
use crate::note::{NoteBody, NoteId, NoteScope};

fn apply(s: &super::screen::Setup, e: Event<'static>) {
    let mut b = Batch::default();
    b.events.push(e);
    s.ingest.engine().apply(&b);
}

fn note(id: u64, text: &str) -> Event<'static> {
    let body = NoteBody {
        text: text.into(),
        scope: NoteScope::Channel("tmall".into()),
        author: Some("值班".into()),
    };
    Event::note(NoteId(id), super::screen::NOW_MS, body)
}

fn ids(frame: &serde_json::Value, field: &str) -> Vec<String> {
    frame[field]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| {
            n.get("id")
                .unwrap_or(n)
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[test]
fn notes_reach_a_screen_in_its_next_frame_and_in_a_catch_up() {
    let s = setup();
    apply(&s, note(1, "00:12 支付网关慢，切换备用"));
    s.tick(&[]);
    let mut sub = s.hub.subscribe(Filter::default());
    let mut screen = Screen::default();
    screen.frame(&sub.snapshot().1);
    assert_eq!(ids(&screen.last, "notes"), [NoteId(1).to_string()]);
    assert_eq!(screen.last["notes"][0]["scope"], "channel:tmall");
    assert_eq!(screen.last["notes"][0]["author"], "值班");

    // The next frame carries a note just added, once.
    apply(&s, note(2, "second"));
    s.tick(&[]);
    assert_eq!(screen.serve(&mut sub), Next::Regular);
    assert_eq!(ids(&screen.last, "notes"), [NoteId(2).to_string()]);
    s.tick(&[]);
    screen.serve(&mut sub);
    assert!(screen.last.get("notes").is_none(), "sent once");

    // A screen that missed ticks: its catch-up holds the gap's notes.
    let from = screen.seq;
    for t in 0..40 {
        if t == 10 {
            apply(&s, note(3, "third"));
        }
        if t == 20 {
            apply(&s, Event::note_deleted(NoteId(1), super::screen::NOW_MS));
        }
        s.order(&format!("o{t}"), "s1", 1);
        s.tick(&[]);
    }
    assert_eq!(screen.serve(&mut sub), Next::CatchUp { since: from });
    assert_eq!(ids(&screen.last, "notes"), [NoteId(3).to_string()]);
    assert_eq!(ids(&screen.last, "notes_deleted"), [NoteId(1).to_string()]);
}
