//! Process counters and their Prometheus text rendering (`GET /metrics`).
//!
//! Counters are plain atomics bumped once per request (never per event);
//! gauges that live in the engine (events applied, keys held) are read at
//! scrape time. Every metric has HELP and TYPE lines so `promtool check
//! metrics` accepts the output.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::engine::Engine;
use crate::live::LiveStats;

#[derive(Debug, Default)]
pub struct Metrics {
    requests_ok: AtomicU64,
    requests_bad: AtomicU64,
    accepted: AtomicU64,
    duplicates: AtomicU64,
    rejected: AtomicU64,
}

impl Metrics {
    pub fn record_batch(&self, accepted: usize, duplicates: usize, rejected: usize) {
        self.requests_ok.fetch_add(1, Relaxed);
        self.accepted.fetch_add(accepted as u64, Relaxed);
        self.duplicates.fetch_add(duplicates as u64, Relaxed);
        self.rejected.fetch_add(rejected as u64, Relaxed);
    }

    pub fn record_bad_body(&self) {
        self.requests_bad.fetch_add(1, Relaxed);
    }

    /// The Prometheus text exposition of everything counted.
    pub fn render(&self, engine: &Engine, live: &LiveStats) -> String {
        let (applied, keys, stores, skus) =
            engine.read(|st, _| (st.events_applied, st.keys(), st.stores.len(), st.skus.len()));
        let mut out = String::with_capacity(2048);
        let mut family = |name: &str, kind: &str, help: &str, rows: &[(&str, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, v) in rows {
                let _ = writeln!(out, "{name}{labels} {v}");
            }
        };
        family(
            "warroom_ingest_events_total",
            "counter",
            "Events received by ingest, by result.",
            &[
                ("{result=\"accepted\"}", self.accepted.load(Relaxed)),
                ("{result=\"duplicate\"}", self.duplicates.load(Relaxed)),
                ("{result=\"rejected\"}", self.rejected.load(Relaxed)),
            ],
        );
        family(
            "warroom_ingest_requests_total",
            "counter",
            "Ingest requests, by result (bad_body: the body could not be read as events).",
            &[
                ("{result=\"ok\"}", self.requests_ok.load(Relaxed)),
                ("{result=\"bad_body\"}", self.requests_bad.load(Relaxed)),
            ],
        );
        family(
            "warroom_events_applied_total",
            "counter",
            "Events applied to the engine since the process started.",
            &[("", applied)],
        );
        family(
            "warroom_idempotency_keys",
            "gauge",
            "Idempotency keys held in memory.",
            &[("", keys as u64)],
        );
        family(
            "warroom_stores",
            "gauge",
            "Stores known to the engine.",
            &[("", stores as u64)],
        );
        family(
            "warroom_skus",
            "gauge",
            "SKUs known to the engine.",
            &[("", skus as u64)],
        );
        let l = |a: &AtomicU64| a.load(Relaxed);
        let live_rows: [(&str, &str, &str, u64); 10] = [
            (
                "warroom_live_screens",
                "gauge",
                "Connected live screens.",
                l(&live.screens),
            ),
            (
                "warroom_live_topics",
                "gauge",
                "Distinct screen filters built each tick.",
                l(&live.topics),
            ),
            (
                "warroom_live_frames_sent_total",
                "counter",
                "Tick frames sent to screens.",
                l(&live.frames_sent),
            ),
            (
                "warroom_live_frames_skipped_total",
                "counter",
                "Ticks slow screens skipped (each got the current snapshot instead).",
                l(&live.frames_skipped),
            ),
            (
                "warroom_live_snapshots_total",
                "counter",
                "Snapshots sent to screens.",
                l(&live.snapshots_sent),
            ),
            (
                "warroom_live_snapshots_built_total",
                "counter",
                "Snapshots built (at most one per tick and filter).",
                l(&live.snapshots_built),
            ),
            (
                "warroom_live_snapshot_bytes",
                "gauge",
                "Size of the last snapshot built, in bytes.",
                l(&live.last_snapshot_bytes),
            ),
            (
                "warroom_live_ticks_total",
                "counter",
                "Ticks run by the live hub.",
                l(&live.ticks),
            ),
            (
                "warroom_live_tick_build_microseconds",
                "gauge",
                "Time to build and serialise the last tick's frames, in microseconds.",
                l(&live.last_build_us),
            ),
            (
                "warroom_live_tick_bytes",
                "gauge",
                "Size of the last unfiltered tick frame in bytes.",
                l(&live.last_tick_bytes),
            ),
        ];
        for (name, kind, help, v) in live_rows {
            family(name, kind, help, &[("", v)]);
        }
        out
    }
}
