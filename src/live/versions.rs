//! Row versions: the tick `seq` at which each part of a frame last changed,
//! so a frame "since s" (docs/api.md, Live frames, "Sequence and
//! catch-up") carries exactly what a screen that has seen tick `s` lacks.
//!
//! The tick task updates [`Versions`] once per tick in one short engine
//! read (it compares each store's and channel's counters with the last
//! ones seen); regular frames and catch-up frames both read it. Keeping a
//! version per row instead of a per-tick diff is what lets a screen that
//! missed any number of ticks catch up with one small frame: the rows
//! changed after its last tick, coalesced, never a full snapshot. A short
//! ring maps recent ticks to their time, for the series and timeline a
//! frame re-sends; a tick older than the ring is treated as old.

use std::collections::VecDeque;

use super::notes::NoteVersions;
use super::stored::StorageVersion;
use crate::engine::{Counters, State};
use crate::views::{ReachFigures, SkuRow};

/// Ticks whose time is remembered (~4 minutes at the default 250 ms).
pub const TIME_RING: usize = 1_000;

/// What a store's or channel's row shows that can change: its counters
/// and its traffic and spend.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Figures {
    counters: Counters,
    reach: ReachFigures,
}

/// One store's or channel's last figures and versions.
#[derive(Debug, Clone, Copy, Default)]
struct Row {
    counters: Figures,
    /// The tick its counters last changed (0: never since the start).
    changed: u64,
    /// The tick it was first seen.
    seen: u64,
    /// The tick it last entered the top list an unfiltered screen shows,
    /// and the last tick it was in it: a row new to the list is new to
    /// the screens (its name too), though not to the sale.
    listed: u64,
    in_top: u64,
    /// The tick it last left the top list (0: never).
    left: u64,
}

impl Row {
    /// Its figures changed, or it entered the top list, after tick `since`.
    fn moved_after(&self, since: u64) -> bool {
        self.changed.max(self.listed) > since
    }

    /// It was first seen, or entered the top list, after tick `since`.
    fn news_after(&self, since: u64) -> bool {
        self.seen.max(self.listed) > since
    }
}

/// Rows that left a top list, with the tick they left it at: what a frame
/// "since" a tick tells its screens to drop (a row gone from the top 200
/// would otherwise stay on a wall with its last figures). The newest
/// [`DEPARTURES`]; a gap older than those is answered from every row's
/// `left` instead.
#[derive(Debug, Default)]
struct Departures {
    ring: VecDeque<(u64, usize)>,
    /// The newest tick whose departures were dropped from the ring (0: none).
    dropped_upto: u64,
}

/// Departures remembered per list.
const DEPARTURES: usize = 4096;

impl Departures {
    /// Rows of `old` (the list before tick `seq`) that are no longer in it.
    fn record(&mut self, rows: &mut [Row], old: &[usize], seq: u64) {
        for &i in old {
            let Some(row) = rows.get_mut(i) else { continue };
            if row.in_top != seq {
                row.left = seq;
                if self.ring.len() >= DEPARTURES
                    && let Some((dropped, _)) = self.ring.pop_front()
                {
                    self.dropped_upto = dropped;
                }
                self.ring.push_back((seq, i));
            }
        }
    }

    /// Rows that left after tick `since` and are not back in the list at
    /// tick `now`, each once.
    fn since(&self, rows: &[Row], since: u64, now: u64) -> Vec<usize> {
        let gone = |r: &Row| r.left > since && r.in_top != now;
        let mut out: Vec<usize> = if since < self.dropped_upto {
            (0..rows.len()).filter(|&i| gone(&rows[i])).collect()
        } else {
            // Oldest first: only the newest few are read.
            self.ring
                .iter()
                .rev()
                .take_while(|&&(at, _)| at > since)
                .filter(|&&(_, i)| rows.get(i).is_some_and(gone))
                .map(|&(_, i)| i)
                .collect()
        };
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// A sale-wide list (top SKUs, stock warnings) and when it last changed.
#[derive(Debug, Default)]
struct List {
    rows: Vec<SkuRow>,
    changed: u64,
}

impl List {
    fn set(&mut self, rows: Vec<SkuRow>, seq: u64) {
        if rows != self.rows {
            self.rows = rows;
            self.changed = seq;
        }
    }

    fn since(&self, since: u64) -> Option<Vec<SkuRow>> {
        (self.changed > since).then(|| self.rows.clone())
    }
}

/// Per-row change versions of a list that only grows (regions,
/// campaigns): each row's last figures and the tick they changed at.
#[derive(Debug)]
struct Changed<K> {
    rows: Vec<(K, u64)>,
}

impl<K> Default for Changed<K> {
    fn default() -> Self {
        Changed { rows: Vec::new() }
    }
}

impl<K: PartialEq + Copy> Changed<K> {
    fn update(&mut self, now: impl Iterator<Item = K>, seq: u64) {
        for (i, k) in now.enumerate() {
            match self.rows.get_mut(i) {
                Some(row) if row.0 != k => *row = (k, seq),
                Some(_) => {}
                None => self.rows.push((k, seq)),
            }
        }
    }

    /// Row `i` changed (or was first seen) after tick `since`; a row not
    /// yet tracked did.
    fn after(&self, i: usize, since: u64) -> bool {
        self.rows.get(i).is_none_or(|r| r.1 > since)
    }
}

/// What a region row shows: GMV, orders, buyers.
type RegionKey = (i64, u64, u64);
/// What a campaign row shows: GMV, orders, spend, channel.
type CampaignKey = (i64, u64, i64, Option<u32>);

/// Versions of everything a tick frame carries; owned by the hub, written
/// by its tick task, read by every frame build.
#[derive(Debug, Default)]
pub struct Versions {
    seq: u64,
    stores: Vec<Row>,
    channels: Vec<Row>,
    top_skus: List,
    warnings: List,
    regions: Changed<RegionKey>,
    campaigns: Changed<CampaignKey>,
    /// What the log's health was at each tick (see `stored`).
    pub(super) storage: StorageVersion,
    /// The stores and channels an unfiltered screen shows, as of `seq`.
    pub(super) top_stores: Vec<usize>,
    pub(super) top_channels: Vec<usize>,
    stores_left: Departures,
    channels_left: Departures,
    /// (tick, its time in ms) for the last [`TIME_RING`] ticks, oldest first.
    times: VecDeque<(u64, i64)>,
    /// The ticks the war-room log's notes were added and deleted at.
    pub(super) notes: NoteVersions,
}

fn track(rows: &mut Vec<Row>, now: impl Iterator<Item = Figures>, seq: u64) {
    for (i, c) in now.enumerate() {
        if rows.len() <= i {
            rows.push(Row {
                seen: seq,
                ..Row::default()
            });
        }
        let row = &mut rows[i];
        if row.counters != c {
            row.counters = c;
            row.changed = seq;
        }
    }
}

/// Marks the rows of `top` (the list at tick `seq`) that were not in the
/// list at tick `prev`, the one recorded before.
fn relist(rows: &mut [Row], top: &[usize], prev: u64, seq: u64) {
    for &i in top {
        if let Some(row) = rows.get_mut(i) {
            if row.in_top != prev {
                row.listed = seq;
            }
            row.in_top = seq;
        }
    }
}

impl Versions {
    /// Records tick `seq` at `now_ms`. `skus`: whether to recompute the
    /// sale-wide SKU lists this tick (they scan every SKU, so the hub does
    /// it about once a second, not every tick).
    pub fn update(&mut self, st: &State, now_ms: i64, seq: u64, skus: bool) {
        let prev = std::mem::replace(&mut self.seq, seq);
        track(
            &mut self.stores,
            // A store's tick row carries no traffic or spend (docs/api.md,
            // Tick rows): a visit alone must not resend it.
            st.stores.iter().map(|s| Figures {
                counters: s.scope.counters,
                reach: ReachFigures::default(),
            }),
            seq,
        );
        track(
            &mut self.channels,
            st.channels.iter().map(|c| Figures {
                counters: c.scope.counters,
                reach: ReachFigures::of(&c.scope.reach),
            }),
            seq,
        );
        self.regions
            .update(st.regions.iter().map(|r| (r.gmv, r.orders, r.buyers)), seq);
        self.campaigns.update(
            st.campaigns
                .iter()
                .map(|c| (c.gmv, c.orders, c.reach.spend, c.channel)),
            seq,
        );
        if skus {
            self.top_skus.set(super::build::top_skus(st, now_ms), seq);
            self.warnings
                .set(super::build::stock_warnings(st, now_ms), seq);
        }
        let old_stores =
            std::mem::replace(&mut self.top_stores, super::build::top_store_indices(st));
        let old_channels = std::mem::replace(
            &mut self.top_channels,
            super::build::top_channel_indices(st),
        );
        relist(&mut self.stores, &self.top_stores, prev, seq);
        relist(&mut self.channels, &self.top_channels, prev, seq);
        self.stores_left.record(&mut self.stores, &old_stores, seq);
        self.channels_left
            .record(&mut self.channels, &old_channels, seq);
        self.notes.update(st, seq);
        if self.times.len() >= TIME_RING {
            self.times.pop_front();
        }
        self.times.push_back((seq, now_ms));
    }

    /// The newest tick recorded.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The time of tick `seq`, if the ring still holds it.
    pub fn time_of(&self, seq: u64) -> Option<i64> {
        let (first, _) = *self.times.front()?;
        let at = usize::try_from(seq.checked_sub(first)?).ok()?;
        self.times.get(at).filter(|(s, _)| *s == seq).map(|t| t.1)
    }

    /// Store `i` changed, or entered the top list, after tick `since` (a
    /// store not yet tracked did).
    pub fn store_changed(&self, i: usize, since: u64) -> bool {
        self.stores.get(i).is_none_or(|r| r.moved_after(since))
    }

    /// Store `i` was first seen, or entered the top list, after tick
    /// `since`: its name is news to a screen that had `since`.
    pub fn store_new(&self, i: usize, since: u64) -> bool {
        self.stores.get(i).is_none_or(|r| r.news_after(since))
    }

    /// Channel `i` was first seen, or entered the top list, after tick
    /// `since`: its name is news.
    pub fn channel_new(&self, i: usize, since: u64) -> bool {
        self.channels.get(i).is_none_or(|r| r.news_after(since))
    }

    pub fn channel_changed(&self, i: usize, since: u64) -> bool {
        self.channels.get(i).is_none_or(|r| r.moved_after(since))
    }

    /// Stores that left the top list after tick `since` and are not back.
    pub fn stores_left(&self, since: u64) -> Vec<usize> {
        self.stores_left.since(&self.stores, since, self.seq)
    }

    /// Channels that left the top list after tick `since` and are not back.
    pub fn channels_left(&self, since: u64) -> Vec<usize> {
        self.channels_left.since(&self.channels, since, self.seq)
    }

    /// Region `r` (its sale-wide figures) changed after tick `since`.
    pub fn region_changed(&self, r: usize, since: u64) -> bool {
        self.regions.after(r, since)
    }

    /// Campaign `k` changed after tick `since`.
    pub fn campaign_changed(&self, k: usize, since: u64) -> bool {
        self.campaigns.after(k, since)
    }

    pub fn top_skus_since(&self, since: u64) -> Option<Vec<SkuRow>> {
        self.top_skus.since(since)
    }

    pub fn warnings_since(&self, since: u64) -> Option<Vec<SkuRow>> {
        self.warnings.since(since)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_knows_recent_ticks_only() {
        let mut v = Versions::default();
        for seq in 1..=(TIME_RING as u64 + 10) {
            v.times.push_back((seq, seq as i64 * 250));
            if v.times.len() > TIME_RING {
                v.times.pop_front();
            }
        }
        assert_eq!(
            v.time_of(TIME_RING as u64 + 10),
            Some(250 * (TIME_RING as i64 + 10))
        );
        assert_eq!(v.time_of(11), Some(11 * 250));
        assert_eq!(v.time_of(10), None, "older than the ring");
        assert_eq!(v.time_of(0), None);
        assert_eq!(v.time_of(TIME_RING as u64 + 11), None, "not yet");
    }

    #[test]
    fn rows_carry_the_tick_they_changed_and_were_first_seen() {
        let mut rows = Vec::new();
        let c = |gmv| Figures {
            counters: Counters {
                gmv,
                ..Counters::default()
            },
            reach: ReachFigures::default(),
        };
        track(&mut rows, [c(0)].into_iter(), 1);
        track(&mut rows, [c(5), c(0)].into_iter(), 2);
        track(&mut rows, [c(5), c(7)].into_iter(), 3);
        let v = Versions {
            stores: rows,
            ..Versions::default()
        };
        assert!(!v.store_changed(0, 2) && v.store_changed(0, 1));
        assert!(v.store_changed(1, 2) && !v.store_changed(1, 3));
        assert!(v.store_new(1, 1) && !v.store_new(1, 2));
        assert!(v.store_changed(2, 100), "not tracked yet: changed");
    }

    #[test]
    fn regions_and_campaigns_carry_the_tick_they_changed() {
        let mut c: Changed<(i64, u64, u64)> = Changed::default();
        c.update([(5, 1, 1)].into_iter(), 1);
        c.update([(5, 1, 1), (0, 0, 0)].into_iter(), 2);
        c.update([(7, 2, 1), (0, 0, 0)].into_iter(), 3);
        assert!(c.after(0, 2) && !c.after(0, 3), "changed at 3");
        assert!(c.after(1, 1) && !c.after(1, 2), "first seen at 2");
        assert!(c.after(2, 100), "not tracked yet: changed");
    }

    #[test]
    fn departures_past_the_ring_are_found_in_the_rows() {
        let mut rows = vec![Row::default(); DEPARTURES + 10];
        let mut d = Departures::default();
        // Every row leaves once, one a tick (none is in the list at `seq`).
        for (seq, i) in (1..).zip(0..rows.len()) {
            d.record(&mut rows, &[i], seq);
        }
        assert!(d.dropped_upto > 0, "the ring overflowed");
        let recent = d.since(&rows, rows.len() as u64 - 2, u64::MAX);
        assert_eq!(recent, [rows.len() - 2, rows.len() - 1]);
        let all = d.since(&rows, 0, u64::MAX);
        assert_eq!(all.len(), rows.len(), "an old gap reads every row");
        // One back in the list at `now` is not gone.
        rows[0].in_top = 7;
        assert_eq!(d.since(&rows, 0, 7).len(), rows.len() - 1);
    }
}
