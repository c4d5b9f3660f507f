//! The bus source: consuming what order systems already publish
//! (`[cluster] source`; docs/operations.md, Reading the order bus).
//!
//! Order systems that already publish NDJSON or JSON batches to a
//! JetStream subject need not post them over HTTP: one node at a time —
//! the lease holder — reads that subject with a durable pull consumer,
//! handles each message as an HTTP body (the same framing, rules, caps and
//! publish path, so the figures cannot tell the two apart), sends rejected
//! lines to a dead-letter subject, and acknowledges the message only once
//! its events are in the sale's stream and its dead letters in theirs.
//!
//! **Nothing lost.** A message is acknowledged only after both publishes
//! were acknowledged by their streams; a message that cannot be handled
//! now is put back. A holder that dies with messages in hand never
//! acknowledged them, so the consumer delivers them again after its ack
//! wait, to whichever node then holds the lease.
//!
//! **Nothing doubled.** A message may thus be handled twice — by a holder
//! that died after publishing but before acknowledging, then by the next;
//! or by two nodes that both believed they held the lease for a moment.
//! Handling it again publishes the same events to the same message ids:
//! the ids in `StreamLog::submit` come from the content of the validated
//! batch alone, and the batch is the same because the message is parsed
//! at the time the source stream stored it (an event without `ts` gets
//! that time, and the future bound is measured from it), not at the time
//! of delivery. Within the sale stream's duplicate window (120 s by
//! default, against an ack wait of 15 s) JetStream recognises them and
//! stores nothing; the reply reports them as duplicates. Beyond the window
//! (a cluster stalled for minutes) every order and refund is still
//! recognised by its `(type, id)` key at apply, so nothing is counted
//! twice; only a stock event, which has no id, would be applied again —
//! setting the same level once more. (One thing can make a second handling
//! differ: a first-sight cap refusing a line the first time and not the
//! second, once the entity exists; that line is then counted once, as it
//! should have been.) Dead letters carry ids made of the source stream,
//! sequence and line, so each rejected line is dead-lettered once too.
//!
//! **Order.** Messages are handled in the order the consumer delivers
//! them, one at a time. A message put back comes again before later ones
//! (those of its fetch are put back after it, in order). Around a takeover
//! by a holder's death, the messages it held come back after the ack wait,
//! possibly after newer ones; orders and refunds do not depend on order,
//! a stock level may be overtaken by an older one.
//!
//! - `reader` — the task: lease, consumer, fetch, acknowledgement.
//! - `message` — one message: decode, submit, dead letters.
//! - `dead_letter` — the dead-letter stream and messages.
//! - `status` — the state and counters for status and `/metrics`.
mod dead_letter;
mod message;
mod reader;
mod status;

pub use dead_letter::{
    ERROR, LINE, NODE, SOURCE_SEQ, SOURCE_STREAM, SOURCE_SUBJECT, TRUNCATED, header_value,
};
pub use reader::{RECHECK, ack_wait, consumer_name, start};
pub use status::{SourceState, SourceStats, SourceStatus, SourceView};
