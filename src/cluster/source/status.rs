//! What the bus source is doing on this node, and its figures: the state
//! shown in `/api/v1/cluster` (each node's heartbeat carries it) and the
//! counters on `/metrics`.
//!
//! The handle exists on every cluster node from the start (the heartbeat
//! and `/metrics` hold it before the reader runs); a node without
//! `[cluster] source` keeps it `off` and reports nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::metrics::{Exposition, Kind, Report};

/// Where the source reader is.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceState {
    /// No `[cluster] source`.
    #[default]
    Off,
    /// Looking for the source stream, its consumer and the dead-letter stream.
    Starting,
    /// Another node holds the lease and reads the source.
    Standby,
    /// This node holds the lease and reads the source.
    Reading,
    /// The source cannot be read now (`error` says why); checked again
    /// every few seconds. The node serves everything else meanwhile.
    Unavailable,
}

/// The source as one node sees it (`/api/v1/cluster`, `nodes[].source`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SourceView {
    pub state: SourceState,
    /// The subject read (`[cluster] source`).
    pub subject: String,
    /// The stream that holds it, once found.
    pub stream: Option<String>,
    /// The durable consumer on that stream.
    pub consumer: String,
    /// Where rejected lines go.
    pub dead_letter: String,
    /// Why the state is `unavailable`.
    pub error: Option<String>,
    /// Messages handled and acknowledged by this node.
    pub messages: u64,
    /// Lines this node sent to the dead-letter subject.
    pub dead_letters: u64,
}

/// The source's counters on this node.
#[derive(Debug, Default)]
pub struct SourceStats {
    /// Messages handled and acknowledged.
    pub messages: AtomicU64,
    /// Events accepted into the sale's stream from the source.
    pub events: AtomicU64,
    /// Events that were duplicates (already counted).
    pub duplicates: AtomicU64,
    /// Rejected lines (and whole messages) sent to the dead-letter subject.
    pub dead_letters: AtomicU64,
    /// Messages delivered more than once (a takeover, a retry, a lost ack).
    pub redeliveries: AtomicU64,
    /// Messages put back for later because the stream could not take them.
    pub retries: AtomicU64,
}

#[derive(Default)]
struct Inner {
    view: Mutex<SourceView>,
    stats: SourceStats,
    node: Mutex<String>,
}

/// Cloneable handle to the source's state on this node.
#[derive(Clone, Default)]
pub struct SourceStatus {
    inner: Arc<Inner>,
}

impl SourceStatus {
    /// Names what is read and where rejects go; the state becomes `starting`.
    pub fn configure(&self, node: &str, subject: &str, consumer: &str, dead_letter: &str) {
        *self.inner.node.lock() = node.to_string();
        let mut v = self.inner.view.lock();
        v.state = SourceState::Starting;
        v.subject = subject.to_string();
        v.consumer = consumer.to_string();
        v.dead_letter = dead_letter.to_string();
    }

    pub fn stats(&self) -> &SourceStats {
        &self.inner.stats
    }

    /// Moves to `state` (clearing any error); true if it changed.
    pub fn set(&self, state: SourceState) -> bool {
        let mut v = self.inner.view.lock();
        let changed = v.state != state;
        v.state = state;
        v.error = None;
        changed
    }

    /// The source cannot be read: true if the reason is new (log it once).
    pub fn unavailable(&self, reason: &str) -> bool {
        let mut v = self.inner.view.lock();
        let new = v.state != SourceState::Unavailable || v.error.as_deref() != Some(reason);
        v.state = SourceState::Unavailable;
        v.error = Some(reason.to_string());
        new
    }

    /// The source stream, once found.
    pub fn found(&self, stream: &str) {
        self.inner.view.lock().stream = Some(stream.to_string());
    }

    pub fn state(&self) -> SourceState {
        self.inner.view.lock().state.clone()
    }

    /// The view for status (`None`: no source configured).
    pub fn view(&self) -> Option<SourceView> {
        let mut v = self.inner.view.lock().clone();
        if v.state == SourceState::Off {
            return None;
        }
        v.messages = self.inner.stats.messages.load(Relaxed);
        v.dead_letters = self.inner.stats.dead_letters.load(Relaxed);
        Some(v)
    }
}

impl Report for SourceStatus {
    fn report(&self, out: &mut Exposition) {
        let state = self.state();
        if state == SourceState::Off {
            return;
        }
        let node = self.inner.node.lock().clone();
        let labels = [("node", node.as_str())];
        let name = "warroom_source_reading";
        out.family(
            name,
            Kind::Gauge,
            "1 while this node holds the lease and reads the bus source ([cluster] source).",
        );
        out.labelled(name, &labels, u64::from(state == SourceState::Reading));
        let name = "warroom_source_unavailable";
        out.family(
            name,
            Kind::Gauge,
            "1 while the bus source cannot be read (no stream holds its subject, or its consumer fails).",
        );
        out.labelled(name, &labels, u64::from(state == SourceState::Unavailable));
        let s = &self.inner.stats;
        let counters = [
            (
                "warroom_source_messages_total",
                "Bus source messages this node handled and acknowledged.",
                &s.messages,
            ),
            (
                "warroom_source_events_total",
                "Events from the bus source this node accepted into the sale's stream.",
                &s.events,
            ),
            (
                "warroom_source_duplicate_events_total",
                "Events from the bus source that were already counted.",
                &s.duplicates,
            ),
            (
                "warroom_source_dead_letters_total",
                "Rejected lines (and unreadable messages) this node sent to the dead-letter subject.",
                &s.dead_letters,
            ),
            (
                "warroom_source_redeliveries_total",
                "Bus source messages delivered to this node more than once (a takeover, a retry, a lost acknowledgement).",
                &s.redeliveries,
            ),
            (
                "warroom_source_retries_total",
                "Bus source messages put back because the sale's stream could not take them then.",
                &s.retries,
            ),
        ];
        for (name, help, v) in counters {
            out.family(name, Kind::Counter, help);
            out.labelled(name, &labels, v.load(Relaxed));
        }
    }
}
