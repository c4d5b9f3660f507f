//! One screen's socket after the upgrade: read into a fixed buffer, walk
//! the frames, answer pings, notice a close, and say goodbye when the
//! run ends.
//!
//! Counting screens and sampled screens share this loop; they differ only
//! in the [`Payload`] their frames' bytes go to.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

use crate::ws::handshake::Upgraded;
use crate::ws::walker::{Payload, Walker, client_frame};

/// The per-screen read buffer: all a counting screen holds of its frames.
pub const READ_BUFFER: usize = 4096;

const PONG: u8 = 0xA;
const CLOSE: u8 = 0x8;

/// How a screen's reading ended.
pub struct Ended {
    pub walker: Walker,
    /// Messages and payload bytes up to the read that completed `hello`
    /// and the `snapshot`: joining, not the run.
    pub joined: (u64, u64),
    pub error: Option<String>,
}

/// Reads until `stop` says so (then sends a close, 1000) or the
/// connection ends. `ready` is counted up once the screen has its first
/// two frames (`hello` and the `snapshot`).
pub async fn read(
    mut up: Upgraded,
    mut stop: watch::Receiver<bool>,
    sink: &mut impl Payload,
    ready: &AtomicUsize,
    mask: [u8; 4],
) -> Ended {
    let mut walker = Walker::new(up.deflate.is_some());
    let mut buf = [0u8; READ_BUFFER];
    let mut joined = None;
    let mut control = [0u8; 131];
    let mut pending = std::mem::take(&mut up.leftover);
    let error = loop {
        if let Err(e) = walker.feed(&pending, sink) {
            break Some(format!("protocol: {e}"));
        }
        pending = Vec::new();
        if joined.is_none() && walker.messages >= 2 {
            joined = Some((walker.messages, walker.payload_bytes));
            ready.fetch_add(1, Relaxed);
        }
        if let Some(ping) = walker.ping.take() {
            let n = client_frame(PONG, &ping.payload[..ping.len], mask, &mut control);
            if let Err(e) = up.stream.write_all(&control[..n]).await {
                break Some(format!("pong: {e}"));
            }
        }
        if let Some(code) = walker.closed {
            let n = client_frame(CLOSE, &code.to_be_bytes(), mask, &mut control);
            let _ = up.stream.write_all(&control[..n]).await;
            break Some(format!("closed by the server (code {code})"));
        }
        tokio::select! {
            () = stopped(&mut stop) => {
                let n = client_frame(CLOSE, &1000u16.to_be_bytes(), mask, &mut control);
                let _ = up.stream.write_all(&control[..n]).await;
                let _ = up.stream.shutdown().await;
                break None;
            }
            r = up.stream.read(&mut buf) => match r {
                Ok(0) => break Some("connection closed without a close frame".into()),
                Ok(n) => {
                    if let Err(e) = walker.feed(&buf[..n], sink) {
                        break Some(format!("protocol: {e}"));
                    }
                }
                Err(e) => break Some(format!("read: {e}")),
            },
        }
    };
    Ended {
        joined: joined.unwrap_or((walker.messages, walker.payload_bytes)),
        walker,
        error,
    }
}

/// Resolves once the run ends (the guard `wait_for` returns is not `Send`).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}
