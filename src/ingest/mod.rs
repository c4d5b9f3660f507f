//! Ingest: request bodies in, validated batches applied to the engine.
//!
//! [`Ingest::submit`] is the one path every event takes — HTTP `POST
//! /api/v1/events` and the demo's simulator alike — so parsing, the event
//! rules (docs/api.md, Events), logging and the reply are the same for all of them. Parsing and
//! record encoding run on the caller's thread without any lock; only apply
//! and the log append happen under the engine lock, and the reply waits
//! (outside it) until the log is as durable as `fsync` promises. The
//! war-room log's notes take the same path from a batch the server built
//! (`direct`, `note`).

mod body;
mod direct;
mod encoding;
mod field;
mod note;
mod raw;
mod validate;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

pub use body::{BodyError, LineError, MAX_LISTED_ERRORS, Parsed, line_texts, parse};
pub use encoding::{Encoding, EncodingError};
pub use note::parse_note;
pub use validate::{MAX_FUTURE_MS, Rules};

use crate::cluster::{Outcome, StreamLog};
use crate::engine::Engine;
use crate::metrics::HttpMetrics;
use crate::storage::{self, Log, Ticket};

/// The reply to one ingest request (docs/api.md, Events).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reply {
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: usize,
    pub errors: Vec<LineError>,
}

/// Why a request was not applied.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The body cannot be read as events (400).
    #[error(transparent)]
    Body(#[from] BodyError),
    /// Start-up recovery is still running (503).
    #[error("not ready: recovering from the log, try again shortly")]
    NotReady,
    /// The log cannot be written (503); nothing of this request is acknowledged.
    #[error("{0}")]
    Unavailable(String),
}

/// An applied request, and how far the log must get before replying.
pub struct Submitted {
    pub reply: Reply,
    pub durable_at: Option<Ticket>,
}

struct Durability {
    ready: AtomicBool,
    log: OnceLock<Log>,
}

/// The ingest handle: parses, logs, applies, counts.
#[derive(Clone)]
pub struct Ingest {
    engine: Engine,
    metrics: Arc<HttpMetrics>,
    durability: Arc<Durability>,
}

impl Ingest {
    /// An in-memory ingest, ready at once; `attach` puts a log behind it.
    pub fn new(engine: Engine, metrics: Arc<HttpMetrics>) -> Ingest {
        Ingest {
            engine,
            metrics,
            durability: Arc::new(Durability {
                ready: AtomicBool::new(true),
                log: OnceLock::new(),
            }),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn set_ready(&self, ready: bool) {
        self.durability.ready.store(ready, Ordering::Release);
    }

    pub fn is_ready(&self) -> bool {
        self.durability.ready.load(Ordering::Acquire)
    }

    /// From now on every applied batch goes to `log` before its reply
    /// (set once, after recovery; a second call is ignored).
    pub fn attach(&self, log: Log) {
        let _ = self.durability.log.set(log);
    }

    /// The log behind ingest (memory only until one is attached).
    pub fn log(&self) -> &Log {
        static MEMORY: Log = Log::Memory;
        self.durability.log.get().unwrap_or(&MEMORY)
    }

    /// Parses `body`, applies its valid events in order and logs them. The
    /// reply may go out once `durable_at` is reached (see `submit_durable`).
    pub fn submit(
        &self,
        body: &[u8],
        content_type: Option<&str>,
    ) -> Result<Submitted, IngestError> {
        let log = self.log();
        if log.stream().is_some() {
            // The stream applies a batch when it comes back (`submit_durable`).
            return Err(IngestError::Unavailable(
                "cluster mode: batches go through the stream".into(),
            ));
        }
        let parsed = self.parse_checked(body, content_type, self.arrival())?;
        // Encode outside the lock; only the append happens under it.
        let mut record = Vec::new();
        if log.is_durable() && !parsed.batch.is_empty() {
            storage::encode_record(&parsed.batch, &mut record);
        }
        // Room in the log first: a batch it could not take is not applied
        // (figures on the screens never include what a restart would lose).
        let claim = log
            .reserve(record.len())
            .map_err(IngestError::Unavailable)?;
        let (applied, ticket) = self.engine.apply_and(&parsed.batch, |applied, now| {
            if !applied.refused.is_empty() && log.is_durable() {
                // Rare (a first-sight cap refused lines): log only what was
                // applied, so replay needs no caps to reach this state.
                let skip: Vec<usize> = applied.refused.iter().map(|r| r.index).collect();
                record.clear();
                storage::encode_record(&parsed.batch.without(&skip), &mut record);
            }
            // Replay applies it at the same time, not its own.
            storage::stamp_record(&mut record, now);
            log.append(&record, claim, applied.accepted > 0)
        });
        let mut parsed = parsed;
        for r in &applied.refused {
            let line = parsed.lines.get(r.index).copied().unwrap_or(0);
            parsed.reject(line, r.error.clone());
        }
        self.metrics
            .record_batch(applied.accepted, applied.duplicates, parsed.rejected);
        Ok(Submitted {
            reply: Reply {
                accepted: applied.accepted,
                duplicates: applied.duplicates,
                rejected: parsed.rejected,
                errors: parsed.errors,
            },
            durable_at: ticket,
        })
    }

    /// An HTTP body's arrival: now, and the reply's listing cap.
    fn arrival(&self) -> Arrival {
        Arrival {
            now_ms: self.engine.now_ms(),
            max_listed: MAX_LISTED_ERRORS,
        }
    }

    /// Readiness, the log's availability, and the body parsed and
    /// validated (a bad body is counted here).
    fn parse_checked<'b>(
        &self,
        body: &'b [u8],
        content_type: Option<&str>,
        arrival: Arrival,
    ) -> Result<Parsed<'b>, IngestError> {
        if !self.is_ready() {
            return Err(IngestError::NotReady);
        }
        // While the log takes nothing (a disk refusing writes, a cluster
        // node catching up) nothing new is applied: nothing could be
        // acknowledged anyway.
        if let Some(e) = self.log().unavailable() {
            return Err(IngestError::Unavailable(format!(
                "storage unavailable: {e}"
            )));
        }
        let rules = Rules {
            currency: &self.engine.sale().currency,
            now_ms: arrival.now_ms,
            max_line_bytes: self.engine.config().server.max_line_bytes,
            max_listed: arrival.max_listed,
        };
        parse(body, is_json(content_type), &rules).map_err(|e| {
            self.metrics.record_bad_body();
            e.into()
        })
    }

    /// Cluster mode: the valid events the caps admit are published to the
    /// stream; the reply comes once this node applied them (`StreamLog`).
    async fn submit_to_stream(
        &self,
        stream: &StreamLog,
        body: &[u8],
        content_type: Option<&str>,
        arrival: Arrival,
    ) -> Result<Reply, IngestError> {
        let mut parsed = self.parse_checked(body, content_type, arrival)?;
        // The caps are checked here, against this node's replica, not at
        // apply: apply must not depend on a node's config (docs/operations.md,
        // Cluster mode).
        let refused = self.engine.refused_by_caps(&parsed.batch);
        let batch = if refused.is_empty() {
            std::mem::take(&mut parsed.batch)
        } else {
            let skip: Vec<usize> = refused.iter().map(|r| r.index).collect();
            parsed.batch.without(&skip)
        };
        for r in &refused {
            let line = parsed.lines.get(r.index).copied().unwrap_or(0);
            parsed.reject(line, r.error.clone());
        }
        let outcome = if batch.is_empty() {
            Outcome::default()
        } else {
            stream
                .submit(&batch, self.engine.now_ms())
                .await
                .map_err(|e| IngestError::Unavailable(e.to_string()))?
        };
        self.metrics
            .record_batch(outcome.accepted, outcome.duplicates, parsed.rejected);
        Ok(Reply {
            accepted: outcome.accepted,
            duplicates: outcome.duplicates,
            rejected: parsed.rejected,
            errors: parsed.errors,
        })
    }

    /// `submit`, then wait until the log holds it as the fsync mode promises.
    pub async fn submit_durable(
        &self,
        body: &[u8],
        content_type: Option<&str>,
    ) -> Result<Reply, IngestError> {
        if let Some(stream) = self.log().stream() {
            return self
                .submit_to_stream(stream, body, content_type, self.arrival())
                .await;
        }
        let s = self.submit(body, content_type)?;
        if let Some(ticket) = s.durable_at {
            ticket.wait().await.map_err(IngestError::Unavailable)?;
        }
        Ok(s.reply)
    }

    /// Cluster mode, one message of the bus source (docs/operations.md,
    /// Reading the order bus): framed, validated, capped and published
    /// exactly as an HTTP body, but parsed at `received_ms` — when the
    /// source stream stored the message — so a redelivered message parses
    /// to the same events (an event without `ts` gets that time, not the
    /// time of this delivery) and publishes to the same message ids; and
    /// every rejected line is listed, for the dead letters.
    pub async fn submit_message(
        &self,
        body: &[u8],
        content_type: Option<&str>,
        received_ms: i64,
    ) -> Result<Reply, IngestError> {
        let Some(stream) = self.log().stream() else {
            return Err(IngestError::Unavailable(
                "the bus source needs cluster mode".into(),
            ));
        };
        let arrival = Arrival {
            now_ms: received_ms,
            max_listed: usize::MAX,
        };
        self.submit_to_stream(stream, body, content_type, arrival)
            .await
    }
}

/// When a body arrived (the time an event without `ts` gets, and what the
/// future bound is measured from) and how many line errors its reply lists.
#[derive(Debug, Clone, Copy)]
struct Arrival {
    now_ms: i64,
    max_listed: usize,
}

/// Whether a content type asks for one JSON value (docs/api.md, Framing).
pub fn is_json(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        ct.trim()
            .to_ascii_lowercase()
            .starts_with("application/json")
    })
}
