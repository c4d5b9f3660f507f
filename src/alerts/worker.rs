//! One task per hook: a bounded queue in, digests out, within the
//! service's rate limit, retried with backoff.
//!
//! The alert side hands messages over with `try_send`: a full queue drops
//! the message (and says so in the alert's delivery log) rather than ever
//! waiting. The worker takes everything queued as one digest, waits for the
//! rate limiter, takes what queued meanwhile too, and sends. Timeouts, 5xx
//! and throttle answers are retried with exponential backoff and jitter
//! (or the service's `Retry-After`); a refusal (bad token, other 4xx) is
//! logged and recorded, not retried. Logs and results name the hook, its
//! kind and its host, never its URL: the URL carries the robot's token.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::delivery::DeliveryResult;
use super::hooks::{self, Msg, Outcome, limits};
use crate::config::{HookConfig, Lang};

pub const QUEUE: usize = 256;
/// Most alerts in one digest.
const DIGEST: usize = 50;
const ATTEMPTS: u32 = 6;
const MAX_DELAY: Duration = Duration::from_secs(60);
const TIMEOUT: Duration = Duration::from_secs(10);

/// Sliding-window limiter over the send times of the last minute.
pub struct Limiter {
    windows: &'static [(usize, Duration)],
    sent: VecDeque<Instant>,
}

impl Limiter {
    pub fn new(windows: &'static [(usize, Duration)]) -> Limiter {
        Limiter {
            windows,
            sent: VecDeque::new(),
        }
    }

    /// How long until one more send is allowed (zero: now).
    pub fn wait(&self, now: Instant) -> Duration {
        let mut wait = Duration::ZERO;
        for &(n, window) in self.windows {
            let recent: Vec<&Instant> = self
                .sent
                .iter()
                .filter(|t| now.duration_since(**t) < window)
                .collect();
            if recent.len() >= n {
                // The oldest of the last `n` must leave the window first.
                let oldest = recent[recent.len() - n];
                wait = wait.max(window - now.duration_since(*oldest));
            }
        }
        wait
    }

    pub fn record(&mut self, now: Instant) {
        self.sent.push_back(now);
        while self.sent.len() > 200 {
            self.sent.pop_front();
        }
    }
}

/// What a worker reports back for an alert's delivery log.
pub struct Report {
    pub hook: String,
    pub ids: Vec<u64>,
    /// The messages' journal sequences (cluster mode), beside `ids`.
    pub seqs: Vec<u64>,
    pub attempt: u32,
    pub result: DeliveryResult,
}

pub struct Worker {
    pub hook: HookConfig,
    pub lang: Lang,
    pub public_url: Option<String>,
    pub sale: String,
    pub retry_base: Duration,
    pub client: reqwest::Client,
    pub now_ms: Box<dyn Fn() -> i64 + Send + Sync>,
    pub report: Box<dyn Fn(Report) + Send + Sync>,
    /// Whether this node may send now (in cluster mode: holds the alert
    /// lease). Asked before every attempt; a batch it refuses is given up
    /// silently, through `abandon`, for the next holder to send.
    pub gate: Box<dyn Fn() -> bool + Send + Sync>,
    /// Told how many messages were abandoned at the gate.
    pub abandon: Box<dyn Fn(usize) + Send + Sync>,
}

impl Worker {
    pub fn spawn(self) -> (mpsc::Sender<Msg>, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        (tx, tokio::spawn(self.run(rx)))
    }

    async fn run(self, mut rx: mpsc::Receiver<Msg>) {
        let mut limiter = Limiter::new(limits(self.hook.kind));
        while let Some(first) = rx.recv().await {
            let mut batch = vec![first];
            let drain = |batch: &mut Vec<Msg>, rx: &mut mpsc::Receiver<Msg>| {
                while batch.len() < DIGEST {
                    match rx.try_recv() {
                        Ok(m) => batch.push(m),
                        Err(_) => break,
                    }
                }
            };
            drain(&mut batch, &mut rx);
            let wait = limiter.wait(Instant::now());
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
                drain(&mut batch, &mut rx);
            }
            limiter.record(Instant::now());
            self.deliver(&batch, &mut limiter).await;
        }
    }

    async fn deliver(&self, batch: &[Msg], limiter: &mut Limiter) {
        let ids: Vec<u64> = batch.iter().map(|m| m.record.id).collect();
        let seqs: Vec<u64> = batch.iter().map(|m| m.seq).collect();
        let (name, kind, host) = (&self.hook.name, self.hook.kind.as_str(), self.hook.host());
        let report = |attempt: u32, result: DeliveryResult| {
            (self.report)(Report {
                hook: self.hook.name.clone(),
                ids: ids.clone(),
                seqs: seqs.clone(),
                attempt,
                result,
            });
        };
        for attempt in 1..=ATTEMPTS {
            if !(self.gate)() {
                tracing::info!(hook = %name, kind, %host, n = batch.len(), "not the alert lease holder: leaving these alerts to the holder");
                (self.abandon)(batch.len());
                return;
            }
            // Signatures carry the time: make the request anew each attempt.
            let out = hooks::payload(
                &self.hook,
                self.lang,
                self.public_url.as_deref(),
                &self.sale,
                batch,
                (self.now_ms)(),
            );
            let sent = self
                .client
                .post(out.url.expose())
                .timeout(TIMEOUT)
                .json(&out.body)
                .send()
                .await;
            let outcome = match sent {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let retry_after = r
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    let body = r.bytes().await.unwrap_or_default();
                    hooks::classify(self.hook.kind, status, retry_after.as_deref(), &body)
                }
                Err(e) if e.is_timeout() => Outcome::Retry {
                    after: None,
                    reason: "timeout".into(),
                },
                Err(e) => Outcome::Retry {
                    after: None,
                    reason: format!("cannot connect: {}", describe(e)),
                },
            };
            match outcome {
                Outcome::Delivered => {
                    tracing::debug!(hook = %name, kind, %host, attempt, "alert delivered");
                    report(attempt, DeliveryResult::Delivered);
                    return;
                }
                Outcome::Refused(why) => {
                    tracing::error!(hook = %name, kind, %host, %why, "alert delivery refused; not retrying");
                    report(attempt, DeliveryResult::Refused(why));
                    return;
                }
                // The last attempt's failure is the giving up, not a
                // retry: one outcome, one log line, one delivery record.
                Outcome::Retry { reason, .. } if attempt == ATTEMPTS => {
                    tracing::error!(hook = %name, kind, %host, attempt, %reason, "alert delivery failed; giving up");
                    report(
                        attempt,
                        DeliveryResult::GaveUp {
                            attempts: ATTEMPTS,
                            reason,
                        },
                    );
                    return;
                }
                Outcome::Retry { after, reason } => {
                    tracing::warn!(hook = %name, kind, %host, attempt, %reason, "alert delivery failed; retrying");
                    report(attempt, DeliveryResult::Retrying(reason));
                    let backoff = self
                        .retry_base
                        .saturating_mul(1 << (attempt - 1))
                        .min(MAX_DELAY);
                    let jitter = backoff.mul_f64(jitter_share(attempt, &ids));
                    tokio::time::sleep(after.unwrap_or(backoff + jitter).min(MAX_DELAY)).await;
                    limiter.record(Instant::now());
                }
            }
        }
    }
}

/// A transport error without its URL (reqwest's text names the URL, and
/// with it the token), with the causes that say what went wrong.
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}

/// 0–25 % extra delay, varying by attempt and alert so retries spread out.
fn jitter_share(attempt: u32, ids: &[u64]) -> f64 {
    let seed = ids.first().copied().unwrap_or(0) ^ (u64::from(attempt) << 32);
    let h = xxhash_rust::xxh3::xxh3_64(&seed.to_le_bytes());
    (h % 1000) as f64 / 4000.0
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::config::HookKind;

    /// A log sink the test can read back.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut b) = self.0.lock() {
                b.extend_from_slice(buf);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn each_attempt_has_one_outcome_and_one_log_line() {
        let sink = Sink::default();
        let writer = sink.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);

        // A port nothing listens on: every attempt fails to connect.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = closed.local_addr().expect("addr");
        drop(closed);
        let reports = Arc::new(Mutex::new(Vec::new()));
        let seen = reports.clone();
        let worker = Worker {
            hook: HookConfig {
                name: "war-room".into(),
                kind: HookKind::Slack,
                url: format!("http://{addr}/hook").into(),
                secret: None,
                mobiles: vec![],
                at_all: false,
            },
            lang: Lang::En,
            public_url: None,
            sale: "D11".into(),
            retry_base: Duration::from_millis(1),
            client: reqwest::Client::new(),
            now_ms: Box::new(|| 0),
            report: Box::new(move |r: Report| {
                if let Ok(mut v) = seen.lock() {
                    v.push((r.attempt, r.result));
                }
            }),
            gate: Box::new(|| true),
            abandon: Box::new(|_| {}),
        };
        let batch = hooks::fixtures::batch(
            crate::alerts::record::NoticeKind::Fire,
            crate::config::Rule::Milestone,
        );
        let mut limiter = Limiter::new(&[]);
        worker.deliver(&batch, &mut limiter).await;

        let got = reports.lock().map(|v| v.clone()).unwrap_or_default();
        let attempts: Vec<u32> = got.iter().map(|(a, _)| *a).collect();
        assert_eq!(attempts, [1, 2, 3, 4, 5, 6], "one report per attempt");
        assert!(
            got[..5]
                .iter()
                .all(|(_, r)| matches!(r, DeliveryResult::Retrying(_))),
            "{got:?}"
        );
        assert!(
            matches!(got[5].1, DeliveryResult::GaveUp { attempts: 6, .. }),
            "{got:?}"
        );
        let log = sink
            .0
            .lock()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let lines: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("alert deliver"))
            .collect();
        assert_eq!(lines.len(), 6, "{log}");
        assert_eq!(
            lines.iter().filter(|l| l.contains("retrying")).count(),
            5,
            "{log}"
        );
        assert!(
            lines[5].contains("giving up") && lines[5].contains("attempt=6"),
            "{log}"
        );
    }

    #[test]
    fn the_limiter_keeps_to_the_window() {
        const TWO_PER_10S: &[(usize, Duration)] = &[(2, Duration::from_secs(10))];
        let mut l = Limiter::new(TWO_PER_10S);
        let t0 = Instant::now();
        assert_eq!(l.wait(t0), Duration::ZERO);
        l.record(t0);
        l.record(t0 + Duration::from_secs(1));
        assert_eq!(l.wait(t0 + Duration::from_secs(2)), Duration::from_secs(8));
        assert_eq!(l.wait(t0 + Duration::from_secs(10)), Duration::ZERO);
    }
}
