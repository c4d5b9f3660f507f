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
//! - `ws` — the screens' WebSocket client: a hand-written upgrade offering
//!   `permessage-deflate`, a frame walker over a fixed buffer, an inflater.
//! - `screens` — WebSocket screens: most only count frames and bytes; a
//!   sample reads them for event-to-screen latency, frame lag, frames by type.
//! - `server_view` — the server's `/metrics` on frames and snapshots sent.
//! - `cost` — the load test's own CPU and peak memory.
//! - `files` — the open-file limit, and how many screens fit under it.
//! - `step` — one measured run; `sweep` — one per number of screens.
//! - `stats`, `screen_lines` — histograms, the final table, the JSON report.
//! - `check` — every node's totals against the ledger of what was sent;
//!   `reading` — what a node shows of them (summary, regions, campaigns);
//!   `compare` — a row per figure against the ledger, and the table.
//! - `new_ids` — `--mode new-ids`: bodies of never-seen ids, memory before
//!   and after.

mod args;
mod check;
mod compare;
mod cost;
mod files;
#[cfg(test)]
mod mock;
mod new_ids;
mod nodes;
mod profile;
mod reading;
mod retry;
mod screen_lines;
mod screens;
mod sender;
mod server_view;
mod stats;
mod step;
mod sweep;
mod template;
#[cfg(test)]
mod tests;
mod ws;

use std::sync::Arc;
use std::time::Duration;

pub use args::Args;

/// How a run ended.
pub struct Outcome {
    /// The server counted exactly what was sent (or the check was skipped).
    pub exact: bool,
}

pub async fn run(args: Args) -> anyhow::Result<Outcome> {
    let limit = files::raise();
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
    let fit = files::screens_that_fit(limit, args.connections);
    let wanted = if args.screen_sweep.is_empty() {
        vec![args.screens]
    } else {
        args.screen_sweep.clone()
    };
    files::warn_if_short(&wanted, fit, limit);
    let token = args.token.as_deref();
    let before = check::before(&client, &args.url, token, args.sends_places()).await?;
    let templates = Arc::new(template::Templates::build(&args));
    eprintln!(
        "templates: {} batches of {} events, {} bytes each on average",
        templates.len(),
        args.batch,
        templates.mean_bytes()
    );
    let ctx = step::Ctx {
        args: &args,
        client: &client,
        templates,
        fit,
    };
    let (expected, slack, json) = if args.screen_sweep.is_empty() {
        let step = step::run(&ctx, args.screens, 0).await?;
        let report = stats::Report::new(&args, &step);
        report.print();
        (
            step.sent.expected,
            step.sent.slack,
            Output::One(Box::new(report)),
        )
    } else {
        let sweep = sweep::run(&ctx, &args.screen_sweep).await?;
        println!();
        print!("{}", sweep::table(&sweep.curve));
        (sweep.expected, sweep.slack, Output::Sweep(Box::new(sweep)))
    };
    let checks = if args.no_check {
        Vec::new()
    } else {
        check::after(&client, &args.url, token, &before, &expected, &slack).await?
    };
    let exact = checks.iter().all(|c| c.exact);
    if let Some(path) = &args.report {
        let text = match json {
            Output::One(report) => {
                serde_json::to_string_pretty(&report.with_checks(exact, checks))?
            }
            Output::Sweep(sweep) => serde_json::to_string_pretty(&SweepJson {
                exact,
                expected,
                node_checks: checks,
                sweep: *sweep,
            })?,
        };
        std::fs::write(path, text)?;
        eprintln!("report written to {}", path.display());
    }
    Ok(Outcome { exact })
}

enum Output {
    One(Box<stats::Report>),
    Sweep(Box<sweep::Sweep>),
}

/// A sweep's JSON report: the curve, each step, and the check on them all.
#[derive(serde::Serialize)]
struct SweepJson {
    #[serde(flatten)]
    sweep: sweep::Sweep,
    expected: template::Expected,
    exact: bool,
    node_checks: Vec<check::NodeCheck>,
}
