//! The frame walker: reads a server's WebSocket byte stream in whatever
//! pieces the socket hands over, without assembling messages.
//!
//! A WebSocket crate (tungstenite) assembles every message whole, checks
//! its UTF-8 and allocates for it: for ten thousand screens that only
//! count frames, that was most of the load test's CPU and memory. No crate
//! offers a walk over frame headers that skips payloads, so this is one:
//! it keeps at most a 14-byte header and a 125-byte control payload,
//! hands data payload bytes to a [`Payload`] (which may ignore them), and
//! notes pings to answer and a close. Memory is this struct, whatever the
//! server sends.

use thiserror::Error;

/// The largest control payload (RFC 6455 §5.5).
const MAX_CONTROL: usize = 125;

/// What the server sent that no WebSocket server may send.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum WalkError {
    #[error("a masked frame from the server")]
    Masked,
    #[error("reserved bits set that were not negotiated (0x{0:02x})")]
    Reserved(u8),
    #[error("unknown opcode {0}")]
    Opcode(u8),
    #[error("a control frame of {0} bytes (at most 125) or fragmented")]
    Control(u64),
}

/// Where data payload bytes go.
pub trait Payload {
    /// The next piece of the current message's payload (wire bytes: still
    /// compressed when the message is).
    fn data(&mut self, chunk: &[u8]);
    /// The message is complete; `compressed`: its first frame had RSV1.
    fn end(&mut self, compressed: bool);
}

/// Counts only: payload bytes are skipped.
pub struct Skip;

impl Payload for Skip {
    fn data(&mut self, _: &[u8]) {}
    fn end(&mut self, _: bool) {}
}

/// One ping's payload, to be sent back in a pong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ping {
    pub payload: [u8; MAX_CONTROL],
    pub len: usize,
}

#[derive(Debug)]
pub struct Walker {
    /// RSV1 is allowed (`permessage-deflate` was accepted).
    deflate: bool,
    head: [u8; 14],
    head_len: usize,
    /// Inside a frame's payload, with this much left.
    in_payload: bool,
    remaining: u64,
    opcode: u8,
    fin: bool,
    /// The message under way started with RSV1.
    compressed: bool,
    control: [u8; MAX_CONTROL],
    control_len: usize,
    /// Messages received whole.
    pub messages: u64,
    /// Data payload bytes, as on the wire.
    pub payload_bytes: u64,
    /// The newest ping not yet answered (RFC 6455 lets a client answer
    /// only the most recent).
    pub ping: Option<Ping>,
    /// The close frame's status code (1005 when it carried none).
    pub closed: Option<u16>,
}

impl Walker {
    pub fn new(deflate: bool) -> Walker {
        Walker {
            deflate,
            head: [0; 14],
            head_len: 0,
            in_payload: false,
            remaining: 0,
            opcode: 0,
            fin: false,
            compressed: false,
            control: [0; MAX_CONTROL],
            control_len: 0,
            messages: 0,
            payload_bytes: 0,
            ping: None,
            closed: None,
        }
    }

    /// Walks `input`, the next bytes of the stream.
    pub fn feed(&mut self, mut input: &[u8], sink: &mut impl Payload) -> Result<(), WalkError> {
        while !input.is_empty() {
            if !self.in_payload {
                let need = header_len(&self.head[..self.head_len]);
                let take = (need - self.head_len).min(input.len());
                self.head[self.head_len..self.head_len + take].copy_from_slice(&input[..take]);
                self.head_len += take;
                input = &input[take..];
                // A 2-byte start may announce a longer header: ask again.
                if self.head_len == header_len(&self.head[..self.head_len]) {
                    self.start_frame(sink)?;
                }
                continue;
            }
            let take = (self.remaining.min(input.len() as u64)) as usize;
            let (chunk, rest) = input.split_at(take);
            if self.opcode >= 8 {
                self.control[self.control_len..self.control_len + take].copy_from_slice(chunk);
                self.control_len += take;
            } else {
                self.payload_bytes += take as u64;
                sink.data(chunk);
            }
            self.remaining -= take as u64;
            input = rest;
            if self.remaining == 0 {
                self.end_frame(sink);
            }
        }
        Ok(())
    }

    fn start_frame(&mut self, sink: &mut impl Payload) -> Result<(), WalkError> {
        let h = &self.head[..self.head_len];
        let (b0, b1) = (h[0], h[1]);
        if b1 & 0x80 != 0 {
            return Err(WalkError::Masked);
        }
        let reserved = b0 & 0x70;
        let opcode = b0 & 0x0f;
        let allowed = if self.deflate && matches!(opcode, 1 | 2) {
            0x40
        } else {
            0
        };
        if reserved & !allowed != 0 {
            return Err(WalkError::Reserved(reserved));
        }
        let len = match b1 & 0x7f {
            126 => u64::from(u16::from_be_bytes([h[2], h[3]])),
            127 => u64::from_be_bytes([h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9]]),
            n => u64::from(n),
        };
        let fin = b0 & 0x80 != 0;
        match opcode {
            0 => {}
            1 | 2 => self.compressed = reserved & 0x40 != 0,
            8..=10 if len as usize <= MAX_CONTROL && fin => self.control_len = 0,
            8..=10 => return Err(WalkError::Control(len)),
            _ => return Err(WalkError::Opcode(opcode)),
        }
        self.head_len = 0;
        self.opcode = opcode;
        self.fin = fin;
        self.remaining = len;
        self.in_payload = true;
        if len == 0 {
            self.end_frame(sink);
        }
        Ok(())
    }

    fn end_frame(&mut self, sink: &mut impl Payload) {
        self.in_payload = false;
        let control = &self.control[..self.control_len];
        match self.opcode {
            8 => {
                self.closed = Some(match control {
                    [a, b, ..] => u16::from_be_bytes([*a, *b]),
                    _ => 1005,
                });
            }
            9 => {
                let mut payload = [0; MAX_CONTROL];
                payload[..control.len()].copy_from_slice(control);
                self.ping = Some(Ping {
                    payload,
                    len: control.len(),
                });
            }
            10 => {}
            _ if self.fin => {
                self.messages += 1;
                sink.end(self.compressed);
            }
            _ => {}
        }
    }
}

/// The header's full length once its first bytes are known (2 until then).
fn header_len(start: &[u8]) -> usize {
    let Some(&b1) = start.get(1) else {
        return 2;
    };
    let len = match b1 & 0x7f {
        126 => 4,
        127 => 10,
        _ => 2,
    };
    len + if b1 & 0x80 != 0 { 4 } else { 0 }
}

/// A client frame (masked, as RFC 6455 requires of clients) with `opcode`
/// and a control-sized `payload`, written into `out`; returns its length.
pub fn client_frame(opcode: u8, payload: &[u8], mask: [u8; 4], out: &mut [u8; 131]) -> usize {
    let len = payload.len().min(MAX_CONTROL);
    out[0] = 0x80 | opcode;
    out[1] = 0x80 | len as u8;
    out[2..6].copy_from_slice(&mask);
    for (i, b) in payload[..len].iter().enumerate() {
        out[6 + i] = b ^ mask[i % 4];
    }
    6 + len
}

#[cfg(test)]
#[path = "walker_tests.rs"]
mod tests;
