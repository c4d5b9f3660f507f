//! The adaptive frame rate of one topic (docs/api.md, Live frames,
//! "Frame rate"): a topic is published every `stride` ticks, from 1 up to
//! a stride of about 4 s.
//!
//! Each time a topic is due, the tick task asks whether its screens
//! finished sending the previous frame (each screen marks it when its send
//! completes or it moves on), and how long that took ([`Fanout`]). If too
//! many did not, the machine is short of time for this topic: the stride
//! doubles (and the frame waits for the new due tick), so screens get fewer
//! frames — each carrying every change since the one before — instead of
//! ingest getting fewer cycles. It halves again once its publishes have
//! been on time for [`RAISE_AFTER`] ticks in a row (one publish at a
//! stride of 4 or more, so a slowed topic comes back within a frame or
//! two once there is room), counting only publishes whose sends would
//! have fit the faster rate with a quarter to spare; a fan-out that just fits the current rate keeps it,
//! rather than trying the faster one, being late, and falling back twice
//! as far. One slow screen among many does not slow its wall: up to 1 in
//! 16 unfinished is on time (that screen catches up on its own, see
//! `catch_up`).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Ticks of on-time publishes in a row before the stride halves.
pub const RAISE_AFTER: u64 = 4;
/// The slowest rate is about one frame this often.
pub const SLOWEST_MS: u64 = 4_000;

/// How one published frame's sends went: the topic's screens still
/// sending it, and how long until all but 1 in 16 were done.
#[derive(Debug)]
pub struct Fanout {
    pending: AtomicUsize,
    /// Screens that may still be sending while the topic is on time.
    slack: usize,
    at: Instant,
    /// µs from the publish until `pending` fell to `slack`; `u64::MAX` before.
    done_us: AtomicU64,
}

impl Fanout {
    /// A frame published now to `screens` screens.
    pub fn new(screens: usize) -> Fanout {
        let slack = screens / 16;
        Fanout {
            pending: AtomicUsize::new(screens),
            slack,
            at: Instant::now(),
            done_us: AtomicU64::new(if screens <= slack { 0 } else { u64::MAX }),
        }
    }

    /// One screen finished with the frame (sent it, a catch-up instead, or
    /// nothing); never below zero (a screen that joined after the count was
    /// taken may report too).
    pub fn done(&self) {
        let before = self
            .pending
            .fetch_update(Relaxed, Relaxed, |n| n.checked_sub(1));
        if before == Ok(self.slack + 1) {
            let us = u64::try_from(self.at.elapsed().as_micros()).unwrap_or(u64::MAX - 1);
            self.done_us.store(us, Relaxed);
        }
    }

    /// How long the sends took; `None` while more than 1 in 16 of the
    /// screens are still sending (late).
    pub fn took(&self) -> Option<Duration> {
        let us = self.done_us.load(Relaxed);
        (us != u64::MAX).then(|| Duration::from_micros(us))
    }

    pub fn pending(&self) -> usize {
        self.pending.load(Relaxed)
    }
}

/// A topic's publish schedule; owned by the tick task.
#[derive(Debug, Clone)]
pub struct Rate {
    stride: u64,
    max: u64,
    tick_ms: u64,
    /// Ticks covered by on-time publishes in a row.
    on_time: u64,
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

impl Rate {
    /// A topic created after tick `seq`.
    pub fn new(seq: u64, tick_ms: u64) -> Rate {
        Rate {
            stride: 1,
            max: max_stride(tick_ms),
            tick_ms: tick_ms.max(1),
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

    /// Whether to publish at tick `seq`, given how long the screens took
    /// to send the previous frame (`None`: they are still at it; only
    /// asked when due).
    pub fn due(&mut self, seq: u64, took: impl FnOnce() -> Option<Duration>) -> bool {
        if self.carried {
            return true;
        }
        if seq < self.last + self.stride {
            return false;
        }
        let Some(took) = took() else {
            self.stride = (self.stride * 2).min(self.max);
            self.on_time = 0;
            return seq >= self.last + self.stride;
        };
        // Room for the faster rate: its interval holds these sends with a
        // quarter to spare.
        let faster_ms = u128::from(self.stride / 2 * self.tick_ms);
        if self.stride > 1 && took.as_millis() * 4 <= faster_ms * 3 {
            self.on_time += self.stride;
            if self.on_time >= RAISE_AFTER {
                self.stride /= 2;
                self.on_time = 0;
            }
        } else {
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

    /// Whether a frame to `screens` screens is late with `pending` of them
    /// still sending.
    fn late(pending: usize, screens: usize) -> bool {
        let f = Fanout::new(screens);
        (0..screens - pending).for_each(|_| f.done());
        f.took().is_none()
    }

    #[test]
    fn one_slow_screen_in_16_is_on_time() {
        assert!(late(1, 1));
        assert!(!late(0, 1));
        assert!(!late(1, 16));
        assert!(late(2, 16));
        assert!(!late(625, 10_000) && late(626, 10_000));
        assert!(!late(0, 0), "nobody to wait for");
        let f = Fanout::new(2);
        (0..5).for_each(|_| f.done());
        assert_eq!(f.pending(), 0, "never below zero");
    }

    #[test]
    fn sends_that_just_fit_keep_the_rate() {
        let mut r = Rate::new(0, 250);
        let late = || None;
        assert!(!r.due(1, late), "late: every 2 ticks now");
        assert_eq!(r.stride(), 2);
        let mut seq = 1;
        // 300 ms of sends fit 500 ms, not 250: stays at every 2 ticks.
        for _ in 0..20 {
            seq += 2;
            assert!(r.due(seq, || Some(Duration::from_millis(300))));
            r.published(seq);
        }
        assert_eq!(r.stride(), 2);
        // 150 ms fit 250 with a quarter to spare: every tick again after
        // 4 ticks' worth of such publishes.
        for _ in 0..RAISE_AFTER / 2 {
            assert_eq!(r.stride(), 2);
            seq += 2;
            assert!(r.due(seq, || Some(Duration::from_millis(150))));
            r.published(seq);
        }
        assert_eq!(r.stride(), 1);
    }

    #[test]
    fn a_slow_stride_comes_back_one_step_a_publish() {
        let mut r = Rate::new(0, 250);
        let mut seq = 0;
        while r.stride() < 16 {
            seq += 1;
            if r.due(seq, || None) {
                r.published(seq);
            }
        }
        let mut strides = Vec::new();
        while r.stride() > 1 {
            seq += r.stride();
            assert!(r.due(seq, || Some(Duration::from_millis(100))));
            r.published(seq);
            strides.push(r.stride());
        }
        assert_eq!(strides, [8, 4, 2, 2, 1]);
    }

    #[test]
    fn late_publishes_double_the_stride_on_time_ones_halve_it() {
        let mut r = Rate::new(0, 250);
        let mut seq = 0;
        let mut published = Vec::new();
        // Late every time it is due: 1, 2, 4, … 16 ticks apart.
        while seq < 200 {
            seq += 1;
            if r.due(seq, || None) {
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
            if r.due(seq, || Some(Duration::ZERO)) {
                r.published(seq);
            }
        }
        seq += 1;
        assert!(r.due(seq, || Some(Duration::ZERO)));
        assert_eq!(r.published(seq), 1);
    }

    #[test]
    fn a_carried_topic_is_due_without_being_judged_again() {
        let mut r = Rate::new(0, 250);
        assert!(r.due(1, || Some(Duration::ZERO)));
        r.carry();
        assert!(r.due(2, || panic!("judged twice")));
        assert_eq!(r.published(2), 2, "two ticks since the last frame");
    }
}
