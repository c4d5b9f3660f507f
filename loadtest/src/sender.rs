//! The dispatcher and the HTTP workers.
//!
//! One dispatcher hands out batch numbers when they are due (open loop: it
//! does not wait for replies, only for a free worker); `connections` workers
//! render, send and retry them (`retry`), each on its node (`nodes`).
//! Latency is measured from the moment a batch was due, so a slow server
//! shows as latency, not as a lower send rate.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use indicatif::{ProgressBar, ProgressStyle};
use parking_lot::Mutex;
use tokio::sync::mpsc;

use crate::args::{Args, Rate};
use crate::profile;
use crate::retry::{self, Tally};
use crate::screens::BatchLog;
use crate::stats::new_histogram;
use crate::template::{Expected, Templates};

/// What the senders did.
pub struct SenderResult {
    /// Request latency from due time to reply, in µs.
    pub latency: Histogram<u64>,
    /// The ledger of every batch the server acknowledged.
    pub expected: Expected,
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub batches: u64,
    pub retries: u64,
    /// Retries sent to another node.
    pub failovers: u64,
    /// Bodies with an attempt that may have applied them unacknowledged.
    pub uncertain: u64,
    /// What the server may hold beyond `expected` because of those.
    pub slack: Expected,
    pub errors: BTreeMap<String, u64>,
    /// Batches handed out (the next run starts numbering after them).
    pub dispatched: u64,
}

struct Job {
    i: u64,
    due: Instant,
}

struct Shared {
    latency: Mutex<Histogram<u64>>,
    acked_events: AtomicU64,
    errors: Mutex<BTreeMap<String, u64>>,
}

fn millis_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Sends batches for `args.duration` seconds at `args.rate`, connection
/// `k` starting on node `k mod n` of `args.url`. Batches are numbered
/// from `first` (their ids and template follow the number), so runs one
/// after another (a sweep's steps) never send the same ids twice; the
/// log is indexed from 0.
pub async fn run(
    args: &Args,
    client: &reqwest::Client,
    templates: Arc<Templates>,
    log: Arc<BatchLog>,
    first: u64,
) -> SenderResult {
    let (tx, rx) = mpsc::channel::<Job>(args.connections * 2);
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let shared = Arc::new(Shared {
        latency: Mutex::new(new_histogram()),
        acked_events: AtomicU64::new(0),
        errors: Mutex::new(BTreeMap::new()),
    });
    let urls: Arc<Vec<String>> = Arc::new(
        args.url
            .list()
            .iter()
            .map(|base| format!("{base}/api/v1/events"))
            .collect(),
    );
    let mut workers = Vec::new();
    for k in 0..args.connections {
        let (rx, shared, templates, client, urls, log) = (
            rx.clone(),
            shared.clone(),
            templates.clone(),
            client.clone(),
            urls.clone(),
            log.clone(),
        );
        let token = args.token.clone();
        let retry_for = std::time::Duration::from_secs_f64(args.retry_for);
        let mut node = args.url.home_of(k);
        workers.push(tokio::spawn(async move {
            let mut out = WorkerResult::default();
            let mut body = Vec::new();
            loop {
                let job = { rx.lock().await.recv().await };
                let Some(job) = job else { break };
                // Rendered once: every retry, on any node, sends these bytes.
                templates.render(first + job.i, millis_now(), &mut body);
                log.mark_sent(job.i, Instant::now());
                let to = retry::Targets {
                    urls: &urls,
                    token: token.as_deref(),
                    patience: retry_for,
                };
                let delivery = retry::post(
                    &client,
                    &to,
                    &mut node,
                    &body,
                    &shared.errors,
                    &mut out.tally,
                )
                .await;
                let template = templates.get(first + job.i);
                let acked = delivery.result.is_ok();
                out.uncertain += u64::from(delivery.uncertain > 0);
                out.slack += template.slack(delivery.uncertain, acked);
                match delivery.result {
                    Ok(reply) => {
                        let us = job.due.elapsed().as_micros() as u64;
                        shared.latency.lock().saturating_record(us.max(1));
                        out.expected += template.expected;
                        out.accepted += reply.accepted;
                        out.duplicates += reply.duplicates;
                        out.rejected += reply.rejected;
                        out.batches += 1;
                        shared
                            .acked_events
                            .fetch_add(reply.accepted + reply.duplicates, Relaxed);
                    }
                    Err(kind) => *shared.errors.lock().entry(kind).or_default() += 1,
                }
            }
            out
        }));
    }

    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {elapsed} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let progress = {
        let (shared, bar) = (shared.clone(), bar.clone());
        // Without a terminal (a log file, CI) the bar is hidden: a plain
        // line every 5 s instead, so a slow stretch shows when it happened.
        let plain = !std::io::stderr().is_terminal();
        let every = if plain { 5_000 } else { 500 };
        tokio::spawn(async move {
            let started = Instant::now();
            let mut last = (Instant::now(), 0u64);
            loop {
                tokio::time::sleep(Duration::from_millis(every)).await;
                let acked = shared.acked_events.load(Relaxed);
                let rate = (acked - last.1) as f64 / last.0.elapsed().as_secs_f64();
                last = (Instant::now(), acked);
                let p99 = shared.latency.lock().value_at_quantile(0.99);
                let errors: u64 = shared.errors.lock().values().sum();
                let line = format!(
                    "{:>9.0} events/s now · {acked} acked · p99 {:.1} ms · {errors} errors · {:.0} s",
                    rate,
                    p99 as f64 / 1000.0,
                    started.elapsed().as_secs_f64()
                );
                if plain {
                    eprintln!("{line}");
                } else {
                    bar.set_message(line);
                    bar.tick();
                }
            }
        })
    };

    // The dispatcher.
    let start = Instant::now();
    let mut cumulative = 0u64;
    for i in 0.. {
        let due = match args.rate {
            Rate::Max => {
                if start.elapsed().as_secs_f64() >= args.duration {
                    break;
                }
                Instant::now()
            }
            Rate::PerSecond(rate) => {
                let Some(at) = profile::due(
                    args.profile,
                    rate,
                    args.duration,
                    (i as f64 + 1.0) * args.batch as f64,
                ) else {
                    break;
                };
                let due = start + Duration::from_secs_f64(at);
                tokio::time::sleep_until(due.into()).await;
                due
            }
        };
        cumulative += templates.get(first + i).expected.events;
        log.push(i, cumulative);
        if tx.send(Job { i, due }).await.is_err() {
            break;
        }
    }
    drop(tx);
    let mut total = WorkerResult::default();
    for w in workers {
        if let Ok(r) = w.await {
            total.merge(r);
        }
    }
    progress.abort();
    bar.finish_and_clear();
    let latency = std::mem::replace(&mut *shared.latency.lock(), new_histogram());
    let errors = std::mem::take(&mut *shared.errors.lock());
    SenderResult {
        dispatched: log.len(),
        latency,
        expected: total.expected,
        accepted: total.accepted,
        duplicates: total.duplicates,
        rejected: total.rejected,
        batches: total.batches,
        retries: total.tally.retries,
        failovers: total.tally.failovers,
        uncertain: total.uncertain,
        slack: total.slack,
        errors,
    }
}

#[derive(Default)]
struct WorkerResult {
    expected: Expected,
    accepted: u64,
    duplicates: u64,
    rejected: u64,
    batches: u64,
    tally: Tally,
    uncertain: u64,
    slack: Expected,
}

impl WorkerResult {
    fn merge(&mut self, o: WorkerResult) {
        self.expected += o.expected;
        self.accepted += o.accepted;
        self.duplicates += o.duplicates;
        self.rejected += o.rejected;
        self.batches += o.batches;
        self.tally.retries += o.tally.retries;
        self.tally.failovers += o.tally.failovers;
        self.uncertain += o.uncertain;
        self.slack += o.slack;
    }
}

/// Sends one order per store and per SKU of the catalog, so every one of
/// them exists in the server (for memory measurements).
pub async fn touch_all(client: &reqwest::Client, base: &str, args: &Args) -> anyhow::Result<()> {
    let url = format!("{base}/api/v1/events");
    let n = args.skus.max(args.stores);
    let started = Instant::now();
    let mut i = 0;
    while i < n {
        let mut body = String::with_capacity(args.batch * 120);
        for j in i..(i + 5000).min(n) {
            body.push_str(&format!(
                r#"{{"type":"order","id":"touch-{j}","store":"s{:04}","items":[{{"sku":"k{:06}","qty":1,"price":"1.00"}}]}}"#,
                j % args.stores.max(1) + 1,
                j % args.skus.max(1) + 1
            ));
            body.push('\n');
        }
        let mut req = client
            .post(&url)
            .header("content-type", "application/x-ndjson")
            .body(body);
        if let Some(t) = &args.token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await?;
        anyhow::ensure!(
            r.status().is_success(),
            "touch batch refused: HTTP {}",
            r.status()
        );
        i += 5000;
    }
    eprintln!(
        "touched {} stores and {} SKUs in {:.1} s",
        args.stores,
        args.skus,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::{self, Answer};
    use clap::Parser;

    /// A node that drops every request once the body is in, and one that
    /// answers: each body is acknowledged by the second exactly once, and
    /// the ledger holds each exactly once, with the dropped attempt allowed
    /// for only in what a second application can add.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_body_retried_on_another_node_is_expected_once() {
        let dying = mock::node(vec![Answer::Drop]).await;
        let live = mock::node(vec![Answer::Ok]).await;
        let urls = format!("{},{}", dying.url, live.url);
        let args = Args::try_parse_from([
            "loadtest",
            "--url",
            &urls,
            "--rate",
            "max",
            "--duration",
            "300ms",
            "--connections",
            "2",
            "--batch",
            "50",
        ])
        .expect("flags");
        let templates = Arc::new(Templates::build(&args));
        let sent = run(
            &args,
            &reqwest::Client::new(),
            templates,
            Arc::new(BatchLog::default()),
            0,
        )
        .await;

        let acked = live.bodies.lock().clone();
        let dropped = dying.bodies.lock().clone();
        assert_eq!(dropped.len(), 1, "connection 0 left the dying node at once");
        assert!(
            acked.contains(&dropped[0]),
            "and sent that body on, unchanged"
        );
        let mut distinct = acked.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), acked.len(), "no body acknowledged twice");
        assert_eq!(sent.batches, acked.len() as u64);
        assert_eq!(
            sent.expected.lines,
            50 * sent.batches,
            "each body in the ledger once"
        );
        assert!(sent.errors.keys().all(|k| k.starts_with("retried")));
        assert_eq!((sent.retries, sent.failovers, sent.uncertain), (1, 1, 1));
        // The dropped body may be in twice: its 50 lines again, as
        // duplicates (orders, refunds) or stock events; no money.
        assert_eq!(sent.slack.events + sent.slack.duplicates, 50);
        assert_eq!(sent.slack.orders, 0);
    }
}
