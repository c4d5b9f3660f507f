//! What a screen sends next, and the catch-up frames of a topic
//! (docs/api.md, Live frames, "Sequence and catch-up").
//!
//! A topic's published frame carries the changes after its previous
//! publish (`since`). A screen that had that tick (or a later one, from
//! its snapshot) sends it as is; one that missed publishes is sent a
//! catch-up frame instead: the same `tick` type, built on demand since the
//! screen's own last tick — the newest totals and every row changed since,
//! coalesced — never a snapshot. Screens that missed the same ticks share
//! one build: the topic keeps its catch-up frames by `since` until its
//! next publish.

use std::sync::Arc;

use super::payload::Payload;

use super::hub::Published;

/// What a screen whose last tick is `last` does with a published frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Nothing to send: it has this tick already (or the topic has not
    /// published yet).
    Skip,
    /// The published frame: it holds every change after `last`.
    Regular,
    /// It missed changes the frame does not hold: a catch-up frame.
    CatchUp { since: u64 },
}

/// The pure decision of the serve loop.
pub fn next(last: u64, p: &Published) -> Next {
    if p.tick.is_empty() || p.seq <= last {
        Next::Skip
    } else if p.since <= last {
        // Changes after `p.since` include those after `last`.
        Next::Regular
    } else {
        Next::CatchUp { since: last }
    }
}

/// A catch-up frame: the alert frames of the ticks missed (sent first),
/// and the tick frame.
#[derive(Debug, Clone)]
pub struct CatchUp {
    /// The tick it is labelled with: the newest versioned when it was
    /// built, which may be later than the publish it was asked for. The
    /// screen's last tick once sent.
    pub seq: u64,
    pub alerts: Arc<[Payload]>,
    pub tick: Payload,
}

/// Catch-up frames built at most this many per publish are kept; more
/// distinct gaps than that are built each time.
const KEPT: usize = 32;

/// A topic's catch-up frames for its newest publish, by `since`.
#[derive(Debug, Default)]
pub struct CatchUps {
    at: u64,
    frames: Vec<(u64, CatchUp)>,
}

impl CatchUps {
    pub fn get(&mut self, at: u64, since: u64) -> Option<CatchUp> {
        if self.at != at {
            self.at = at;
            self.frames.clear();
            return None;
        }
        self.frames
            .iter()
            .find(|(s, _)| *s == since)
            .map(|(_, f)| f.clone())
    }

    pub fn put(&mut self, at: u64, since: u64, frame: CatchUp) {
        if self.at != at {
            self.at = at;
            self.frames.clear();
        }
        if self.frames.len() >= KEPT {
            self.frames.remove(0);
        }
        self.frames.push((since, frame));
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    fn published(seq: u64, since: u64) -> Published {
        Published {
            seq,
            since,
            every_ms: 250,
            tick: Payload::new("{}".to_string()),
            alerts: Arc::from([]),
            fanout: Arc::new(crate::live::rate::Fanout::new(1)),
        }
    }

    #[test]
    fn a_screen_sends_the_frame_it_can_merge_or_catches_up() {
        assert_eq!(next(9, &published(10, 9)), Next::Regular);
        assert_eq!(
            next(12, &published(16, 8)),
            Next::Regular,
            "snapshot after 8"
        );
        assert_eq!(next(5, &published(10, 9)), Next::CatchUp { since: 5 });
        assert_eq!(next(10, &published(10, 9)), Next::Skip);
        assert_eq!(next(11, &published(10, 9)), Next::Skip);
        let mut empty = published(3, 3);
        empty.tick = Payload::new("".to_string());
        assert_eq!(next(0, &empty), Next::Skip, "no frame yet");
    }

    #[test]
    fn catch_ups_are_kept_until_the_next_publish() {
        let frame = |t: &'static str| CatchUp {
            seq: 10,
            alerts: Arc::from([]),
            tick: Payload::new(t.to_string()),
        };
        let mut kept = CatchUps::default();
        assert!(kept.get(10, 4).is_none());
        kept.put(10, 4, frame("a"));
        assert_eq!(
            kept.get(10, 4).map(|f| f.tick.to_string()),
            Some("a".into())
        );
        assert!(kept.get(10, 5).is_none());
        assert!(kept.get(11, 4).is_none(), "a newer publish");
        assert!(kept.get(11, 4).is_none(), "and gone");
    }
}
