//! Ingest: request bodies in, validated batches applied to the engine.
//!
//! [`Ingest::submit`] is the one path every event takes — HTTP `POST
//! /api/v1/events`, the demo's simulator, and later the log replay — so
//! parsing, the §2 rules and the reply are the same for all of them. Parsing
//! runs on the caller's thread without any lock; only the apply step enters
//! the engine.

mod body;
mod raw;
mod validate;

use std::sync::Arc;

pub use body::{BodyError, LineError, MAX_LISTED_ERRORS, Parsed, parse};
pub use validate::{MAX_FUTURE_MS, Rules};

use crate::engine::Engine;
use crate::metrics::Metrics;

/// The reply to one ingest request (contract §2).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reply {
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: usize,
    pub errors: Vec<LineError>,
}

/// The ingest handle: parses, applies, counts.
#[derive(Clone)]
pub struct Ingest {
    engine: Engine,
    metrics: Arc<Metrics>,
}

impl Ingest {
    pub fn new(engine: Engine, metrics: Arc<Metrics>) -> Ingest {
        Ingest { engine, metrics }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Parses `body` and applies its valid events in order.
    pub fn submit(&self, body: &[u8], content_type: Option<&str>) -> Result<Reply, BodyError> {
        let json = content_type.is_some_and(|ct| {
            let ct = ct.trim().to_ascii_lowercase();
            ct.starts_with("application/json")
        });
        let rules = Rules {
            currency: &self.engine.sale().currency,
            now_ms: self.engine.now_ms(),
        };
        let parsed = match parse(body, json, &rules) {
            Ok(p) => p,
            Err(e) => {
                self.metrics.record_bad_body();
                return Err(e);
            }
        };
        let applied = self.engine.apply(&parsed.batch);
        self.metrics
            .record_batch(applied.accepted, applied.duplicates, parsed.rejected);
        Ok(Reply {
            accepted: applied.accepted,
            duplicates: applied.duplicates,
            rejected: parsed.rejected,
            errors: parsed.errors,
        })
    }
}
