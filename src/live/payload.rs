//! A published frame's bytes: the JSON text every screen of a topic is
//! sent, and its `permessage-deflate` form, built once and shared
//! (docs/api.md, Live frames, "Compression").
//!
//! The hub serialises a frame once per topic; the screens of that topic
//! share the [`Payload`]. A screen whose socket negotiated compression asks
//! for [`Payload::deflated`]: the first such screen compresses the text,
//! every later one gets the same bytes (a reference count, no copy). Each
//! message is compressed on its own (no context takeover), so one
//! compressed copy is right for every socket whatever it was sent before:
//! raw deflate, sync-flushed, with the flush's trailing `00 00 ff ff`
//! removed (RFC 7692, 7.2.1). A frame that deflate would not shrink is
//! sent as it is (RSV1 clear), which the RFC allows message by message.

use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use flate2::{Compress, Compression, FlushCompress};
use tungstenite::Utf8Bytes;

/// The compression level: level 1 keeps most of the saving of the higher
/// levels at a fraction of their time (docs/performance.md, "Live frames
/// on the wire").
pub const DEFLATE_LEVEL: u32 = 1;

/// The empty stored block a sync flush ends with; not sent (RFC 7692).
const SYNC_TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// What went out on the screens' sockets, for `/metrics`.
#[derive(Debug, Default)]
pub struct WireStats {
    /// Message bytes sent as they are (text frames' payloads).
    pub plain_bytes: AtomicU64,
    /// Message bytes sent compressed (the deflated payloads).
    pub deflate_bytes: AtomicU64,
    /// Frames compressed: once per frame, however many screens get it.
    pub compressions: AtomicU64,
    /// Screens whose socket negotiated `permessage-deflate`.
    pub deflate_screens: AtomicU64,
}

/// One frame's bytes, cheap to clone and shared by every screen it goes to.
#[derive(Debug, Clone)]
pub struct Payload(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    text: Utf8Bytes,
    /// Built on first use: `None` when deflate would not shrink the text.
    deflated: OnceLock<Option<Bytes>>,
}

impl Payload {
    pub fn new(text: String) -> Payload {
        Payload(Arc::new(Inner {
            text: Utf8Bytes::from(text),
            deflated: OnceLock::new(),
        }))
    }

    /// The JSON text, as a plain WebSocket text message carries it.
    pub fn text(&self) -> &Utf8Bytes {
        &self.0.text
    }

    /// The compressed message body, compressed by the first caller (who
    /// counts it in `compressions`); `None` when it would not be smaller
    /// than the text, and then the text is sent as it is.
    pub fn deflated(&self, compressions: &AtomicU64) -> Option<&Bytes> {
        self.0
            .deflated
            .get_or_init(|| {
                compressions.fetch_add(1, Relaxed);
                deflate(self.0.text.as_bytes(), DEFLATE_LEVEL)
                    .filter(|d| d.len() < self.0.text.len())
                    .map(Bytes::from)
            })
            .as_ref()
    }
}

impl Deref for Payload {
    type Target = str;

    fn deref(&self) -> &str {
        self.0.text.as_str()
    }
}

impl From<String> for Payload {
    fn from(text: String) -> Payload {
        Payload::new(text)
    }
}

impl From<&str> for Payload {
    fn from(text: &str) -> Payload {
        Payload::new(text.to_owned())
    }
}

/// `data` as one `permessage-deflate` message body at `level`: raw
/// deflate with a fresh window (no context takeover), sync-flushed, the
/// trailing `00 00 ff ff` removed. `None` only if the compressor fails,
/// which it does not for in-memory input; the caller then sends plain.
pub fn deflate(data: &[u8], level: u32) -> Option<Vec<u8>> {
    let mut z = Compress::new(Compression::new(level), false);
    // Deflate never grows data by more than a few bytes per 16 KiB block.
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    loop {
        if out.capacity() - out.len() < 64 {
            out.reserve(out.capacity().max(1024));
        }
        let rest = data.get(usize::try_from(z.total_in()).ok()?..)?;
        z.compress_vec(rest, &mut out, FlushCompress::Sync).ok()?;
        // The flush is complete once all input is in and the output
        // buffer was not filled (zlib's rule for a flush).
        if usize::try_from(z.total_in()).ok()? == data.len() && out.len() < out.capacity() {
            break;
        }
    }
    if !out.ends_with(&SYNC_TAIL) {
        return None;
    }
    out.truncate(out.len() - SYNC_TAIL.len());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a client does (RFC 7692, 7.2.2): append the tail, raw-inflate
    /// (the stream has no final block, so inflate what is there).
    fn inflate(body: &[u8]) -> String {
        let mut whole = body.to_vec();
        whole.extend_from_slice(&SYNC_TAIL);
        let mut z = flate2::Decompress::new(false);
        let mut out = Vec::with_capacity(body.len() * 20 + 1024);
        z.decompress_vec(&whole, &mut out, flate2::FlushDecompress::Sync)
            .expect("inflates");
        assert_eq!(z.total_in(), whole.len() as u64, "all input read");
        String::from_utf8(out).expect("UTF-8")
    }

    fn frame_like(n: usize) -> String {
        let rows: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    r#"{{"id":"s{i:04}","gmv":{},"orders":{}}}"#,
                    i * 7919,
                    i * 13
                )
            })
            .collect();
        format!(r#"{{"type":"tick","seq":7,"stores":[{}]}}"#, rows.join(","))
    }

    #[test]
    fn a_deflated_message_inflates_to_the_text() {
        for n in [1, 10, 300, 3_000] {
            let text = frame_like(n);
            for level in [1, 3, 6, 9] {
                let body = deflate(text.as_bytes(), level).expect("deflates");
                assert!(!body.ends_with(&SYNC_TAIL), "the tail is removed");
                assert_eq!(inflate(&body), text, "{n} rows at level {level}");
            }
        }
    }

    #[test]
    fn compressed_once_however_many_screens_ask() {
        let payload = Payload::new(frame_like(200));
        let count = AtomicU64::new(0);
        let first = payload.deflated(&count).cloned().expect("it shrinks");
        let shared = payload.clone();
        for _ in 0..10 {
            let again = shared.deflated(&count).expect("it shrinks");
            assert_eq!(again.as_ptr(), first.as_ptr(), "the same bytes");
        }
        assert_eq!(count.load(Relaxed), 1);
        assert_eq!(inflate(&first), &*payload);
    }

    #[test]
    fn a_frame_deflate_would_not_shrink_is_sent_plain() {
        let payload = Payload::new("{}".into());
        assert_eq!(payload.deflated(&AtomicU64::new(0)), None);
        assert_eq!(payload.text().as_str(), "{}");
    }
}
