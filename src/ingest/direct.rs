//! Batches the server made itself — the war-room log's notes and their
//! deletions — submitted through the same path as a request's events:
//! logged before the reply (or, in cluster mode, published to the stream
//! and applied when it comes back), applied in log order, so they are
//! recovered and replayed exactly as orders are (docs/api.md, War-room log
//! (notes)). No caps apply: notes create no store, channel or SKU.

use super::{Ingest, IngestError};
use crate::event::Batch;
use crate::storage;

impl Ingest {
    /// Logs and applies `batch`, and waits until the log holds it as the
    /// fsync mode promises (cluster mode: until the stream acknowledged it
    /// and this node applied it). Returns how many events were applied.
    pub async fn submit_batch(&self, batch: &Batch<'_>) -> Result<usize, IngestError> {
        if !self.is_ready() {
            return Err(IngestError::NotReady);
        }
        let log = self.log();
        if let Some(e) = log.unavailable() {
            return Err(IngestError::Unavailable(format!(
                "storage unavailable: {e}"
            )));
        }
        if let Some(stream) = log.stream() {
            let outcome = stream
                .submit(batch, self.engine.now_ms())
                .await
                .map_err(|e| IngestError::Unavailable(e.to_string()))?;
            return Ok(outcome.accepted);
        }
        let mut record = Vec::new();
        if log.is_durable() {
            storage::encode_record(batch, &mut record);
        }
        let claim = log
            .reserve(record.len())
            .map_err(IngestError::Unavailable)?;
        let (applied, ticket) = self.engine.apply_and(batch, |applied, now| {
            storage::stamp_record(&mut record, now);
            log.append(&record, claim, applied.accepted > 0)
        });
        if let Some(ticket) = ticket {
            ticket.wait().await.map_err(IngestError::Unavailable)?;
        }
        Ok(applied.accepted)
    }
}
