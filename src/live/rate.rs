//! The adaptive frame rate of one topic (docs/api.md, Live frames,
//! "Frame rate"): a topic is published every `stride` ticks, from 1 up to
//! a stride of about 4 s.
//!
//! Each time a topic is due, the tick task asks whether its screens
//! finished sending the previous frame (each screen marks it when its send
//! completes or it moves on). If too many did not, the machine is short of
//! time for this topic: the stride doubles (and the frame waits for the
//! new due tick), so screens get fewer frames — each carrying every change
//! since the one before — instead of ingest getting fewer cycles. After
//! [`RAISE_AFTER`] on-time publishes in a row it halves again. One slow
//! screen among many does not slow its wall: up to 1 in 16 unfinished is
//! on time (that screen catches up on its own, see `catch_up`).

/// On-time publishes in a row before the stride halves.
pub const RAISE_AFTER: u32 = 4;
/// The slowest rate is about one frame this often.
pub const SLOWEST_MS: u64 = 4_000;

/// A topic's publish schedule; owned by the tick task.
#[derive(Debug, Clone)]
pub struct Rate {
    stride: u64,
    max: u64,
    on_time: u32,
    /// The tick the topic was last published at.
    last: u64,
    /// Due and judged, but left over by the build budget: built first next
    /// tick, without judging again.
    carried: bool,
}

/// The largest stride: the largest power of two whose interval is at most
/// [`SLOWEST_MS`] (16 at the default 250 ms tick), at least 1.
pub fn max_stride(tick_ms: u64) -> u64 {
    let mut k = 1;
    while (k * 2) * tick_ms.max(1) <= SLOWEST_MS {
        k *= 2;
    }
    k
}

/// More than 1 in 16 of the topic's screens still sending: late.
pub fn late(pending: usize, screens: usize) -> bool {
    pending > screens / 16
}

impl Rate {
    /// A topic created after tick `seq`.
    pub fn new(seq: u64, tick_ms: u64) -> Rate {
        Rate {
            stride: 1,
            max: max_stride(tick_ms),
            on_time: 0,
            last: seq,
            carried: false,
        }
    }

    pub fn stride(&self) -> u64 {
        self.stride
    }

    /// The tick the topic was last published at: the `since` of its next frame.
    pub fn last(&self) -> u64 {
        self.last
    }

    /// Whether to publish at tick `seq`, given whether the screens were
    /// `late` with the previous frame (only asked when due).
    pub fn due(&mut self, seq: u64, late: impl FnOnce() -> bool) -> bool {
        if self.carried {
            return true;
        }
        if seq < self.last + self.stride {
            return false;
        }
        if late() {
            self.stride = (self.stride * 2).min(self.max);
            self.on_time = 0;
            return seq >= self.last + self.stride;
        }
        self.on_time += 1;
        if self.on_time >= RAISE_AFTER && self.stride > 1 {
            self.stride /= 2;
            self.on_time = 0;
        }
        true
    }

    /// Due, but the build budget ran out first.
    pub fn carry(&mut self) {
        self.carried = true;
    }

    pub fn carried(&self) -> bool {
        self.carried
    }

    /// Published at `seq`; the interval its screens should expect now, in ticks.
    pub fn published(&mut self, seq: u64) -> u64 {
        let gap = seq - self.last.min(seq);
        self.last = seq;
        self.carried = false;
        self.stride.max(gap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slowest_rate_is_about_4_s() {
        assert_eq!(max_stride(250), 16);
        assert_eq!(max_stride(1_000), 4);
        assert_eq!(max_stride(20), 128);
        assert_eq!(max_stride(60_000), 1);
    }

    #[test]
    fn one_slow_screen_in_16_is_on_time() {
        assert!(late(1, 1));
        assert!(!late(0, 1));
        assert!(!late(1, 16));
        assert!(late(2, 16));
        assert!(!late(625, 10_000) && late(626, 10_000));
    }

    #[test]
    fn late_publishes_double_the_stride_on_time_ones_halve_it() {
        let mut r = Rate::new(0, 250);
        let mut seq = 0;
        let mut published = Vec::new();
        // Late every time it is due: 1, 2, 4, … 16 ticks apart.
        while seq < 200 {
            seq += 1;
            if r.due(seq, || true) {
                published.push(seq);
                r.published(seq);
            }
        }
        assert_eq!(r.stride(), 16);
        let gaps: Vec<u64> = published.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|&g| g <= 16), "{gaps:?}");
        assert!(gaps.ends_with(&[16, 16]), "{gaps:?}");
        // On time from now: back to every tick.
        while r.stride() > 1 {
            seq += 1;
            if r.due(seq, || false) {
                r.published(seq);
            }
        }
        seq += 1;
        assert!(r.due(seq, || false));
        assert_eq!(r.published(seq), 1);
    }

    #[test]
    fn a_carried_topic_is_due_without_being_judged_again() {
        let mut r = Rate::new(0, 250);
        assert!(r.due(1, || false));
        r.carry();
        assert!(r.due(2, || panic!("judged twice")));
        assert_eq!(r.published(2), 2, "two ticks since the last frame");
    }
}
