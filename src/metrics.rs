//! Process counters and their Prometheus text rendering (`GET /metrics`).
//!
//! Counters are plain atomics bumped once per request (never per event);
//! figures that live elsewhere (the engine, the log, the live hub, the
//! alert side) are read at scrape time. Every family has HELP and TYPE
//! lines, no per-SKU or per-store labels, and the output passes `promtool
//! check metrics` (a test runs it).

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::alerts::Alerts;
use crate::engine::Engine;
use crate::live::LiveStats;
use crate::storage::Storage;

/// Bucket bounds of the request-duration histogram, in seconds.
const BOUNDS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// A fixed-bucket latency histogram of atomics.
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; 12],
    count: AtomicU64,
    sum_us: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        for (i, b) in BOUNDS.iter().enumerate() {
            if s <= *b {
                self.buckets[i].fetch_add(1, Relaxed);
            }
        }
        self.count.fetch_add(1, Relaxed);
        self.sum_us.fetch_add(d.as_micros() as u64, Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        for (i, b) in BOUNDS.iter().enumerate() {
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels},le=\"{b}\"}} {}",
                self.buckets[i].load(Relaxed)
            );
        }
        let count = self.count.load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "{name}_sum{{{labels}}} {}",
            self.sum_us.load(Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count{{{labels}}} {count}");
    }
}

/// Which kind of request a duration belongs to.
#[derive(Debug, Clone, Copy)]
pub enum Route {
    Ingest,
    Read,
}

#[derive(Debug, Default)]
pub struct Metrics {
    requests_ok: AtomicU64,
    requests_bad: AtomicU64,
    accepted: AtomicU64,
    duplicates: AtomicU64,
    rejected: AtomicU64,
    ingest_latency: Histogram,
    read_latency: Histogram,
}

/// Everything `/metrics` reads besides the counters here.
pub struct Sources<'a> {
    pub engine: &'a Engine,
    pub live: &'a LiveStats,
    pub storage: Option<&'a Storage>,
    pub alerts: &'a Alerts,
}

/// Resident memory of this process (Linux), in bytes.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
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

    pub fn observe(&self, route: Route, d: Duration) {
        match route {
            Route::Ingest => self.ingest_latency.observe(d),
            Route::Read => self.read_latency.observe(d),
        }
    }

    /// The Prometheus text exposition of everything counted.
    pub fn render(&self, src: &Sources<'_>) -> String {
        let (applied, keys, stores, skus) = src
            .engine
            .read(|st, _| (st.events_applied, st.keys(), st.stores.len(), st.skus.len()));
        let mut out = String::with_capacity(8192);
        let head = |out: &mut String, name: &str, kind: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        let one = |out: &mut String, name: &str, kind: &str, help: &str, v: u64| {
            head(out, name, kind, help);
            let _ = writeln!(out, "{name} {v}");
        };
        head(
            &mut out,
            "warroom_ingest_events_total",
            "counter",
            "Events received by ingest, by result.",
        );
        for (r, v) in [
            ("accepted", &self.accepted),
            ("duplicate", &self.duplicates),
            ("rejected", &self.rejected),
        ] {
            let _ = writeln!(
                out,
                "warroom_ingest_events_total{{result=\"{r}\"}} {}",
                v.load(Relaxed)
            );
        }
        head(
            &mut out,
            "warroom_ingest_requests_total",
            "counter",
            "Ingest requests, by result (bad_body: the body could not be read as events).",
        );
        for (r, v) in [("ok", &self.requests_ok), ("bad_body", &self.requests_bad)] {
            let _ = writeln!(
                out,
                "warroom_ingest_requests_total{{result=\"{r}\"}} {}",
                v.load(Relaxed)
            );
        }
        head(
            &mut out,
            "warroom_http_request_duration_seconds",
            "histogram",
            "HTTP request durations, by kind of route.",
        );
        self.ingest_latency.render(
            &mut out,
            "warroom_http_request_duration_seconds",
            "route=\"ingest\"",
        );
        self.read_latency.render(
            &mut out,
            "warroom_http_request_duration_seconds",
            "route=\"read\"",
        );
        one(
            &mut out,
            "warroom_events_applied_total",
            "counter",
            "Events applied to the engine since the process started.",
            applied,
        );
        one(
            &mut out,
            "warroom_idempotency_keys",
            "gauge",
            "Idempotency keys held in memory.",
            keys as u64,
        );
        one(
            &mut out,
            "warroom_stores",
            "gauge",
            "Stores known to the engine.",
            stores as u64,
        );
        one(
            &mut out,
            "warroom_skus",
            "gauge",
            "SKUs known to the engine.",
            skus as u64,
        );

        let l = |a: &AtomicU64| a.load(Relaxed);
        let live = src.live;
        one(
            &mut out,
            "warroom_live_screens",
            "gauge",
            "Connected live screens.",
            l(&live.screens),
        );
        one(
            &mut out,
            "warroom_live_topics",
            "gauge",
            "Distinct screen filters built each tick.",
            l(&live.topics),
        );
        one(
            &mut out,
            "warroom_live_frames_sent_total",
            "counter",
            "Tick frames sent to screens.",
            l(&live.frames_sent),
        );
        one(
            &mut out,
            "warroom_live_frames_skipped_total",
            "counter",
            "Ticks slow screens skipped (each got the current snapshot instead).",
            l(&live.frames_skipped),
        );
        one(
            &mut out,
            "warroom_live_snapshots_total",
            "counter",
            "Snapshots sent to screens.",
            l(&live.snapshots_sent),
        );
        one(
            &mut out,
            "warroom_live_snapshots_built_total",
            "counter",
            "Snapshots built (at most one per tick and filter).",
            l(&live.snapshots_built),
        );
        one(
            &mut out,
            "warroom_live_ticks_total",
            "counter",
            "Ticks run by the live hub.",
            l(&live.ticks),
        );
        head(
            &mut out,
            "warroom_live_tick_build_seconds",
            "gauge",
            "Time to build and serialise the last tick's frames.",
        );
        let _ = writeln!(
            out,
            "warroom_live_tick_build_seconds {}",
            l(&live.last_build_us) as f64 / 1e6
        );
        one(
            &mut out,
            "warroom_live_tick_bytes",
            "gauge",
            "Size of the last unfiltered tick frame in bytes.",
            l(&live.last_tick_bytes),
        );

        if let Some(storage) = src.storage {
            let w = storage.wal().stats();
            one(
                &mut out,
                "warroom_wal_bytes_total",
                "counter",
                "Bytes written to the write-ahead log.",
                l(&w.bytes),
            );
            one(
                &mut out,
                "warroom_wal_fsyncs_total",
                "counter",
                "fdatasync calls on the write-ahead log.",
                l(&w.syncs),
            );
            head(
                &mut out,
                "warroom_wal_fsync_seconds_total",
                "counter",
                "Time spent in fdatasync on the write-ahead log.",
            );
            let _ = writeln!(
                out,
                "warroom_wal_fsync_seconds_total {}",
                l(&w.sync_us_total) as f64 / 1e6
            );
            head(
                &mut out,
                "warroom_wal_fsync_max_seconds",
                "gauge",
                "Longest single fdatasync so far.",
            );
            let _ = writeln!(
                out,
                "warroom_wal_fsync_max_seconds {}",
                l(&w.sync_us_max) as f64 / 1e6
            );
            let (checkpoints, last_ms) = storage.checkpoint_stats();
            one(
                &mut out,
                "warroom_checkpoints_total",
                "counter",
                "Checkpoints written since start.",
                checkpoints,
            );
            head(
                &mut out,
                "warroom_checkpoint_last_seconds",
                "gauge",
                "Time the last checkpoint took.",
            );
            let _ = writeln!(
                out,
                "warroom_checkpoint_last_seconds {}",
                last_ms as f64 / 1e3
            );
        }

        head(
            &mut out,
            "warroom_alert_deliveries_total",
            "counter",
            "Alert delivery attempts, by hook and result.",
        );
        for (hook, result, n) in src.alerts.delivery_counts() {
            let hook = hook.replace('\\', "\\\\").replace('"', "\\\"");
            let _ = writeln!(
                out,
                "warroom_alert_deliveries_total{{hook=\"{hook}\",result=\"{}\"}} {n}",
                result.replace(' ', "_")
            );
        }
        if let Some(rss) = resident_bytes() {
            one(
                &mut out,
                "process_resident_memory_bytes",
                "gauge",
                "Resident memory size in bytes.",
                rss,
            );
        }
        out
    }
}
