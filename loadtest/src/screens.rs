//! WebSocket screens: event-to-screen latency and frame lag.
//!
//! The dispatcher logs, for every batch in order, how many events the
//! server will have applied once it and all batches before it are in
//! (`cumulative`); workers log when each batch was sent. A screen that
//! receives a tick with `events_applied ≥ cumulative` has seen that batch:
//! the time since it was sent is its event-to-screen latency. Only the
//! first `latency_screens` screens parse frames; the others just count
//! them, so thousands of screens cost the load test little. With several
//! nodes the screens are spread round-robin over them; every node applies
//! the same log, so its `events_applied` covers the same batches.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use hdrhistogram::Histogram;
use parking_lot::Mutex;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

use crate::args::Args;
use crate::stats::new_histogram;

/// Per batch, in dispatch order: events applied once it is in, and when it was sent.
#[derive(Default)]
pub struct BatchLog {
    entries: Mutex<Vec<(u64, Option<Instant>)>>,
}

impl BatchLog {
    pub fn push(&self, i: u64, cumulative: u64) {
        let mut e = self.entries.lock();
        debug_assert_eq!(e.len() as u64, i);
        e.push((cumulative, None));
    }

    pub fn mark_sent(&self, i: u64, at: Instant) {
        if let Some(e) = self.entries.lock().get_mut(i as usize) {
            e.1.get_or_insert(at);
        }
    }

    /// Send times of the batches that `applied` now covers, from `cursor` on.
    fn covered(&self, cursor: &mut usize, applied: u64) -> Vec<Instant> {
        let e = self.entries.lock();
        let mut out = Vec::new();
        while *cursor < e.len() && e[*cursor].0 <= applied {
            if let Some(t) = e[*cursor].1 {
                out.push(t);
            }
            *cursor += 1;
        }
        out
    }
}

#[derive(Default)]
struct One {
    frames: u64,
    bytes: u64,
    connected: bool,
    error: Option<String>,
    e2s: Option<Histogram<u64>>,
    lag: Option<Histogram<u64>>,
}

/// What the screens saw.
pub struct ScreenStats {
    pub screens: usize,
    pub connected: usize,
    pub frames: u64,
    pub bytes: u64,
    pub seconds: f64,
    /// Event-to-screen latency, µs.
    pub e2s: Histogram<u64>,
    /// Receive time minus the frame's `server_time_ms`, µs.
    pub lag: Histogram<u64>,
    pub errors: Vec<String>,
}

pub struct Screens {
    tasks: Vec<JoinHandle<One>>,
    stop: watch::Sender<bool>,
    started: Instant,
}

#[derive(serde::Deserialize)]
struct FrameHead {
    #[serde(default)]
    events_applied: Option<u64>,
    #[serde(default)]
    server_time_ms: Option<i64>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Connects `args.screens` screens (100 at a time), screen `k` to node
/// `k mod n` of `args.url`, and leaves them reading.
pub async fn start(args: &Args, log: std::sync::Arc<BatchLog>) -> anyhow::Result<Screens> {
    let (stop, stop_rx) = watch::channel(false);
    let urls: Vec<String> = args
        .url
        .list()
        .iter()
        .map(|base| {
            let ws_base = base.replacen("http", "ws", 1);
            match &args.token {
                Some(t) => format!("{ws_base}/api/v1/live?token={t}"),
                None => format!("{ws_base}/api/v1/live"),
            }
        })
        .collect();
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(args.screens);
    for chunk in (0..args.screens).collect::<Vec<_>>().chunks(100) {
        let mut connecting = Vec::new();
        for &i in chunk {
            let measure = i < args.latency_screens;
            let url = urls[args.url.home_of(i)].clone();
            let (mut stop_rx, log) = (stop_rx.clone(), log.clone());
            let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<()>();
            connecting.push(ready_rx);
            tasks.push(tokio::spawn(async move {
                let mut one = One::default();
                let ws = tokio_tungstenite::connect_async(&url).await;
                let _ = ready_tx.send(());
                let mut ws = match ws {
                    Ok((ws, _)) => ws,
                    Err(e) => {
                        one.error = Some(e.to_string());
                        return one;
                    }
                };
                one.connected = true;
                if measure {
                    one.e2s = Some(new_histogram());
                    one.lag = Some(new_histogram());
                }
                let mut cursor = 0usize;
                loop {
                    tokio::select! {
                        _ = stop_rx.changed() => break,
                        msg = ws.next() => match msg {
                            Some(Ok(Message::Text(t))) => {
                                one.frames += 1;
                                one.bytes += t.len() as u64;
                                if !measure {
                                    continue;
                                }
                                let Ok(head) = serde_json::from_str::<FrameHead>(&t) else { continue };
                                if let (Some(lag), Some(server)) = (one.lag.as_mut(), head.server_time_ms) {
                                    lag.saturating_record(((now_ms() - server).max(0) as u64) * 1000);
                                }
                                if let (Some(e2s), Some(applied)) = (one.e2s.as_mut(), head.events_applied) {
                                    for sent in log.covered(&mut cursor, applied) {
                                        e2s.saturating_record(sent.elapsed().as_micros().max(1) as u64);
                                    }
                                }
                            }
                            Some(Ok(_)) => {}
                            Some(Err(e)) => {
                                one.error = Some(e.to_string());
                                break;
                            }
                            None => break,
                        },
                    }
                }
                let _ = ws.close(None).await;
                one
            }));
        }
        for r in connecting {
            let _ = r.await;
        }
    }
    if args.screens > 0 {
        eprintln!(
            "{} screens connected in {:.1} s",
            args.screens,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(Screens {
        tasks,
        stop,
        started: Instant::now(),
    })
}

impl Screens {
    pub async fn finish(self) -> ScreenStats {
        let seconds = self.started.elapsed().as_secs_f64();
        let _ = self.stop.send(true);
        let mut s = ScreenStats {
            screens: self.tasks.len(),
            connected: 0,
            frames: 0,
            bytes: 0,
            seconds,
            e2s: new_histogram(),
            lag: new_histogram(),
            errors: Vec::new(),
        };
        for t in self.tasks {
            let Ok(Ok(one)) = tokio::time::timeout(Duration::from_secs(10), t).await else {
                continue;
            };
            s.connected += usize::from(one.connected);
            s.frames += one.frames;
            s.bytes += one.bytes;
            if let Some(h) = one.e2s {
                let _ = s.e2s.add(h);
            }
            if let Some(h) = one.lag {
                let _ = s.lag.add(h);
            }
            if let Some(e) = one.error.filter(|_| s.errors.len() < 5) {
                s.errors.push(e);
            }
        }
        s
    }
}
