//! The load test: open-loop ingest at a target rate, optional live screens,
//! a final table and an exactness check.
//!
//! # Layout
//!
//! - `args` — flags.
//! - `nodes` — `--url` as a list of nodes; connections and screens spread
//!   round-robin over them.
//! - `template` — batches generated once with warroom's own traffic model
//!   (`warroom::sim`), then re-sent with fresh ids and timestamps written in
//!   place, so generating load costs a memcpy, not a JSON encoder.
//! - `profile` — flat / ramp / midnight-spike rates and when each batch is due.
//! - `sender` — the dispatcher and the HTTP workers; latency is measured
//!   from when a batch was *due* (no coordinated omission).
//! - `retry` — one body delivered: the same bytes retried on the next node,
//!   attempts that may have applied it counted for the check.
//! - `screens` — WebSocket screens; event-to-screen latency and frame lag.
//! - `stats` — histograms, the final table, the JSON report.
//! - `check` — every node's totals against the ledger of what was sent.
//! - `new_ids` — `--mode new-ids`: bodies of never-seen ids, memory before
//!   and after.

mod args;
mod check;
#[cfg(test)]
mod mock;
mod new_ids;
mod nodes;
mod profile;
mod retry;
mod screens;
mod sender;
mod stats;
mod template;

use std::sync::Arc;
use std::time::{Duration, Instant};

pub use args::Args;

/// How a run ended.
pub struct Outcome {
    /// The server counted exactly what was sent (or the check was skipped).
    pub exact: bool,
}

pub async fn run(args: Args) -> anyhow::Result<Outcome> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => eprintln!("open-file limit raised to {n}"),
        Err(e) => eprintln!("could not raise the open-file limit: {e}"),
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .timeout(Duration::from_secs(30))
        .build()?;
    // `--touch-all` and `--mode new-ids` talk to the first node.
    let base = args.url.first().to_string();
    if args.mode == args::Mode::NewIds {
        new_ids::run(&args, &client, &base).await?;
        return Ok(Outcome { exact: true });
    }
    if args.touch_all {
        sender::touch_all(&client, &base, &args).await?;
    }
    let token = args.token.as_deref();
    let before = check::before(&client, &args.url, token).await?;
    let templates = Arc::new(template::Templates::build(&args));
    eprintln!(
        "templates: {} batches of {} events, {} bytes each on average",
        templates.len(),
        args.batch,
        templates.mean_bytes()
    );
    let log = Arc::new(screens::BatchLog::default());
    let screens = screens::start(&args, log.clone()).await?;
    let started = Instant::now();
    let sent = sender::run(&args, &client, templates, log).await;
    let elapsed = started.elapsed();
    // Let the last ticks reach the screens.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let screen_stats = screens.finish().await;
    let report = stats::Report::new(&args, elapsed, &sent, &screen_stats);
    report.print();
    let checks = if args.no_check {
        Vec::new()
    } else {
        check::after(
            &client,
            &args.url,
            token,
            &before,
            &sent.expected,
            &sent.slack,
        )
        .await?
    };
    let exact = checks.iter().all(|c| c.exact);
    if let Some(path) = &args.report {
        std::fs::write(
            path,
            serde_json::to_string_pretty(&report.with_checks(exact, checks))?,
        )?;
        eprintln!("report written to {}", path.display());
    }
    Ok(Outcome { exact })
}
