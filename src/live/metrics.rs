//! The live hub's figures on `/metrics`: screens, topics, frames, catch-ups,
//! frame rates, ticks, and the bytes the sockets sent, plain and compressed.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use super::LiveStats;
use crate::metrics::{Exposition, Kind, Report};

impl Report for LiveStats {
    fn report(&self, out: &mut Exposition) {
        let l = |a: &AtomicU64| a.load(Relaxed);
        let counters: [(&str, Kind, &str, &AtomicU64); 13] = [
            (
                "warroom_live_screens",
                Kind::Gauge,
                "Connected live screens.",
                &self.screens,
            ),
            (
                "warroom_live_topics",
                Kind::Gauge,
                "Distinct screen filters built each tick.",
                &self.topics,
            ),
            (
                "warroom_live_frames_sent_total",
                Kind::Counter,
                "Tick frames sent to screens (regular and catch-up; snapshots apart).",
                &self.frames_sent,
            ),
            (
                "warroom_live_frames_skipped_total",
                Kind::Counter,
                "Ticks whose changes slow screens got coalesced in a catch-up frame.",
                &self.frames_skipped,
            ),
            (
                "warroom_live_snapshots_total",
                Kind::Counter,
                "Snapshots sent to screens (one per connection).",
                &self.snapshots_sent,
            ),
            (
                "warroom_live_snapshots_built_total",
                Kind::Counter,
                "Snapshots built (at most one per tick and filter).",
                &self.snapshots_built,
            ),
            (
                "warroom_live_ticks_total",
                Kind::Counter,
                "Ticks run by the live hub.",
                &self.ticks,
            ),
            (
                "warroom_live_catch_ups_total",
                Kind::Counter,
                "Catch-up frames sent to screens that missed frames.",
                &self.catch_ups_sent,
            ),
            (
                "warroom_live_catch_ups_built_total",
                Kind::Counter,
                "Catch-up frames built (at most one per publish, filter and gap).",
                &self.catch_ups_built,
            ),
            (
                "warroom_live_topics_slowed",
                Kind::Gauge,
                "Topics published less often than every tick.",
                &self.topics_slowed,
            ),
            (
                "warroom_live_max_stride",
                Kind::Gauge,
                "The most ticks between two frames of one topic now.",
                &self.max_stride,
            ),
            (
                "warroom_live_topics_deferred_total",
                Kind::Counter,
                "Due topics the build budget left to the next tick.",
                &self.topics_deferred,
            ),
            (
                "warroom_live_snapshot_bytes",
                Kind::Gauge,
                "Size of the last snapshot built in bytes.",
                &self.last_snapshot_bytes,
            ),
        ];
        for (name, kind, help, v) in counters {
            out.one(name, kind, help, l(v));
        }
        out.one(
            "warroom_live_tick_build_seconds",
            Kind::Gauge,
            "Time to build and serialise the last tick's frames.",
            l(&self.last_build_us) as f64 / 1e6,
        );
        out.one(
            "warroom_live_frames_offered_per_second",
            Kind::Gauge,
            "Frames a second offered to all screens at their topics' rates.",
            l(&self.offered_milli_fps) as f64 / 1e3,
        );
        out.one(
            "warroom_live_tick_bytes",
            Kind::Gauge,
            "Size of the last unfiltered tick frame in bytes.",
            l(&self.last_tick_bytes),
        );
        let wire = &self.wire;
        let bytes = "warroom_live_bytes_sent_total";
        out.family(
            bytes,
            Kind::Counter,
            "Message bytes sent to screens, by encoding (deflate: compressed with permessage-deflate).",
        );
        out.labelled(bytes, &[("encoding", "plain")], l(&wire.plain_bytes));
        out.labelled(bytes, &[("encoding", "deflate")], l(&wire.deflate_bytes));
        out.one(
            "warroom_live_frames_compressed_total",
            Kind::Counter,
            "Frames compressed for permessage-deflate screens (once per frame, shared by its screens).",
            l(&wire.compressions),
        );
        out.one(
            "warroom_live_screens_deflate",
            Kind::Gauge,
            "Connected live screens that negotiated permessage-deflate.",
            l(&wire.deflate_screens),
        );
    }
}
