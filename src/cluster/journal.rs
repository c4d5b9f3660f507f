//! [`Journal`]: the alert stream, `<stream>_ALERTS`, that makes the alert
//! history the same on every node.
//!
//! What fired, what was delivered and which silences were set are appended
//! here (by the lease holder, or by the node an operator asked for a
//! silence) and every node's book follows the stream in order. The holder
//! appends *conditionally*, expecting the last sequence it has applied: a
//! holder that has not yet seen what another wrote (two holders around a
//! takeover, a silence set meanwhile) is refused, catches up and decides
//! again, so the journal never holds two decisions made from different
//! histories. The journal knows nothing of what its entries mean.

use std::time::Duration;

use async_nats::jetstream::{self, consumer, context::PublishErrorKind, stream};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use super::Link;

/// The alert stream of the sale stream `stream`, and its subject.
pub fn journal_of(stream: &str) -> (String, String) {
    (
        format!("{stream}_ALERTS"),
        format!("warroom.{stream}.alerts"),
    )
}

/// Why an entry was not appended, or the journal not followed.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// Someone appended after the sequence this node expected.
    #[error("alert journal {0}: another entry came first")]
    Conflict(String),
    #[error("alert journal {stream}: {reason}")]
    Nats { stream: String, reason: String },
}

/// An entry as appended: its sequence in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended(pub u64);

/// The alert stream, created if missing.
#[derive(Clone)]
pub struct Journal {
    js: jetstream::Context,
    name: String,
    subject: String,
}

impl Journal {
    /// Creates or opens the journal beside the link's stream, with the
    /// same replicas (retried while a new cluster elects its leaders).
    pub async fn open(link: &Link) -> Result<Journal, JournalError> {
        let (name, subject) = journal_of(&link.cfg.stream);
        let config = stream::Config {
            name: name.clone(),
            subjects: vec![subject.clone()],
            storage: stream::StorageType::File,
            num_replicas: link.cfg.replicas,
            duplicate_window: Duration::from_secs(link.cfg.duplicate_window_s.max(1)),
            deny_delete: true,
            deny_purge: true,
            description: Some("warroom: the alert history every node follows".into()),
            ..Default::default()
        };
        let started = std::time::Instant::now();
        loop {
            match link.js.get_or_create_stream(config.clone()).await {
                Ok(_) => break,
                Err(e) if started.elapsed() < Duration::from_secs(30) => {
                    tracing::warn!(stream = %name, error = %e, "alert journal not ready yet; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(e) => {
                    return Err(JournalError::Nats {
                        stream: name,
                        reason: e.to_string(),
                    });
                }
            }
        }
        Ok(Journal {
            js: link.js.clone(),
            name,
            subject,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn nats(&self, reason: impl ToString) -> JournalError {
        JournalError::Nats {
            stream: self.name.clone(),
            reason: reason.to_string(),
        }
    }

    /// Appends `payload` if the journal's last sequence is `after`.
    pub async fn append_after(&self, after: u64, payload: Bytes) -> Result<Appended, JournalError> {
        let msg = jetstream::message::PublishMessage::build()
            .payload(payload)
            .expected_last_sequence(after);
        self.send(msg).await
    }

    /// Appends `payload` wherever the journal stands.
    pub async fn append(&self, payload: Bytes) -> Result<Appended, JournalError> {
        self.send(jetstream::message::PublishMessage::build().payload(payload))
            .await
    }

    async fn send(
        &self,
        msg: jetstream::message::PublishMessage,
    ) -> Result<Appended, JournalError> {
        let conflict = |kind: PublishErrorKind| kind == PublishErrorKind::WrongLastSequence;
        let ack = self
            .js
            .send_publish(self.subject.clone(), msg)
            .await
            .map_err(|e| self.nats(e))?;
        match ack.await {
            Ok(ack) => Ok(Appended(ack.sequence)),
            Err(e) if conflict(e.kind()) => Err(JournalError::Conflict(self.name.clone())),
            Err(e) => Err(self.nats(e)),
        }
    }

    /// The journal's last sequence (0 when empty).
    pub async fn last(&self) -> Result<u64, JournalError> {
        let mut s = self
            .js
            .get_stream(&self.name)
            .await
            .map_err(|e| self.nats(e))?;
        let info = s.info().await.map_err(|e| self.nats(e))?;
        Ok(info.state.last_sequence)
    }

    /// Every entry from sequence `from` on, in order, for as long as the
    /// connection lasts (the ordered consumer recreates itself after a gap
    /// or a server change).
    pub async fn follow(
        &self,
        from: u64,
    ) -> Result<impl Stream<Item = Result<(u64, Bytes), JournalError>> + use<>, JournalError> {
        let s = self
            .js
            .get_stream(&self.name)
            .await
            .map_err(|e| self.nats(e))?;
        let deliver = self.js.client().new_inbox();
        let consumer = s
            .create_consumer(consumer::push::OrderedConfig {
                deliver_subject: deliver,
                deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                    start_sequence: from.max(1),
                },
                ..Default::default()
            })
            .await
            .map_err(|e| self.nats(e))?;
        let name = self.name.clone();
        let messages = consumer.messages().await.map_err(|e| self.nats(e))?;
        Ok(messages.map(move |m| {
            let err = |reason: String| JournalError::Nats {
                stream: name.clone(),
                reason,
            };
            let m = m.map_err(|e| err(e.to_string()))?;
            let seq = m.info().map_err(|e| err(e.to_string()))?.stream_sequence;
            Ok((seq, m.message.payload.clone()))
        }))
    }
}
