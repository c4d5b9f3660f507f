//! What the screens are told about the stream in cluster mode: which
//! stream sequence the figures of a frame reflect, on which node, and
//! whether that node is behind (docs/api.md, Live frames, "Screens in a
//! cluster").
//!
//! A screen may move between nodes; it must never show a lower figure
//! than it has shown. It can only judge that if each frame names the
//! sequence its figures reflect, exactly: the apply loop advances
//! [`Progress`] under the engine lock, so the hub reads the position inside
//! the same engine read its figures come from ([`Stream::note`] is called
//! in that closure), and the sequence is the one of that very state —
//! never higher (a screen would then wait for figures it already has) and
//! never lower (it would hold back a node that is in fact level).

use std::sync::Arc;

use serde::Serialize;

use crate::cluster::Progress;

/// The `stream` field of a snapshot or tick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamNote {
    /// The last stream sequence applied in the figures of this frame.
    pub seq: u64,
    /// How far this node trails the stream's newest record (0 at its end).
    pub lag_ms: u64,
    /// This node is over `[cluster] max_lag_ms` behind, or still catching
    /// up after its start: its figures are older than the sale's.
    pub behind: bool,
    /// The node's name.
    pub node: String,
}

/// What the hub watches in cluster mode (set once by the app).
#[derive(Debug)]
pub struct Stream {
    progress: Arc<Progress>,
    node: String,
    /// Node base URLs a screen may move to (`[cluster] screens`), sent in
    /// `hello`.
    screens: Vec<String>,
}

impl Stream {
    pub fn new(progress: Arc<Progress>, node: String, screens: Vec<String>) -> Stream {
        Stream {
            progress,
            node,
            screens,
        }
    }

    /// The note of a frame whose figures are read now; call it inside the
    /// engine read those figures come from (see the module note).
    pub fn note(&self, now_ms: i64) -> StreamNote {
        let pos = self.progress.position(now_ms);
        StreamNote {
            seq: pos.seq,
            lag_ms: pos.lag_ms,
            behind: pos.behind,
            node: self.node.clone(),
        }
    }

    pub fn screens(&self) -> &[String] {
        &self.screens
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::{Value, json};

    use super::*;
    use crate::alerts::Alerts;
    use crate::clock::ManualClock;
    use crate::engine::Engine;
    use crate::event::{Batch, Event};
    use crate::live::{Filter, Hub};

    const SALE: &str = r#"
[sale]
name = "stream"
currency = "CNY"
timezone = "Asia/Shanghai"
starts = "2026-11-11T00:00:00+08:00"
ends = "2026-11-12T00:00:00+08:00"
target = "1000000"
"#;
    const NOW_MS: i64 = 1_794_330_000_000;

    fn hub() -> Hub {
        let cfg = crate::config::parse_str(SALE, "stream.toml", Path::new("."))
            .expect("the test sale is valid");
        let engine = Engine::new(Arc::new(cfg), Arc::new(ManualClock::new(NOW_MS)));
        let alerts = Alerts::new(engine.clone(), None);
        Hub::new(engine, alerts)
    }

    fn json(bytes: &str) -> Value {
        serde_json::from_str(bytes).expect("a frame is JSON")
    }

    /// The newest tick of `filter`'s topic after one more tick.
    fn tick(hub: &Hub, filter: &Filter) -> Value {
        let sub = hub.subscribe(filter.clone());
        hub.tick_now();
        let published = sub.rx.borrow().clone();
        json(&published.tick)
    }

    /// The apply loop sets the sequence under the engine lock; frames read
    /// it under the same lock as their figures. Here one event per record,
    /// so `events_applied` must equal `stream.seq` in every frame, however
    /// the tick falls between two records. (The writer lingers inside the
    /// lock, so a frame that read the sequence before or after its figures
    /// would be caught within a few frames.)
    #[test]
    fn a_frame_names_exactly_the_sequence_its_figures_reflect() {
        let hub = hub();
        let progress = Arc::new(Progress::new(0, 3_000));
        progress.set_caught_up();
        hub.watch_stream(progress.clone(), "a".into(), Vec::new());
        let engine = hub.engine().clone();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let writer = std::thread::spawn(move || {
            let mut seq = 0;
            while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                seq += 1;
                let mut batch = Batch::default();
                batch
                    .events
                    .push(Event::stock(NOW_MS, "k1".into(), seq as i64));
                engine.replay_then(&batch, NOW_MS, |_| {
                    progress.set_applied(seq, NOW_MS);
                    std::thread::sleep(std::time::Duration::from_micros(50));
                });
            }
            seq
        });
        let sub = hub.subscribe(Filter::default());
        for _ in 0..200 {
            hub.tick_now();
            let tick = json(&sub.rx.borrow().tick);
            assert_eq!(tick["events_applied"], tick["stream"]["seq"], "a tick");
            let snap = json(&sub.snapshot().1);
            assert_eq!(snap["events_applied"], snap["stream"]["seq"], "a snapshot");
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let last = writer.join().unwrap_or_default();
        assert!(last > 1, "the writer ran: {last}");
    }

    #[test]
    fn single_node_frames_carry_no_stream() {
        let hub = hub();
        let all = Filter::default();
        assert_eq!(tick(&hub, &all).get("stream"), None);
        let sub = hub.subscribe(all.clone());
        assert_eq!(json(&sub.snapshot().1).get("stream"), None);
        assert_eq!(json(&hub.hello(&all)).get("servers"), None);
    }

    #[test]
    fn frames_follow_the_applied_sequence_and_say_when_behind() {
        let hub = hub();
        let progress = Arc::new(Progress::new(0, 3_000));
        let screens = vec![
            "http://10.0.0.1:8080".to_string(),
            "http://10.0.0.2:8080".into(),
        ];
        hub.watch_stream(progress.clone(), "a".into(), screens.clone());
        let all = Filter::default();
        let one = Filter::from_query(Some("stores=s1")).expect("a filter");

        assert_eq!(json(&hub.hello(&all))["servers"], json!(screens));
        // Still catching up after start: behind, whatever the lag.
        let first = tick(&hub, &all);
        assert_eq!(
            first["stream"],
            json!({"seq": 0, "lag_ms": 0, "behind": true, "node": "a"})
        );

        progress.set_caught_up();
        progress.set_applied(41, NOW_MS - 500);
        for filter in [&all, &one] {
            assert_eq!(
                tick(&hub, filter)["stream"],
                json!({"seq": 41, "lag_ms": 0, "behind": false, "node": "a"}),
                "{filter:?}"
            );
            let sub = hub.subscribe(filter.clone());
            assert_eq!(json(&sub.snapshot().1)["stream"]["seq"], 41);
        }

        // Records beyond ours, and ours received 5 s ago: behind.
        progress.saw(50);
        let late = tick(&hub, &one);
        assert_eq!(
            late["stream"],
            json!({"seq": 41, "lag_ms": 500, "behind": false, "node": "a"})
        );
        progress.set_applied(45, NOW_MS - 5_000);
        let late = tick(&hub, &all);
        assert_eq!(
            late["stream"],
            json!({"seq": 45, "lag_ms": 5_000, "behind": true, "node": "a"})
        );
        // Level again: the flag flips back.
        progress.set_applied(50, NOW_MS - 10);
        assert_eq!(tick(&hub, &all)["stream"]["behind"], false);
        assert_eq!(tick(&hub, &all)["stream"]["seq"], 50);
    }
}
