//! One bus message, handled: inflated if gzip, framed, validated, capped
//! and published exactly as an HTTP body (`Ingest::submit_message`), its
//! rejected lines dead-lettered, and only then acknowledged.
//!
//! What becomes of a message follows the HTTP status it would get: a
//! `200` is counted and its rejected lines go to dead letters; a body
//! that cannot be read as events at all (`400`, or `Content-Encoding`
//! other than gzip, or gzip that does not inflate) goes to dead letters
//! whole; both are then acknowledged. A `503` (the node catching up, the
//! stream not acknowledging) leaves the message unacknowledged, to be
//! delivered again: nothing of it is lost, and what of it was already
//! stored is recognised when it comes back.

use async_nats::HeaderMap;
use async_nats::jetstream;

use super::dead_letter::{self, Letter, Origin};
use super::status::SourceStatus;
use crate::cluster::Link;
use crate::ingest::{Encoding, Ingest, IngestError, is_json, line_texts};

use std::sync::atomic::Ordering::Relaxed;

/// What the reader needs to handle a message.
pub struct Handler {
    pub link: Link,
    pub ingest: Ingest,
    pub dead_letter: String,
    pub status: SourceStatus,
}

/// What to do with the message after handling it.
#[derive(Debug, PartialEq, Eq)]
pub enum Handled {
    /// Counted and dead-lettered: acknowledge it.
    Done,
    /// Not now (the reason): leave it to be delivered again.
    Later(String),
    /// Not a JetStream message at all: end its delivery.
    Foreign(String),
}

impl Handler {
    pub async fn handle(&self, msg: &jetstream::Message) -> Handled {
        let info = match msg.info() {
            Ok(info) => info,
            Err(e) => return Handled::Foreign(e.to_string()),
        };
        let stats = self.status.stats();
        if info.delivered > 1 {
            stats.redeliveries.fetch_add(1, Relaxed);
        }
        // The time the source stream stored it: the same on every
        // delivery, so a redelivered message parses to the same events.
        let received_ms = i64::try_from(info.published.unix_timestamp_nanos() / 1_000_000)
            .unwrap_or_else(|_| self.ingest.engine().now_ms());
        let headers = msg.headers.as_ref();
        let content_type = header(headers, "Content-Type");
        let content_encoding = header(headers, "Content-Encoding");
        let origin = Origin {
            stream: info.stream,
            subject: msg.subject.as_str(),
            seq: info.stream_sequence,
            node: &self.link.node,
            content_type,
            content_encoding,
        };
        let limit = self.ingest.engine().config().server.max_body_bytes;
        let body = Encoding::parse(content_encoding).and_then(|e| e.decode(&msg.payload, limit));
        let body = match body {
            Ok(body) => body,
            Err(e) => return self.whole(origin, &msg.payload, &e.to_string()).await,
        };
        match self
            .ingest
            .submit_message(&body, content_type, received_ms)
            .await
        {
            Ok(reply) => {
                stats.events.fetch_add(reply.accepted as u64, Relaxed);
                stats.duplicates.fetch_add(reply.duplicates as u64, Relaxed);
                if !reply.errors.is_empty() {
                    let lines: Vec<usize> = reply.errors.iter().map(|e| e.line).collect();
                    let texts = line_texts(&body, is_json(content_type), &lines);
                    let letters: Vec<Letter<'_>> = reply
                        .errors
                        .iter()
                        .zip(texts)
                        .map(|(e, text)| Letter {
                            payload: text,
                            line: Some(e.line),
                            error: &e.error,
                        })
                        .collect();
                    if let Err(e) = self.dead_letters(origin, &letters).await {
                        return Handled::Later(e);
                    }
                }
                stats.messages.fetch_add(1, Relaxed);
                Handled::Done
            }
            Err(IngestError::Body(e)) => self.whole(origin, &msg.payload, &e.to_string()).await,
            Err(e @ (IngestError::NotReady | IngestError::Unavailable(_))) => {
                Handled::Later(e.to_string())
            }
        }
    }

    /// The whole message as one dead letter.
    async fn whole(&self, origin: Origin<'_>, payload: &[u8], error: &str) -> Handled {
        let letter = Letter {
            payload,
            line: None,
            error,
        };
        match self.dead_letters(origin, &[letter]).await {
            Ok(()) => {
                self.status.stats().messages.fetch_add(1, Relaxed);
                Handled::Done
            }
            Err(e) => Handled::Later(e),
        }
    }

    async fn dead_letters(&self, origin: Origin<'_>, letters: &[Letter<'_>]) -> Result<(), String> {
        dead_letter::publish(&self.link, &self.dead_letter, origin, letters).await?;
        self.status
            .stats()
            .dead_letters
            .fetch_add(letters.len() as u64, Relaxed);
        Ok(())
    }
}

/// A header's value, its name matched without regard to case (order
/// systems write `content-type` as often as `Content-Type`).
fn header<'h>(headers: Option<&'h HeaderMap>, name: &str) -> Option<&'h str> {
    headers?
        .iter()
        .find(|(k, _)| AsRef::<str>::as_ref(*k).eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.first())
        .map(|v| v.as_str())
}
