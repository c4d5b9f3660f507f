//! Request counters and latency histograms, bumped at the HTTP edge and by
//! ingest once per request (never per event).

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use super::{Exposition, Kind, Report};

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

    pub(crate) fn render(&self, out: &mut String, name: &str, labels: &str) {
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

/// Counters of the HTTP edge and ingest.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    requests_ok: AtomicU64,
    requests_bad: AtomicU64,
    accepted: AtomicU64,
    duplicates: AtomicU64,
    rejected: AtomicU64,
    ingest_latency: Histogram,
    read_latency: Histogram,
}

impl HttpMetrics {
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
}

impl Report for HttpMetrics {
    fn report(&self, out: &mut Exposition) {
        let name = "warroom_ingest_events_total";
        out.family(name, Kind::Counter, "Events received by ingest, by result.");
        for (r, v) in [
            ("accepted", &self.accepted),
            ("duplicate", &self.duplicates),
            ("rejected", &self.rejected),
        ] {
            out.labelled(name, &[("result", r)], v.load(Relaxed));
        }
        let name = "warroom_ingest_requests_total";
        out.family(
            name,
            Kind::Counter,
            "Ingest requests, by result (bad_body: the body could not be read as events).",
        );
        for (r, v) in [("ok", &self.requests_ok), ("bad_body", &self.requests_bad)] {
            out.labelled(name, &[("result", r)], v.load(Relaxed));
        }
        let name = "warroom_http_request_duration_seconds";
        out.family(
            name,
            Kind::Histogram,
            "HTTP request durations, by kind of route.",
        );
        self.ingest_latency
            .render(out.raw(), name, "route=\"ingest\"");
        self.read_latency.render(out.raw(), name, "route=\"read\"");
    }
}
