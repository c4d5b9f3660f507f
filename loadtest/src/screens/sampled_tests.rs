//! A sampled screen's reading of frames, plain and compressed, and its
//! bounded memory.

use flate2::{Compress, Compression};

use super::*;
use crate::stats::new_histogram;
use crate::ws::inflate::tests::compress;
use crate::ws::walker::Walker;

fn shared() -> Arc<Shared> {
    Arc::new(Shared {
        e2s: Mutex::new(new_histogram()),
        lag: Mutex::new(new_histogram()),
        counting: std::sync::atomic::AtomicBool::new(true),
    })
}

fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    if payload.len() < 126 {
        out.push(payload.len() as u8);
    } else {
        out.push(127);
        out.extend_from_slice(&(payload.len() as u64).to_be_bytes());
    }
    out.extend_from_slice(payload);
    out
}

#[test]
fn frames_by_type_latency_and_skipped_ticks() {
    let log = Arc::new(BatchLog::with_base(1_000));
    let sent = Instant::now();
    log.push(0, 50);
    log.mark_sent(0, sent);
    log.push(1, 120);
    log.mark_sent(1, sent);
    let shared = shared();
    let mut s = Sample::new(log, shared.clone(), None, 1 << 20);
    let mut w = Walker::new(false);
    for text in [
        r#"{"type":"hello","server_time_ms":1}"#,
        r#"{"type":"snapshot","seq":10,"events_applied":1000,"server_time_ms":1,"totals":{"gmv":1}}"#,
        r#"{"type":"tick","seq":11,"events_applied":1060,"server_time_ms":1}"#,
        r#"{"type":"alert","event":"fire","server_time_ms":1}"#,
        r#"{"type":"tick","seq":14,"events_applied":1120,"server_time_ms":1}"#,
        r#"{"type":"catch_up","seq":15,"server_time_ms":1}"#,
        "not json",
    ] {
        w.feed(&frame(0x81, text.as_bytes()), &mut s)
            .expect("frame");
    }
    let c = s.counts;
    assert_eq!(
        (c.hello, c.snapshot, c.tick, c.alert, c.other, c.unreadable),
        (1, 1, 2, 1, 1, 1)
    );
    assert_eq!(c.seq_skipped, 2, "11 → 14");
    assert_eq!(shared.e2s.lock().len(), 2, "each batch once, when covered");
    assert_eq!(shared.lag.lock().len(), 6);
    assert_eq!(c.wire_bytes, c.text_bytes);
}

#[test]
fn compressed_frames_are_inflated_before_reading() {
    let shared = shared();
    let mut s = Sample::new(Arc::new(BatchLog::default()), shared, Some(true), 1 << 20);
    let mut w = Walker::new(true);
    let text = format!(
        r#"{{"type":"snapshot","seq":3,"events_applied":0,"server_time_ms":1,"stores":[{}]}}"#,
        vec![r#"{"id":"s0001","gmv":123456}"#; 200].join(",")
    );
    for _ in 0..2 {
        // No context takeover: each message compressed on its own.
        let wire = compress(
            &mut Compress::new(Compression::default(), false),
            text.as_bytes(),
        );
        let bytes = frame(0xC1, &wire);
        // Split inside the header and inside the payload.
        w.feed(&bytes[..1], &mut s).expect("piece");
        w.feed(&bytes[1..40], &mut s).expect("piece");
        w.feed(&bytes[40..], &mut s).expect("piece");
    }
    let c = s.counts;
    assert_eq!((c.snapshot, c.unreadable), (2, 0));
    assert_eq!(
        c.text_bytes,
        2 * text.len() as u64,
        "inflated to the very text"
    );
    assert!(c.wire_bytes * 10 < c.text_bytes);
}

#[test]
fn a_message_over_the_limit_is_counted_not_kept() {
    let mut s = Sample::new(Arc::new(BatchLog::default()), shared(), None, 64 * 1024);
    let mut w = Walker::new(false);
    let big = frame(0x81, &vec![b' '; 1 << 20]);
    for piece in big.chunks(4096) {
        w.feed(piece, &mut s).expect("piece");
        assert!(s.msg.capacity() <= 64 * 1024, "never past the limit");
    }
    w.feed(&frame(0x81, br#"{"type":"tick","seq":1}"#), &mut s)
        .expect("next");
    assert_eq!((s.counts.unreadable, s.counts.tick), (1, 1));
    assert_eq!(w.payload_bytes, (1 << 20) + 23);
}
