//! `--screen-sweep 0,1000,5000,10000`: one run per number of screens, in
//! turn, and the curve they draw.
//!
//! Each step connects its screens, sends the sale for `--duration`,
//! collects, disconnects, and waits for the server to count its sockets
//! back to what they were before the step (so no step inherits the last
//! one's departures). A line is printed as each step finishes and the
//! whole curve as a table at the end; the JSON report holds the curve and
//! every step's full report. Batches are numbered on across steps, so the
//! steps never send the same ids, and the exactness check runs once, on
//! the totals of them all.

use serde::Serialize;

use crate::stats::Report;
use crate::step::{self, Ctx};
use crate::template::Expected;

/// One point of the curve.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    pub screens: usize,
    pub connected: usize,
    pub events_per_s: f64,
    pub http_p99_ms: f64,
    /// `None` without screens.
    pub event_to_screen_p99_ms: Option<f64>,
    pub frames_per_s_per_screen: f64,
    /// Tick frames a second a sampled screen got (alert frames aside).
    pub ticks_per_s_per_screen: f64,
    /// Snapshots as a share of the frames the server sent.
    pub snapshot_share: Option<f64>,
    pub screen_mb_per_s: f64,
    /// The load test's CPU, % of one core.
    pub loadtest_cpu_percent: f64,
}

impl Point {
    fn of(r: &Report) -> Point {
        let e2s = &r.event_to_screen_ms;
        Point {
            screens: r.screens,
            connected: r.screens_connected,
            events_per_s: r.events_per_s,
            http_p99_ms: r.http_latency_ms.p99,
            event_to_screen_p99_ms: (r.screens > 0 && e2s.count > 0).then_some(e2s.p99),
            frames_per_s_per_screen: r.frames_per_s_per_screen,
            ticks_per_s_per_screen: r.ticks_per_s_per_screen,
            snapshot_share: r.server_snapshot_share,
            screen_mb_per_s: r.screen_bytes_per_s / 1e6,
            loadtest_cpu_percent: r.loadtest_cpu.cpu_percent,
        }
    }

    fn row(&self) -> String {
        let opt =
            |v: Option<f64>, scale: f64| v.map_or("-".to_string(), |v| format!("{:.1}", v * scale));
        format!(
            "{:>8} {:>9} {:>12.0} {:>12.1} {:>12} {:>10.2} {:>9.2} {:>10} {:>9.1} {:>9.0}",
            self.screens,
            self.connected,
            self.events_per_s,
            self.http_p99_ms,
            opt(self.event_to_screen_p99_ms, 1.0),
            self.frames_per_s_per_screen,
            self.ticks_per_s_per_screen,
            opt(self.snapshot_share, 100.0),
            self.screen_mb_per_s,
            self.loadtest_cpu_percent
        )
    }
}

/// The curve as a table, a header line and a row per step.
pub fn table(points: &[Point]) -> String {
    let mut out = format!(
        "{:>8} {:>9} {:>12} {:>12} {:>12} {:>10} {:>9} {:>10} {:>9} {:>9}\n",
        "screens",
        "connected",
        "events/s",
        "HTTP p99 ms",
        "e→s p99 ms",
        "frames/s",
        "ticks/s",
        "snap %",
        "MB/s",
        "LT CPU %"
    );
    for p in points {
        out.push_str(&p.row());
        out.push('\n');
    }
    out
}

/// What a sweep did: each step's report, the curve, and the ledger of all.
#[derive(Debug, Clone, Serialize)]
pub struct Sweep {
    pub curve: Vec<Point>,
    pub steps: Vec<Report>,
    #[serde(skip)]
    pub expected: Expected,
    #[serde(skip)]
    pub slack: Expected,
}

/// Runs every step of `sizes` in turn.
pub async fn run(ctx: &Ctx<'_>, sizes: &[usize]) -> anyhow::Result<Sweep> {
    let mut sweep = Sweep {
        curve: Vec::new(),
        steps: Vec::new(),
        expected: Expected::default(),
        slack: Expected::default(),
    };
    let mut first = 0u64;
    println!("sweep     {}", table(&[]).trim_end());
    for (k, &n) in sizes.iter().enumerate() {
        let args = ctx.args;
        let gauge = crate::server_view::read(ctx.client, &args.url, args.token.as_deref())
            .await
            .map_or(0, |c| c.screens);
        eprintln!("sweep step {}/{}: {n} screens", k + 1, sizes.len());
        let step = step::run(ctx, n, first).await?;
        first += step.sent.dispatched;
        sweep.expected += step.sent.expected;
        sweep.slack += step.sent.slack;
        let report = Report::new(args, &step);
        let point = Point::of(&report);
        println!("sweep {}/{} {}", k + 1, sizes.len(), point.row());
        sweep.curve.push(point);
        sweep.steps.push(report);
        if n > 0 {
            step::wait_screens_gone(ctx, gauge).await;
        }
    }
    Ok(sweep)
}
