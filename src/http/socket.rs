//! One screen's socket as the serve loop uses it: frames go out plain or
//! compressed as the upgrade agreed, every send has a deadline, and the
//! bytes sent are counted by encoding (docs/api.md, Live frames,
//! "Compression").
//!
//! A compressed frame is the payload's shared deflated copy in one final
//! text frame with RSV1 set, written through tungstenite's raw-frame API:
//! tungstenite itself knows no extensions, so nothing else it sends
//! (pings, closes) is compressed, and a client message with RSV1 set is a
//! protocol error to it (the socket ends) — screens send nothing but pongs
//! and closes, and control frames are never compressed.
//!
//! A tick and the alert frames riding with it go out in one write
//! ([`ScreenSocket::send_payloads`]): each is its own message, but one
//! system call carries them all. Under load the alert frames outnumber the
//! ticks (five and a digest a second while many SKUs run low), and a
//! write per message had cost as much CPU as the frames' building.

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tungstenite::Message;
use tungstenite::protocol::frame::Frame;
use tungstenite::protocol::frame::coding::{Data, OpCode};

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

    /// Sends `payloads` in order, each its own message, flushed once at
    /// the end, all within one deadline.
    pub async fn send_payloads<'p>(
        &mut self,
        payloads: impl IntoIterator<Item = &'p Payload>,
    ) -> bool {
        let sent = async {
            for payload in payloads {
                let msg = self.message(payload);
                self.ws.feed(msg).await?;
            }
            self.ws.flush().await
        };
        matches!(tokio::time::timeout(SEND_TIMEOUT, sent).await, Ok(Ok(())))
    }

    /// `payload` as the message this socket sends: its shared compressed
    /// copy where deflate was agreed and it shrinks, else its text.
    fn message(&self, payload: &Payload) -> Message {
        let deflated = match self.encoding {
            Encoding::Deflate => payload.deflated(&self.wire.compressions),
            Encoding::Plain => None,
        };
        match deflated {
            Some(body) => {
                self.wire
                    .deflate_bytes
                    .fetch_add(body.len() as u64, Relaxed);
                let mut frame = Frame::message(body.clone(), OpCode::Data(Data::Text), true);
                frame.header_mut().rsv1 = true;
                Message::Frame(frame)
            }
            None => {
                let text = payload.text().clone();
                self.wire.plain_bytes.fetch_add(text.len() as u64, Relaxed);
                Message::Text(text)
            }
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

impl Drop for ScreenSocket<'_> {
    fn drop(&mut self) {
        if self.encoding == Encoding::Deflate {
            self.wire.deflate_screens.fetch_sub(1, Relaxed);
        }
    }
}
