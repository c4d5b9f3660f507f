//! Cluster mode's figures on `/metrics`: where this node is in the stream,
//! how publishing goes, and how fast it applies and caught up.

use std::sync::atomic::Ordering::Relaxed;

use super::StreamLog;
use crate::metrics::{Exposition, Kind, Report};

impl Report for StreamLog {
    fn report(&self, out: &mut Exposition) {
        let p = self.progress();
        let pos = p.position(chrono::Utc::now().timestamp_millis());
        let node = self.link().node.as_str();
        let gauges: [(&str, &str, u64); 4] = [
            (
                "warroom_cluster_applied_seq",
                "The last stream sequence this node applied.",
                pos.seq,
            ),
            (
                "warroom_cluster_pending_records",
                "Records known to be in the stream and not yet applied here.",
                pos.pending,
            ),
            (
                "warroom_cluster_lag_seconds",
                "Age of the newest applied record while records are pending (0 at the stream's end).",
                pos.lag_ms / 1000,
            ),
            (
                "warroom_cluster_ready",
                "1 once this node caught up and applies, 0 while catching up or stopped.",
                u64::from(!pos.catching_up && pos.halted.is_none()),
            ),
        ];
        for (name, help, v) in gauges {
            out.family(name, Kind::Gauge, help);
            out.labelled(name, &[("node", node)], v);
        }
        let s = self.stats();
        let f = self.follow_stats();
        let counters = [
            (
                "warroom_cluster_published_batches_total",
                "Batches this node published.",
                s.batches.load(Relaxed),
            ),
            (
                "warroom_cluster_published_messages_total",
                "Stream messages this node published (a batch over the max payload is split).",
                s.messages.load(Relaxed),
            ),
            (
                "warroom_cluster_duplicate_acks_total",
                "Messages the stream acknowledged as duplicates (a client's retry).",
                s.duplicate_acks.load(Relaxed),
            ),
            (
                "warroom_cluster_resends_total",
                "Messages sent again after a failed or unanswered attempt (a new stream leader being elected); the stream stores each once.",
                s.resends.load(Relaxed),
            ),
            (
                "warroom_cluster_ack_failures_total",
                "Publishes not acknowledged in time or refused (the client got 503).",
                s.ack_failures.load(Relaxed),
            ),
            (
                "warroom_cluster_apply_timeouts_total",
                "Acknowledged batches this node did not apply in time (503; a retry is deduplicated).",
                s.apply_timeouts.load(Relaxed),
            ),
            (
                "warroom_cluster_applied_records_total",
                "Stream records applied on this node.",
                f.records.load(Relaxed),
            ),
            (
                "warroom_cluster_applied_events_total",
                "Events in the stream records applied on this node.",
                f.events.load(Relaxed),
            ),
            (
                "warroom_cluster_consumers_total",
                "Stream consumers created (start, reconnects, leader changes).",
                f.consumers.load(Relaxed),
            ),
        ];
        for (name, help, v) in counters {
            out.family(name, Kind::Counter, help);
            out.labelled(name, &[("node", node)], v);
        }
        out.one(
            "warroom_cluster_catchup_events_per_second",
            Kind::Gauge,
            "Events per second of this node's last catch-up with the stream (0 before it finished).",
            f.catchup_events_per_s.load(Relaxed),
        );
        let name = "warroom_cluster_publish_seconds";
        out.family(
            name,
            Kind::Histogram,
            "Time from publishing a batch to its acknowledgement (stage=ack) and to its apply on this node (stage=applied).",
        );
        s.acked.render(out.raw(), name, "stage=\"ack\"");
        s.applied.render(out.raw(), name, "stage=\"applied\"");
        self.source().report(out);
    }
}
