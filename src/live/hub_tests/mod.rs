//! The hub without sockets: a screen left unread for many ticks catches up
//! with one frame that brings it to a fresh snapshot's figures (merged as
//! the page merges, `web/figures.js`); a topic whose screens do not finish
//! slows down and recovers; the build budget defers topics, oldest first.

mod breakdown;
mod screen;

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use serde_json::Value;

use super::catch_up::{Next, next};
use super::filter::Filter;
use super::hub::Subscription;
use super::publish::Budget;
use super::rate::max_stride;
use screen::{Screen, json, setup, sku_cells};

#[test]
fn a_screen_left_unread_for_many_ticks_catches_up_with_one_frame() {
    let s = setup();
    s.order("a0", "s1", 1);
    s.tick(&[]);
    let mut sub = s.hub.subscribe(Filter::default());
    let mut screen = Screen::default();
    screen.frame(&sub.snapshot().1);
    let from = screen.seq;
    // 60 ticks (15 s) it never reads: orders, a store first seen, the
    // stock falling to a warning, an alert.
    for t in 0..60 {
        if t % 7 == 0 {
            s.order(&format!("o{t}"), "s1", 1);
        }
        if t == 20 {
            s.order("p1", "pop-up", 85);
        }
        s.tick(if t == 30 {
            &[r#"{"type":"alert","n":1}"#]
        } else {
            &[]
        });
    }
    assert!(sub.rx.has_changed().unwrap_or(false));
    let newest = sub.rx.borrow().seq;
    assert_eq!(
        screen.serve(&mut sub),
        Next::CatchUp { since: from },
        "it missed publishes"
    );
    assert_eq!(screen.kinds, ["snapshot", "alert", "tick"], "no snapshot");
    assert!(newest <= s.hub.seq());
    assert_eq!(screen.seq, s.hub.seq(), "as of the newest tick, read now");
    assert_eq!(screen.alerts, [r#"{"type":"alert","n":1}"#]);
    assert_eq!(screen.stores["pop-up"]["name"], "pop-up", "named once new");
    assert_eq!(screen.warnings[0]["id"], "k1", "the warning of the gap");

    // The figures equal a fresh snapshot's.
    let mut fresh = Screen::default();
    fresh.frame(&s.hub.subscribe(Filter::default()).snapshot().1);
    assert_eq!(screen.totals, fresh.totals);
    for (id, row) in &fresh.channels {
        // Ticks leave a channel's windows and budget plan out (they
        // slide with the clock; the page draws no windows, and the plan
        // share is the totals').
        let held = screen.channels[id].as_object().into_iter().flatten();
        for (field, v) in held.filter(|(f, _)| !["windows", "budget_plan"].contains(&f.as_str())) {
            assert_eq!(&row[field], v, "channel {id} {field}");
        }
    }
    assert_eq!(sku_cells(&screen.top_skus), sku_cells(&fresh.top_skus));
    assert_eq!(sku_cells(&screen.warnings), sku_cells(&fresh.warnings));
    for (id, row) in &fresh.stores {
        for field in ["gmv", "orders", "name"] {
            assert_eq!(screen.stores[id][field], row[field], "{id} {field}");
        }
    }
    for (second, point) in &fresh.series {
        assert_eq!(screen.series.get(second), Some(point), "second {second}");
    }
    for (minute, row) in &fresh.timeline {
        assert_eq!(screen.timeline.get(minute), Some(row), "minute {minute}");
    }
    let stats = s.hub.stats();
    assert_eq!(stats.snapshots_sent.load(Relaxed), 2, "the two asked for");
    assert_eq!(stats.catch_ups_built.load(Relaxed), 1);

    // From then on: the topic's frames as published.
    s.order("z", "s1", 1);
    for _ in 0..40 {
        s.tick(&[]);
        let what = screen.serve(&mut sub);
        assert!(matches!(what, Next::Regular | Next::Skip), "{what:?}");
    }
    assert_eq!(
        screen.stores["s1"]["orders"],
        fresh.stores["s1"]["orders"]
            .as_u64()
            .map(|n| n + 1)
            .unwrap_or_default()
    );
}

#[test]
fn screens_that_missed_the_same_ticks_share_one_catch_up() {
    let s = setup();
    s.tick(&[]);
    let mut subs: Vec<(Subscription, Screen)> = (0..3)
        .map(|_| {
            let sub = s.hub.subscribe(Filter::default());
            let mut screen = Screen::default();
            screen.frame(&sub.snapshot().1);
            (sub, screen)
        })
        .collect();
    // Long enough for the topic to slow down and publish past their gap.
    for t in 0..40 {
        s.order(&format!("o{t}"), "s1", 1);
        s.tick(&[]);
    }
    for (sub, screen) in &mut subs {
        assert!(matches!(screen.serve(sub), Next::CatchUp { .. }));
    }
    let stats = s.hub.stats();
    assert_eq!(stats.catch_ups_sent.load(Relaxed), 3);
    assert_eq!(stats.catch_ups_built.load(Relaxed), 1);
}

#[test]
fn a_gap_past_the_alert_ring_carries_the_recent_alerts() {
    let s = setup();
    s.tick(&[]);
    let mut sub = s.hub.subscribe(Filter::default());
    let mut screen = Screen::default();
    screen.frame(&sub.snapshot().1);
    let many: Vec<&'static str> = vec![r#"{"type":"alert"}"#; super::alert_ring::ALERT_RING + 1];
    s.tick(&many);
    s.tick(&[]);
    let p = sub.rx.borrow_and_update().clone();
    let c = sub.catch_up(screen.seq, &p);
    assert!(c.alerts.is_empty(), "frames no longer all kept");
    assert!(json(&c.tick)["alerts"].is_array(), "{}", &*c.tick);
}

#[test]
fn a_topic_whose_screens_do_not_finish_slows_down_then_recovers() {
    let s = setup();
    let mut sub = s.hub.subscribe(Filter::default());
    let max = max_stride(250);
    // The screen never finishes a frame: the topic's rate falls to the slowest.
    for _ in 0..100 {
        s.tick(&[]);
    }
    let slow = sub.rx.borrow().every_ms;
    assert_eq!(slow, 250 * max);
    assert_eq!(s.hub.stats().max_stride.load(Relaxed), max);
    assert_eq!(s.hub.stats().topics_slowed.load(Relaxed), 1);
    let mut screen = Screen::default();
    screen.frame(&sub.snapshot().1);
    // It finishes each as it comes: back to every tick.
    let mut seqs = Vec::new();
    for _ in 0..200 {
        s.tick(&[]);
        if matches!(screen.serve(&mut sub), Next::Regular | Next::CatchUp { .. }) {
            seqs.push(screen.seq);
        }
    }
    assert_eq!(sub.rx.borrow().every_ms, 250);
    let last = &seqs[seqs.len() - 2..];
    assert_eq!(last[1], last[0] + 1, "every tick again: {seqs:?}");
    assert_eq!(s.hub.stats().topics_slowed.load(Relaxed), 0);
    assert_eq!(json(&sub.rx.borrow().tick)["every_ms"], 250);
}

#[test]
fn the_build_budget_defers_topics_and_builds_them_first_next_tick() {
    let s = setup();
    let filters =
        ["", "stores=s1", "channels=tmall"].map(|q| Filter::from_query(Some(q)).expect("a filter"));
    let mut subs: Vec<Subscription> = filters.iter().map(|f| s.hub.subscribe(f.clone())).collect();
    let none = Budget {
        tick: Duration::ZERO,
        chunk: Duration::ZERO,
    };
    let mut published = Vec::new();
    for seq in 1..=3 {
        s.hub.tick_with(Vec::new(), none);
        let now: Vec<u64> = subs.iter().map(|sub| sub.rx.borrow().seq).collect();
        published.push(now.iter().filter(|&&p| p == seq).count());
        for sub in &mut subs {
            let p = sub.rx.borrow_and_update().clone();
            sub.handled(&p);
        }
    }
    assert_eq!(published, [1, 1, 1], "one chunk of one frame a tick");
    let seqs: Vec<u64> = subs.iter().map(|sub| sub.rx.borrow().seq).collect();
    assert!(seqs.iter().all(|&p| p > 0), "each built once: {seqs:?}");
    let late: Vec<u64> = subs.iter().map(|sub| sub.rx.borrow().every_ms).collect();
    assert!(late.contains(&500) && late.contains(&750), "{late:?}");
    // Two left over each tick.
    assert_eq!(s.hub.stats().topics_deferred.load(Relaxed), 6);
}

#[test]
fn a_store_climbing_into_the_top_200_comes_with_its_name() {
    let s = setup();
    // 200 stores above the configured one, which has sold nothing yet.
    for i in 0..super::build::PUSH_STORES {
        s.order(&format!("u{i}"), &format!("u{i:03}"), 2);
    }
    s.tick(&[]);
    let mut sub = s.hub.subscribe(Filter::default());
    let mut screen = Screen::default();
    screen.frame(&sub.snapshot().1);
    assert!(!screen.stores.contains_key("s1"), "201st: not on the wall");
    s.order("big", "s1", 5);
    s.tick(&[]);
    assert_eq!(screen.serve(&mut sub), Next::Regular);
    assert_eq!(screen.stores["s1"]["gmv"], 50_000);
    assert_eq!(
        screen.stores["s1"]["name"], "旗舰店",
        "a store new to the wall is named, not only one new to the sale"
    );
}

#[test]
fn a_catch_up_built_late_never_runs_the_figures_backwards() {
    let s = setup();
    s.tick(&[]);
    let mut sub = s.hub.subscribe(Filter::default());
    let mut screen = Screen::default();
    screen.frame(&sub.snapshot().1);
    let from = screen.seq;
    // Ticks the screen misses (counted as finished, so the rate holds).
    for t in 0..2 {
        s.order(&format!("a{t}"), "s1", 1);
        s.tick(&[]);
        let p = sub.rx.borrow().clone();
        sub.handled(&p);
    }
    // The screen takes the newest publish, one it must catch up to...
    let taken = sub.rx.borrow_and_update().clone();
    assert_eq!(next(from, &taken), Next::CatchUp { since: from });
    // ...but its task runs late: a newer publish and another order first.
    s.order("b", "s1", 1);
    s.tick(&[]);
    s.order("c", "s1", 1);
    let c = sub.catch_up(from, &taken);
    screen.frame(&c.tick);
    let applied = |f: &Value| f["events_applied"].as_u64().unwrap_or_default();
    let shown = applied(&json(&c.tick));
    assert_eq!(shown, 4, "built now: every order");
    // The publish it had not taken comes next; nothing shown may go back.
    let p = sub.rx.borrow_and_update().clone();
    if next(screen.seq, &p) != Next::Skip {
        assert!(applied(&json(&p.tick)) >= shown, "figures ran backwards");
    }
}

#[test]
fn a_store_pushed_out_of_the_top_200_leaves_the_wall() {
    let s = setup();
    for i in 0..super::build::PUSH_STORES {
        s.order(&format!("u{i}"), &format!("u{i:03}"), 2);
    }
    s.tick(&[]);
    let mut reading = s.hub.subscribe(Filter::default());
    let mut wall = Screen::default();
    wall.frame(&reading.snapshot().1);
    let mut unread = s.hub.subscribe(Filter::default());
    let mut behind = Screen::default();
    behind.frame(&unread.snapshot().1);
    assert!(wall.stores.contains_key("u199"), "the 200th, on the wall");
    // A new store outsells it: u199 (the last of the ties) is the 201st.
    s.order("big", "s1", 5);
    s.tick(&[]);
    assert_eq!(wall.serve(&mut reading), Next::Regular);
    assert!(wall.stores.contains_key("s1"));
    assert!(!wall.stores.contains_key("u199"), "dropped, not frozen");
    assert_eq!(wall.stores.len(), super::build::PUSH_STORES);
    // A screen that missed it learns it from its catch-up.
    for t in 0..3 {
        s.order(&format!("more{t}"), "u000", 1);
        s.tick(&[]);
        let p = unread.rx.borrow().clone();
        unread.handled(&p);
    }
    assert!(matches!(behind.serve(&mut unread), Next::CatchUp { .. }));
    assert!(!behind.stores.contains_key("u199"));
    assert_eq!(behind.stores.len(), super::build::PUSH_STORES);
}

#[test]
fn a_budget_is_summed_only_over_channels_that_all_have_one() {
    let s = setup();
    s.order("a0", "s1", 1);
    s.order("p1", "pop-up", 1);
    s.tick(&[]);
    let budget_of = |q: &str| {
        let filter = Filter::from_query(Some(q)).expect("a filter");
        let snap = json(&s.hub.subscribe(filter).snapshot().1);
        snap["totals"]["budget"].clone()
    };
    assert_eq!(budget_of("channels=tmall"), 500_000);
    assert!(
        budget_of("channels=tmall,other").is_null(),
        "`other` has no budget: tmall's would be set against both channels' spend"
    );
}
