//! Prometheus exposition (`GET /metrics`): a leaf every subsystem writes into.
//!
//! Nothing here imports another part of warroom. `Exposition` is the text
//! writer (HELP and TYPE lines, samples, histograms); each subsystem owns
//! its figures and implements [`Report`] next to them (the engine's sizes,
//! the log's syncs, the live hub's frames, alert deliveries), and the HTTP
//! handler asks each in turn. `HttpMetrics` holds the request counters
//! bumped at the HTTP edge and by ingest (once per request, never per event).
//! Every family has HELP and TYPE lines and no per-SKU or per-store labels,
//! so the output passes `promtool check metrics` (a test runs it).

mod exposition;
mod http;

pub use exposition::{Exposition, Kind, Report};
pub use http::{Histogram, HttpMetrics, Route};

/// Resident memory of this process (Linux), in bytes.
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// The process's own figures.
pub struct Process;

impl Report for Process {
    fn report(&self, out: &mut Exposition) {
        if let Some(rss) = resident_bytes() {
            out.one(
                "process_resident_memory_bytes",
                Kind::Gauge,
                "Resident memory size in bytes.",
                rss,
            );
        }
    }
}
