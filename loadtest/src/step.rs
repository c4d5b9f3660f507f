//! One measured run: connect the screens, let them join, send the sale for
//! `--duration`, let the last ticks arrive, and collect what the senders,
//! the screens, the server's `/metrics` and the load test's own CPU say.
//!
//! The server's counters and the CPU are read once the screens have their
//! `hello` and `snapshot` and again before they leave, so the snapshots
//! counted are the ones sent *during* the run (catching up), not the one
//! every screen gets on joining.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::args::Args;
use crate::check;
use crate::cost::{self, Used};
use crate::screens::{self, BatchLog, ScreenStats};
use crate::sender::{self, SenderResult};
use crate::server_view::{self, LiveCounters};
use crate::template::Templates;

/// How long screens get to receive `hello` and `snapshot`.
const JOIN_LIMIT: Duration = Duration::from_secs(30);
/// How long the last ticks get to reach the screens.
const LAST_TICKS: Duration = Duration::from_millis(1500);
/// How long a sweep waits for the server to see its screens gone.
const LEAVE_LIMIT: Duration = Duration::from_secs(30);

/// What a run needs besides the number of screens.
pub struct Ctx<'a> {
    pub args: &'a Args,
    pub client: &'a reqwest::Client,
    pub templates: Arc<Templates>,
    /// Screens that fit under the open-file limit.
    pub fit: usize,
}

pub struct Step {
    /// Screens asked for (more than were opened when they did not fit).
    pub asked: usize,
    pub sent: SenderResult,
    /// How long the senders ran.
    pub elapsed: Duration,
    pub screens: ScreenStats,
    /// The server's counters over the run (`None`: `/metrics` unreadable).
    pub server: Option<LiveCounters>,
    /// The load test's CPU over the run, screens included.
    pub cost: Used,
}

/// Runs with `asked` screens, numbering batches from `first`.
pub async fn run(ctx: &Ctx<'_>, asked: usize, first: u64) -> anyhow::Result<Step> {
    let args = ctx.args;
    let token = args.token.as_deref();
    let base = check::summary(ctx.client, args.url.first(), token).await?;
    let applied = base["events_applied"].as_u64().unwrap_or(0);
    let log = Arc::new(BatchLog::with_base(applied));
    let mut screens = screens::start(args, asked.min(ctx.fit), log.clone()).await?;
    screens.settle(JOIN_LIMIT).await;
    let server_before = server_view::read(ctx.client, &args.url, token).await;
    let cpu_before = cost::mark();
    let started = Instant::now();
    let sent = sender::run(args, ctx.client, ctx.templates.clone(), log, first).await;
    let elapsed = started.elapsed();
    tokio::time::sleep(LAST_TICKS).await;
    let server_after = server_view::read(ctx.client, &args.url, token).await;
    let stats = screens.finish().await;
    let cost = cost::mark().since(&cpu_before);
    let server = server_after.zip(server_before).map(|(a, b)| a.since(&b));
    Ok(Step {
        asked,
        sent,
        elapsed,
        screens: stats,
        server,
        cost,
    })
}

/// Waits until the server's open sockets are back to `gauge` (what they
/// were before the step), so the next step starts from a quiet server.
pub async fn wait_screens_gone(ctx: &Ctx<'_>, gauge: u64) {
    let started = Instant::now();
    loop {
        let now = server_view::read(ctx.client, &ctx.args.url, ctx.args.token.as_deref()).await;
        match now {
            Some(c) if c.screens > gauge => {}
            _ => return,
        }
        if started.elapsed() >= LEAVE_LIMIT {
            eprintln!("warning: the server still counts screens {LEAVE_LIMIT:?} after they left");
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
