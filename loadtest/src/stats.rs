//! Histograms, the final table and the JSON report.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::args::{Args, Rate};
use crate::check::NodeCheck;
use crate::cost::{self, Used};
use crate::screens::SampleCounts;
use crate::server_view::LiveCounters;
use crate::step::Step;
use crate::template::Expected;

/// 1 µs to 60 s at 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("constant, valid histogram bounds")
}

/// Percentiles in milliseconds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Percentiles {
    pub count: u64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

impl Percentiles {
    pub fn of(h: &Histogram<u64>) -> Percentiles {
        let ms = |us: u64| us as f64 / 1000.0;
        Percentiles {
            count: h.len(),
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            p999: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub target_rate: Option<f64>,
    pub profile: String,
    pub connections: usize,
    pub batch: usize,
    pub seconds: f64,
    pub events_sent: u64,
    pub events_per_s: f64,
    pub batches: u64,
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub retries: u64,
    /// The nodes, when there are several (`--url` a list).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<String>,
    /// Retries sent to another node than the one that failed.
    #[serde(skip_serializing_if = "is_zero")]
    pub failovers: u64,
    /// Bodies an attempt may have applied without an acknowledgement.
    #[serde(skip_serializing_if = "is_zero")]
    pub uncertain: u64,
    pub errors: BTreeMap<String, u64>,
    pub http_latency_ms: Percentiles,
    /// Screens asked for, and connected (fewer when they did not fit
    /// under the open-file limit, or the server refused some).
    pub screens: usize,
    pub screens_connected: usize,
    /// Screens that failed to connect or ended before the run did.
    pub screens_failed: usize,
    /// Screens whose upgrade accepted `permessage-deflate`.
    pub screens_deflate: usize,
    /// Every message a screen got (ticks, alert frames, the opening two).
    pub frames_per_s_per_screen: f64,
    /// Tick frames a sampled screen got a second: the frame rate it saw.
    pub ticks_per_s_per_screen: f64,
    /// Payload bytes on the wire, all screens (compressed where accepted).
    pub screen_bytes_per_s: f64,
    pub event_to_screen_ms: Percentiles,
    pub frame_lag_ms: Percentiles,
    pub screen_errors: Vec<String>,
    /// The sampled screens (`--latency-screens`) and their frames by type,
    /// joining frames included.
    pub sample_screens: usize,
    pub sample: SampleCounts,
    /// Mean payload of a sampled frame on the wire, and inflated.
    pub sample_wire_bytes_per_frame: f64,
    pub sample_text_bytes_per_frame: f64,
    /// The server's counters over the run (from `/metrics`).
    pub server: Option<LiveCounters>,
    /// Snapshots as a share of the frames the server sent over the run.
    pub server_snapshot_share: Option<f64>,
    /// The load test's own CPU over the run, and its peak memory.
    pub loadtest_cpu: Used,
    pub loadtest_max_rss_bytes: Option<u64>,
    pub expected: Expected,
    pub exact: Option<bool>,
    /// Each node's verdict, when there are several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub node_checks: Vec<NodeCheck>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Report {
    pub fn new(args: &Args, step: &Step) -> Report {
        let (elapsed, s, screens) = (step.elapsed, &step.sent, &step.screens);
        let per_frame = |bytes: u64| bytes as f64 / screens.sample.frames().max(1) as f64;
        let secs = elapsed.as_secs_f64().max(1e-9);
        let per_screen = if screens.connected > 0 {
            screens.frames as f64 / screens.connected as f64 / screens.seconds.max(1e-9)
        } else {
            0.0
        };
        // Ticks alone (alert frames aside), from the screens that read them.
        let ticks_per_screen = if screens.sampled > 0 {
            screens.sample.tick as f64 / screens.sampled as f64 / screens.seconds.max(1e-9)
        } else {
            0.0
        };
        Report {
            target_rate: match args.rate {
                Rate::Max => None,
                Rate::PerSecond(r) => Some(r),
            },
            profile: format!("{:?}", args.profile),
            connections: args.connections,
            batch: args.batch,
            seconds: secs,
            events_sent: s.expected.lines,
            events_per_s: s.expected.lines as f64 / secs,
            batches: s.batches,
            accepted: s.accepted,
            duplicates: s.duplicates,
            rejected: s.rejected,
            retries: s.retries,
            nodes: if args.url.len() > 1 {
                args.url.list().to_vec()
            } else {
                Vec::new()
            },
            failovers: s.failovers,
            uncertain: s.uncertain,
            errors: s.errors.clone(),
            http_latency_ms: Percentiles::of(&s.latency),
            screens: step.asked,
            screens_connected: screens.connected,
            screens_failed: screens.failed,
            screens_deflate: screens.deflate,
            frames_per_s_per_screen: per_screen,
            ticks_per_s_per_screen: ticks_per_screen,
            screen_bytes_per_s: screens.bytes as f64 / screens.seconds.max(1e-9),
            event_to_screen_ms: Percentiles::of(&screens.e2s),
            frame_lag_ms: Percentiles::of(&screens.lag),
            screen_errors: screens.errors.clone(),
            sample_screens: screens.sampled,
            sample: screens.sample,
            sample_wire_bytes_per_frame: per_frame(screens.sample.wire_bytes),
            sample_text_bytes_per_frame: per_frame(screens.sample.text_bytes),
            server: step.server,
            server_snapshot_share: step.server.and_then(|c| c.snapshot_share()),
            loadtest_cpu: step.cost,
            loadtest_max_rss_bytes: cost::max_rss(),
            expected: s.expected,
            exact: None,
            node_checks: Vec::new(),
        }
    }

    /// The check's verdict; per node only when there are several.
    pub fn with_checks(mut self, exact: bool, checks: Vec<NodeCheck>) -> Report {
        self.exact = Some(exact);
        if self.nodes.len() > 1 {
            self.node_checks = checks;
        }
        self
    }

    pub fn print(&self) {
        let p = |x: &Percentiles| {
            format!(
                "{:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
                x.p50, x.p90, x.p99, x.p999, x.max
            )
        };
        println!();
        println!(
            "throughput        {:>12.0} events/s  ({} events in {:.1} s, {} batches of {})",
            self.events_per_s, self.events_sent, self.seconds, self.batches, self.batch
        );
        if let Some(r) = self.target_rate {
            println!("target            {r:>12.0} events/s  ({})", self.profile);
        }
        println!(
            "accepted          {:>12}   duplicates {}   rejected {}   retries {}",
            self.accepted, self.duplicates, self.rejected, self.retries
        );
        if !self.nodes.is_empty() {
            println!(
                "nodes             {:>12}   failovers {}   uncertain {}",
                self.nodes.len(),
                self.failovers,
                self.uncertain
            );
        } else if self.uncertain > 0 {
            println!("uncertain         {:>12}", self.uncertain);
        }
        println!("                        p50      p90      p99    p99.9      max   (ms)");
        println!("HTTP latency      {}", p(&self.http_latency_ms));
        if self.screens > 0 {
            println!("event→screen      {}", p(&self.event_to_screen_ms));
            println!("frame lag         {}", p(&self.frame_lag_ms));
            self.print_screens();
        }
        self.print_cost();
        if self.errors.is_empty() {
            println!("errors            none");
        }
        for (kind, n) in &self.errors {
            println!("errors            {n:>12}   {kind}");
        }
    }
}
