//! `permessage-deflate` for a sampled screen: one message's wire payload
//! back to its text (RFC 7692 §7.2.2).
//!
//! A compressed message is raw deflate with the trailing `00 00 ff ff`
//! removed; the receiver appends it again and inflates. Without
//! `server_no_context_takeover` the server may refer back into earlier
//! messages, so the inflater is kept across messages; with it, each
//! message is inflated from a fresh state. The output is capped, so a
//! runaway frame costs at most `limit` bytes.

use flate2::{Decompress, FlushDecompress, Status};
use thiserror::Error;

const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

#[derive(Debug, Error, PartialEq, Eq)]
pub enum InflateError {
    #[error("not valid deflate data: {0}")]
    Corrupt(String),
    #[error("inflates to more than {0} bytes")]
    TooBig(usize),
}

pub struct Inflater {
    d: Decompress,
    fresh_each_message: bool,
    out: Vec<u8>,
    limit: usize,
}

impl Inflater {
    pub fn new(server_no_context_takeover: bool, limit: usize) -> Inflater {
        Inflater {
            d: Decompress::new(false),
            fresh_each_message: server_no_context_takeover,
            out: Vec::new(),
            limit,
        }
    }

    /// The text of one message from its wire payload.
    pub fn inflate(&mut self, wire: &[u8]) -> Result<&[u8], InflateError> {
        self.out.clear();
        let result = self.run(wire).and_then(|()| self.run(&TAIL));
        if self.fresh_each_message || result.is_err() {
            self.d.reset(false);
        }
        if result.is_err() {
            // A runaway message must not keep its buffer for the rest.
            self.out = Vec::new();
        }
        result.map(|()| self.out.as_slice())
    }

    fn run(&mut self, mut input: &[u8]) -> Result<(), InflateError> {
        loop {
            if self.out.len() == self.out.capacity() {
                if self.out.len() >= self.limit {
                    return Err(InflateError::TooBig(self.limit));
                }
                let more = (input.len() * 4).clamp(4096, self.limit - self.out.len());
                self.out.reserve_exact(more);
            }
            let (in0, out0) = (self.d.total_in(), self.d.total_out());
            let status = self
                .d
                .decompress_vec(input, &mut self.out, FlushDecompress::Sync)
                .map_err(|e| InflateError::Corrupt(e.to_string()))?;
            let used = (self.d.total_in() - in0) as usize;
            let made = self.d.total_out() - out0;
            input = &input[used..];
            let room_left = self.out.len() < self.out.capacity();
            if matches!(status, Status::StreamEnd) || (input.is_empty() && room_left) {
                return Ok(());
            }
            if used == 0 && made == 0 && room_left {
                return Err(InflateError::Corrupt("no progress".into()));
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use flate2::{Compress, Compression, FlushCompress};

    /// What a server sends: raw deflate, sync-flushed, tail removed.
    pub fn compress(c: &mut Compress, text: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() + 64);
        c.compress_vec(text, &mut out, FlushCompress::Sync)
            .expect("compress");
        assert!(out.ends_with(&TAIL));
        out.truncate(out.len() - 4);
        out
    }

    #[test]
    fn messages_without_context_takeover() {
        let text =
            br#"{"type":"tick","seq":7,"events_applied":1234,"server_time_ms":1}"#.repeat(20);
        let mut inf = Inflater::new(true, 1 << 20);
        for _ in 0..3 {
            let mut c = Compress::new(Compression::default(), false);
            let wire = compress(&mut c, &text);
            assert!(wire.len() < text.len() / 4);
            assert_eq!(inf.inflate(&wire).expect("inflates"), text.as_slice());
        }
    }

    #[test]
    fn messages_with_context_takeover_refer_back() {
        let text = br#"{"type":"tick","stores":[{"id":"s0001","gmv":12345}]}"#.repeat(8);
        let mut c = Compress::new(Compression::default(), false);
        let first = compress(&mut c, &text);
        let second = compress(&mut c, &text);
        assert!(second.len() < first.len(), "the second refers to the first");
        let mut inf = Inflater::new(false, 1 << 20);
        assert_eq!(inf.inflate(&first).expect("first"), text.as_slice());
        assert_eq!(inf.inflate(&second).expect("second"), text.as_slice());
        // A fresh state cannot read the second alone.
        let mut fresh = Inflater::new(true, 1 << 20);
        assert_ne!(fresh.inflate(&second).ok(), Some(text.as_slice()));
    }

    #[test]
    fn output_is_capped() {
        let text = vec![b'x'; 200_000];
        let mut c = Compress::new(Compression::default(), false);
        let wire = compress(&mut c, &text);
        let mut inf = Inflater::new(true, 64 * 1024);
        assert_eq!(inf.inflate(&wire), Err(InflateError::TooBig(64 * 1024)));
        assert_eq!(inf.out.capacity(), 0, "its buffer is let go");
        let small = compress(&mut Compress::new(Compression::default(), false), b"{}");
        assert_eq!(inf.inflate(&small).expect("next message"), b"{}");
    }
}
