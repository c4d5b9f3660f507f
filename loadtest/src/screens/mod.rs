//! WebSocket screens: thousands that only count, a sample that reads.
//!
//! Every screen upgrades by hand (`ws::handshake`, offering
//! `permessage-deflate` unless `--no-deflate`) and then reads its socket
//! raw into a fixed 4 KiB buffer (`socket`). The first `--latency-screens`
//! screens are the sample (`sampled`): they assemble and inflate each
//! message and read its head for event-to-screen latency (`log`), frame lag
//! and frames by type. The others count frames and wire bytes and never
//! look inside a payload, so ten thousand screens cost the load test
//! little and the same memory whatever the server sends. Screens are
//! spread round-robin over the nodes.
//!
//! The screens run on a runtime of their own, its threads ten nice steps
//! below the senders' (warroom's own `ScreensRuntime`, as the server runs
//! its screens below its ingest): on the server's machine, ten thousand
//! screen readers at full priority would take the cores from the requests
//! whose latency this measures, and from the server's ingest, which no
//! real wall of screens (on other machines) does.

mod log;
pub(crate) mod sampled;
pub(crate) mod socket;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use log::BatchLog;
pub use sampled::SampleCounts;

use warroom::screens::ScreensRuntime;

use crate::args::Args;
use crate::stats::new_histogram;
use crate::ws::handshake::{self, Target};
use crate::ws::walker::Skip;

/// The most a sampled screen keeps of one message on the wire.
const SAMPLE_LIMIT: usize = 4 * 1024 * 1024;
/// Screens upgrading at once.
const CONNECT_AT_ONCE: usize = 100;

#[derive(Default)]
struct One {
    frames: u64,
    bytes: u64,
    connected: bool,
    deflate: bool,
    error: Option<String>,
    sample: Option<SampleCounts>,
}

/// What the screens saw.
pub struct ScreenStats {
    pub connected: usize,
    /// Screens whose upgrade accepted `permessage-deflate`.
    pub deflate: usize,
    /// Frames after each screen's `hello` and `snapshot`.
    pub frames: u64,
    /// Their payload bytes as received (compressed when deflate was accepted).
    pub bytes: u64,
    pub seconds: f64,
    /// Sampled screens that connected, and what they read.
    pub sampled: usize,
    pub sample: SampleCounts,
    /// Event-to-screen latency, µs.
    pub e2s: hdrhistogram::Histogram<u64>,
    /// Receive time minus the frame's `server_time_ms`, µs.
    pub lag: hdrhistogram::Histogram<u64>,
    /// Screens that failed (to connect, or later), and the first few errors.
    pub failed: usize,
    pub errors: Vec<String>,
}

pub struct Screens {
    tasks: Vec<JoinHandle<One>>,
    stop: watch::Sender<bool>,
    started: Instant,
    connected: Arc<AtomicUsize>,
    ready: Arc<AtomicUsize>,
    shared: Arc<sampled::Shared>,
}

/// The screens' runtime (see the module note); `None` if it cannot be
/// built, and then the screens run beside the senders.
fn runtime() -> Option<&'static ScreensRuntime> {
    static RUNTIME: OnceLock<Option<ScreensRuntime>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| ScreensRuntime::new(ScreensRuntime::default_workers()).ok())
        .as_ref()
}

/// Spawns one screen's task on the screens' runtime.
fn spawn_screen<F>(task: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match runtime() {
        Some(rt) => rt.handle().enter(|| tokio::spawn(task)),
        None => tokio::spawn(task),
    }
}

/// Connects `n` screens (100 at a time), screen `k` to node `k mod n` of
/// `args.url`, and leaves them reading.
pub async fn start(args: &Args, n: usize, log: Arc<BatchLog>) -> anyhow::Result<Screens> {
    let (stop, stop_rx) = watch::channel(false);
    let path = match &args.token {
        Some(t) => format!("/api/v1/live?token={t}"),
        None => "/api/v1/live".to_string(),
    };
    let targets = args
        .url
        .list()
        .iter()
        .map(|base| Target::new(base, &path))
        .collect::<Result<Vec<_>, _>>()?;
    let shared = Arc::new(sampled::Shared {
        e2s: Mutex::new(new_histogram()),
        lag: Mutex::new(new_histogram()),
        counting: std::sync::atomic::AtomicBool::new(false),
    });
    let connected = Arc::new(AtomicUsize::new(0));
    let ready = Arc::new(AtomicUsize::new(0));
    let offer = !args.no_deflate;
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(CONNECT_AT_ONCE) {
        let mut connecting = Vec::with_capacity(chunk.len());
        for &i in chunk {
            let target = targets[args.url.home_of(i)].clone();
            let measure = i < args.latency_screens;
            let (stop_rx, log, shared) = (stop_rx.clone(), log.clone(), shared.clone());
            let (connected, ready) = (connected.clone(), ready.clone());
            let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<()>();
            connecting.push(ready_rx);
            tasks.push(spawn_screen(async move {
                let mut one = One::default();
                let up = handshake::connect(&target, offer, i as u64).await;
                if up.is_ok() {
                    connected.fetch_add(1, Relaxed);
                }
                let _ = ready_tx.send(());
                let up = match up {
                    Ok(up) => up,
                    Err(e) => {
                        one.error = Some(e.to_string());
                        return one;
                    }
                };
                one.connected = true;
                one.deflate = up.deflate.is_some();
                let mask = (i as u32).wrapping_mul(0x9e37_79b1).to_le_bytes();
                let ended = if measure {
                    let fresh = up.deflate.map(|d| d.server_no_context_takeover);
                    let mut sample = sampled::Sample::new(log, shared, fresh, SAMPLE_LIMIT);
                    let ended = socket::read(up, stop_rx, &mut sample, &ready, mask).await;
                    one.sample = Some(sample.counts);
                    ended
                } else {
                    socket::read(up, stop_rx, &mut Skip, &ready, mask).await
                };
                one.frames = ended.walker.messages - ended.joined.0;
                one.bytes = ended.walker.payload_bytes - ended.joined.1;
                one.error = ended.error;
                one
            }));
        }
        for r in connecting {
            let _ = r.await;
        }
    }
    if n > 0 {
        eprintln!(
            "{} of {n} screens connected in {:.1} s",
            connected.load(Relaxed),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(Screens {
        tasks,
        stop,
        started: Instant::now(),
        connected,
        ready,
        shared,
    })
}

impl Screens {
    /// Waits (up to `limit`) until every connected screen has its `hello`
    /// and `snapshot`, so that what follows measures the run, not joining.
    pub async fn settle(&mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.ready.load(Relaxed) < self.connected.load(Relaxed) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.started = Instant::now();
        // Joining is not the run: each screen leaves its first two frames
        // out of its counts (`socket::Ended::joined`), and the sample's
        // histograms start again here.
        self.shared.e2s.lock().reset();
        self.shared.lag.lock().reset();
        self.shared.counting.store(true, Relaxed);
    }

    pub async fn finish(self) -> ScreenStats {
        let seconds = self.started.elapsed().as_secs_f64();
        let _ = self.stop.send(true);
        let mut s = ScreenStats {
            connected: 0,
            deflate: 0,
            frames: 0,
            bytes: 0,
            seconds,
            sampled: 0,
            sample: SampleCounts::default(),
            e2s: new_histogram(),
            lag: new_histogram(),
            failed: 0,
            errors: Vec::new(),
        };
        for t in self.tasks {
            let Ok(Ok(one)) = tokio::time::timeout(Duration::from_secs(10), t).await else {
                s.failed += 1;
                continue;
            };
            s.connected += usize::from(one.connected);
            s.deflate += usize::from(one.deflate);
            s.frames += one.frames;
            s.bytes += one.bytes;
            if let Some(c) = one.sample {
                s.sampled += 1;
                s.sample += c;
            }
            if let Some(e) = one.error {
                s.failed += 1;
                if s.errors.len() < 5 && !s.errors.contains(&e) {
                    s.errors.push(e);
                }
            }
        }
        s.e2s = std::mem::replace(&mut *self.shared.e2s.lock(), new_histogram());
        s.lag = std::mem::replace(&mut *self.shared.lag.lock(), new_histogram());
        s
    }
}
