//! The last few hundred alert frames, each with the tick it rode on, so a
//! topic published every k ticks, and a screen catching up on ticks it
//! missed, are sent the alert frames of exactly those ticks (docs/api.md,
//! Live frames, "Sequence and catch-up").
//!
//! Alert frames are serialised once (the hub makes them from the alert
//! side's notices) and shared. When the ring no longer reaches back to a
//! screen's last tick, the frame it gets carries the recent alerts list
//! instead, as a snapshot does.

use std::collections::VecDeque;
use std::sync::Arc;

use super::payload::Payload;

/// Alert frames remembered: at most 6 frames a second (5 alerts and a
/// digest per evaluation), so well over a minute of them.
pub const ALERT_RING: usize = 512;

#[derive(Debug, Default)]
pub struct AlertRing {
    frames: VecDeque<(u64, Payload)>,
    /// The newest tick whose frames were dropped from the ring (0: none).
    dropped_upto: u64,
}

/// The alert frames of the ticks after one, if the ring reaches back.
#[derive(Debug, Clone)]
pub enum Since {
    Frames(Arc<[Payload]>),
    /// Some were dropped: send the recent alerts list instead.
    TooOld,
}

impl AlertRing {
    /// The frames that ride on tick `seq`.
    pub fn push(&mut self, seq: u64, frames: Vec<Payload>) {
        for f in frames {
            if self.frames.len() >= ALERT_RING
                && let Some((at, _)) = self.frames.pop_front()
            {
                self.dropped_upto = at;
            }
            self.frames.push_back((seq, f));
        }
    }

    /// The frames that rode on ticks `since + 1 ..= upto`, oldest first.
    pub fn since(&self, since: u64, upto: u64) -> Since {
        if self.dropped_upto > since {
            return Since::TooOld;
        }
        let frames: Vec<Payload> = self
            .frames
            .iter()
            .filter(|(at, _)| *at > since && *at <= upto)
            .map(|(_, f)| f.clone())
            .collect();
        Since::Frames(frames.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(s: &Since) -> Vec<String> {
        match s {
            Since::Frames(f) => f.iter().map(|b| b.to_string()).collect(),
            Since::TooOld => vec!["too old".into()],
        }
    }

    #[test]
    fn a_gap_gets_the_frames_of_its_ticks_or_is_too_old() {
        let mut ring = AlertRing::default();
        ring.push(3, vec!["a".into(), "b".into()]);
        ring.push(5, vec!["c".into()]);
        ring.push(9, vec!["d".into()]);
        assert_eq!(frames(&ring.since(2, 9)), ["a", "b", "c", "d"]);
        assert_eq!(frames(&ring.since(3, 5)), ["c"]);
        assert_eq!(frames(&ring.since(9, 9)), Vec::<String>::new());
        for i in 0..ALERT_RING {
            ring.push(10 + i as u64, vec!["x".into()]);
        }
        assert_eq!(frames(&ring.since(8, 20)), ["too old"]);
        assert_eq!(
            frames(&ring.since(9, 10)),
            ["x"],
            "tick 9's frame went, but 9 was seen"
        );
    }
}
