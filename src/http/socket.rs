//! One screen's socket as the serve loop uses it: frames go out plain or
//! compressed as the upgrade agreed, every send has a deadline, and the
//! bytes sent are counted by encoding (docs/api.md, Live frames,
//! "Compression").
//!
//! A frame goes out as one final text frame: the payload's shared text,
//! or its shared deflated copy with RSV1 set. Frames are written here, a
//! 2–10 byte header beside the shared bytes, not through tungstenite:
//! tungstenite copies every message into a per-socket buffer that keeps
//! the capacity of the largest message it ever held (the connect's
//! snapshot, 26–38 KB), for the socket's life and for every screen.
//! tungstenite still does the rest — reading, pongs, pings, closes — and
//! knows no extensions, so nothing it sends is compressed, and a client
//! message with RSV1 set is a protocol error to it (the socket ends):
//! screens send nothing but pongs and closes, and control frames are never
//! compressed. Before frames are written, what tungstenite has queued (a
//! pong) is flushed whole, so the two never interleave.
//!
//! A tick and the alert frames riding with it go out in one write
//! ([`ScreenSocket::send_payloads`]): each is its own message, but one
//! system call carries them all. Under load the alert frames outnumber the
//! ticks (five and a digest a second while many SKUs run low), and a
//! write per message had cost as much CPU as the frames' building.

use std::io::IoSlice;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tungstenite::Message;

use super::upgrade::{Encoding, Socket};
use crate::live::{Payload, WireStats};

/// A send that takes longer than this ends the socket.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

pub struct ScreenSocket<'a> {
    ws: Socket,
    encoding: Encoding,
    wire: &'a WireStats,
}

impl<'a> ScreenSocket<'a> {
    /// Counted among the deflate screens while it lives, if it is one.
    pub fn new(ws: Socket, encoding: Encoding, wire: &'a WireStats) -> ScreenSocket<'a> {
        if encoding == Encoding::Deflate {
            wire.deflate_screens.fetch_add(1, Relaxed);
        }
        ScreenSocket { ws, encoding, wire }
    }

    /// Sends a frame in the socket's encoding; false if the socket is gone
    /// or the send stalled.
    pub async fn send_payload(&mut self, payload: &Payload) -> bool {
        self.send_payloads(std::slice::from_ref(payload)).await
    }

    /// Sends `payloads` in order, each its own message, in one write
    /// flushed at the end, all within one deadline. Bytes are counted once
    /// the whole batch is out.
    pub async fn send_payloads<'p>(
        &mut self,
        payloads: impl IntoIterator<Item = &'p Payload>,
    ) -> bool {
        let (mut plain, mut deflated) = (0, 0);
        let mut parts = Vec::new();
        for payload in payloads {
            let (body, compressed) = self.body(payload);
            *(if compressed {
                &mut deflated
            } else {
                &mut plain
            }) += body.len() as u64;
            parts.push(frame_header(body.len(), compressed));
            parts.push(body);
        }
        let sent = async {
            // A pong tungstenite queued goes out whole before our frames.
            self.ws.flush().await.map_err(std::io::Error::other)?;
            write_all(self.ws.get_mut(), &parts).await
        };
        let ok = matches!(tokio::time::timeout(SEND_TIMEOUT, sent).await, Ok(Ok(())));
        if ok {
            self.wire.plain_bytes.fetch_add(plain, Relaxed);
            self.wire.deflate_bytes.fetch_add(deflated, Relaxed);
        }
        ok
    }

    /// `payload`'s message body as this socket sends it, and whether it is
    /// compressed: the shared compressed copy where deflate was agreed and
    /// it shrinks, else the shared text.
    fn body(&self, payload: &Payload) -> (Bytes, bool) {
        let deflated = match self.encoding {
            Encoding::Deflate => payload.deflated(&self.wire.compressions),
            Encoding::Plain => None,
        };
        match deflated {
            Some(body) => (body.clone(), true),
            None => (Bytes::from(payload.text().clone()), false),
        }
    }

    pub async fn send(&mut self, msg: Message) -> bool {
        matches!(
            tokio::time::timeout(SEND_TIMEOUT, self.ws.send(msg)).await,
            Ok(Ok(()))
        )
    }

    /// The next message from the client; `None` once the socket ended.
    pub async fn recv(&mut self) -> Option<Result<Message, tungstenite::Error>> {
        self.ws.next().await
    }
}

/// The header of a server's final text frame of `len` bytes (RFC 6455,
/// 5.2: unmasked; RSV1 marks a compressed message, RFC 7692, 6).
fn frame_header(len: usize, compressed: bool) -> Bytes {
    let mut head = Vec::with_capacity(10);
    head.push(0x81 | if compressed { 0x40 } else { 0 });
    match len {
        0..=125 => head.push(len as u8),
        126..=0xffff => {
            head.push(126);
            head.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            head.push(127);
            head.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    Bytes::from(head)
}

/// Writes `parts` in order, as few system calls as the socket allows, and
/// flushes.
async fn write_all(io: &mut (impl AsyncWrite + Unpin), parts: &[Bytes]) -> std::io::Result<()> {
    let (mut i, mut at) = (0, 0);
    loop {
        while parts.get(i).is_some_and(|p| at >= p.len()) {
            (i, at) = (i + 1, 0);
        }
        let Some(first) = parts.get(i) else { break };
        let slices: Vec<IoSlice<'_>> = std::iter::once(&first[at..])
            .chain(parts[i + 1..].iter().map(|p| &p[..]))
            .map(IoSlice::new)
            .collect();
        let mut n = io.write_vectored(&slices).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        while n > 0 {
            let left = parts[i].len() - at;
            if n < left {
                at += n;
                break;
            }
            n -= left;
            (i, at) = (i + 1, 0);
        }
    }
    io.flush().await
}

impl Drop for ScreenSocket<'_> {
    fn drop(&mut self) {
        if self.encoding == Encoding::Deflate {
            self.wire.deflate_screens.fetch_sub(1, Relaxed);
        }
    }
}
