//! Dead letters: what the bus source could not count, kept where an
//! operator can read it (docs/api.md, The bus source).
//!
//! One message per rejected line, its payload the line exactly as sent
//! (an NDJSON line without its newline, an array element's JSON text),
//! or the whole message when it cannot be read as events at all (then as
//! received, still compressed if it was). Headers say where it came from
//! and why. The message id is the source's stream, sequence and line, so
//! a message handled twice (a redelivery, a takeover) dead-letters each
//! line once within the dead-letter stream's duplicate window. If no
//! stream captures the dead-letter subject, `<STREAM>_REJECTED` is made
//! for it at start, so dead letters are never published into the void.

use std::time::Duration;

use async_nats::jetstream::context::PublishAckFuture;
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::{self, stream};

use crate::cluster::Link;

/// The source stream of the message a dead letter comes from.
pub const SOURCE_STREAM: &str = "Warroom-Source-Stream";
/// The subject that message was published to.
pub const SOURCE_SUBJECT: &str = "Warroom-Source-Subject";
/// Its sequence in the source stream.
pub const SOURCE_SEQ: &str = "Warroom-Source-Seq";
/// The rejected line (1-based; the array index + 1 for arrays); absent
/// when the whole message was refused.
pub const LINE: &str = "Warroom-Line";
/// Why it was rejected, as an HTTP reply would say it.
pub const ERROR: &str = "Warroom-Error";
/// The node that handled it.
pub const NODE: &str = "Warroom-Node";
/// Set (to the original length) when the payload had to be cut to fit
/// the servers' max payload.
pub const TRUNCATED: &str = "Warroom-Truncated";

/// Bytes kept free below the max payload for the headers.
const HEADROOM: usize = 8192;
/// Longest header value written (an error quoting a long value).
const MAX_HEADER: usize = 1024;

/// Where the message being handled came from.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub stream: &'a str,
    pub subject: &'a str,
    pub seq: u64,
    pub node: &'a str,
    /// Headers of the source message carried over on a whole-message
    /// dead letter (`Content-Type`, `Content-Encoding`), so it can be read
    /// again as it was sent.
    pub content_type: Option<&'a str>,
    pub content_encoding: Option<&'a str>,
}

/// One thing to dead-letter: a line (`Some(n)`) or the whole message.
#[derive(Debug, Clone, Copy)]
pub struct Letter<'a> {
    pub payload: &'a [u8],
    pub line: Option<usize>,
    pub error: &'a str,
}

/// The stream that keeps `subject`'s dead letters: the one that captures
/// it, or `<STREAM>_REJECTED`, created here (file storage, the sale
/// stream's replicas and duplicate window, kept `max_age`).
pub async fn ensure_stream(
    link: &Link,
    subject: &str,
    max_age: Duration,
) -> Result<String, String> {
    match link.js.stream_by_subject(subject).await {
        Ok(name) if name == link.identity.name => Err(format!(
            "dead-letter subject {subject:?} falls in the sale's own stream {name}; set [cluster] dead_letter to another subject"
        )),
        Ok(name) => Ok(name),
        Err(e) if e.kind() == jetstream::context::GetStreamByNameErrorKind::NotFound => {
            let name = format!("{}_REJECTED", link.cfg.stream);
            let config = stream::Config {
                name: name.clone(),
                subjects: vec![subject.to_string()],
                storage: stream::StorageType::File,
                num_replicas: link.cfg.replicas,
                duplicate_window: Duration::from_secs(link.cfg.duplicate_window_s),
                max_age,
                description: Some(format!(
                    "warroom: lines of the bus source {:?} that could not be counted",
                    link.cfg.source.as_deref().unwrap_or("")
                )),
                ..Default::default()
            };
            link.js
                .get_or_create_stream(config)
                .await
                .map_err(|e| format!("cannot create the dead-letter stream {name}: {e}"))?;
            tracing::info!(stream = %name, %subject, "dead-letter stream created");
            Ok(name)
        }
        Err(e) => Err(format!(
            "cannot look up the stream of the dead-letter subject {subject:?}: {e}"
        )),
    }
}

/// Publishes `letters` and waits until the stream acknowledged every one.
pub async fn publish(
    link: &Link,
    subject: &str,
    origin: Origin<'_>,
    letters: &[Letter<'_>],
) -> Result<(), String> {
    let max = link.max_payload().saturating_sub(HEADROOM).max(1024);
    let mut pending: Vec<PublishAckFuture> = Vec::with_capacity(letters.len());
    for letter in letters {
        let msg = message(origin, letter, max);
        let ack = link
            .js
            .send_publish(subject.to_string(), msg)
            .await
            .map_err(|e| format!("dead letter not published to {subject:?}: {e}"))?;
        pending.push(ack);
    }
    for ack in pending {
        ack.await
            .map_err(|e| format!("dead letter not acknowledged on {subject:?}: {e}"))?;
    }
    Ok(())
}

fn message(origin: Origin<'_>, letter: &Letter<'_>, max: usize) -> PublishMessage {
    let line = letter.line.unwrap_or(0);
    let id = format!("{}.{}.{line}", origin.stream, origin.seq);
    let payload = &letter.payload[..letter.payload.len().min(max)];
    let mut msg = PublishMessage::build()
        .payload(bytes::Bytes::copy_from_slice(payload))
        .message_id(&id)
        .header(SOURCE_STREAM, origin.stream)
        .header(SOURCE_SUBJECT, origin.subject)
        .header(SOURCE_SEQ, origin.seq.to_string().as_str())
        .header(ERROR, header_value(letter.error).as_str())
        .header(NODE, origin.node);
    if let Some(line) = letter.line {
        msg = msg.header(LINE, line.to_string().as_str());
    } else {
        if let Some(ct) = origin.content_type {
            msg = msg.header("Content-Type", header_value(ct).as_str());
        }
        if let Some(ce) = origin.content_encoding {
            msg = msg.header("Content-Encoding", header_value(ce).as_str());
        }
    }
    if payload.len() < letter.payload.len() {
        msg = msg.header(TRUNCATED, letter.payload.len().to_string().as_str());
    }
    msg
}

/// A header value NATS can carry: no control characters (a newline would
/// end the header), at most `MAX_HEADER` bytes.
pub fn header_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_HEADER));
    for c in s.chars() {
        if out.len() + c.len_utf8() > MAX_HEADER {
            break;
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_cannot_break_the_header() {
        assert_eq!(header_value("a\r\nb\tc"), "a  b c");
        let long = "é".repeat(2000);
        let v = header_value(&long);
        assert!(v.len() <= MAX_HEADER && v.chars().all(|c| c == 'é'));
    }
}
