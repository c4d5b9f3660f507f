//! The log's and the checkpoints' figures on `/metrics`.

use std::sync::atomic::Ordering::Relaxed;

use super::{Storage, Wal};
use crate::metrics::{Exposition, Kind, Report};

impl Report for Storage {
    fn report(&self, out: &mut Exposition) {
        if let Some(wal) = self.wal() {
            report_wal(wal, out);
        }
        let (checkpoints, last_ms) = self.checkpoint_stats();
        out.one(
            "warroom_checkpoints_total",
            Kind::Counter,
            "Checkpoints written since start.",
            checkpoints,
        );
        out.one(
            "warroom_checkpoint_last_seconds",
            Kind::Gauge,
            "Time the last checkpoint took.",
            last_ms as f64 / 1e3,
        );
    }
}

fn report_wal(wal: &Wal, out: &mut Exposition) {
    let w = wal.stats();
    out.one(
        "warroom_wal_bytes_total",
        Kind::Counter,
        "Bytes written to the write-ahead log.",
        w.bytes.load(Relaxed),
    );
    out.one(
        "warroom_wal_fsyncs_total",
        Kind::Counter,
        "fdatasync calls on the write-ahead log.",
        w.syncs.load(Relaxed),
    );
    out.one(
        "warroom_wal_fsync_seconds_total",
        Kind::Counter,
        "Time spent in fdatasync on the write-ahead log.",
        w.sync_us_total.load(Relaxed) as f64 / 1e6,
    );
    out.one(
        "warroom_wal_fsync_max_seconds",
        Kind::Gauge,
        "Longest single fdatasync so far.",
        w.sync_us_max.load(Relaxed) as f64 / 1e6,
    );
    if let Some(room) = wal.room() {
        out.one(
            "warroom_wal_room_bytes",
            Kind::Gauge,
            "Disk space reserved for the log and not yet claimed; ingest answers 503 when a batch does not fit.",
            room,
        );
    }
    out.one(
        "warroom_wal_unwritten_records",
        Kind::Gauge,
        "Records applied (and shown) but not yet written to the log; stays above 0 while the log cannot be written.",
        wal.end().saturating_sub(wal.progress().written),
    );
}
