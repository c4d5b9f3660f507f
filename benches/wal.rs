//! The write-ahead log: appending a 1,000-event record, and waiting for it
//! to be written (`interval`) or synced (`always`), one request at a time
//! (the worst case: no other request to share the group commit with).
//!
//! `cargo bench --bench wal`

use divan::Bencher;
use divan::counter::{BytesCount, ItemsCount};
use warroom::config::FsyncMode;
use warroom::ingest::{Rules, parse};
use warroom::money::Currency;
use warroom::sim::{Traffic, TrafficOptions, demo_catalog};
use warroom::storage::{self, Wal};

const NOW: i64 = 1_794_326_400_000;

fn main() {
    divan::main();
}

/// One realistic record: 1,000 demo events, encoded as the log stores them.
fn record() -> Vec<u8> {
    let catalog = demo_catalog(1, 50, 2000);
    let cur = Currency::from_code("CNY").expect("CNY");
    let mut traffic = Traffic::new(&catalog, cur.clone(), TrafficOptions::default());
    let mut body = Vec::new();
    traffic.write_batch(&mut body, 1000, NOW);
    let rules = Rules::new(&cur, NOW + 1000);
    let parsed = parse(&body, false, &rules).expect("parse");
    let mut out = Vec::new();
    storage::encode_record(&parsed.batch, &mut out);
    out
}

fn bench(bencher: Bencher, mode: FsyncMode, wait: bool) {
    let dir = tempfile::tempdir().expect("tempdir");
    let wal = Wal::open(dir.path(), 1, mode).expect("open");
    let rec = record();
    bencher
        .counter(ItemsCount::new(1000usize))
        .counter(BytesCount::new(rec.len()))
        .bench_local(|| {
            let lsn = wal.append(&rec);
            if wait {
                loop {
                    let p = wal.progress();
                    let done = match mode {
                        FsyncMode::Always => p.synced >= lsn,
                        FsyncMode::Interval => p.written >= lsn,
                    };
                    if done {
                        break;
                    }
                    std::thread::yield_now();
                }
            }
            lsn
        });
    wal.close();
}

#[divan::bench(sample_count = 40)]
fn append_only(bencher: Bencher) {
    bench(bencher, FsyncMode::Interval, false);
}

#[divan::bench(sample_count = 40)]
fn append_and_write_interval(bencher: Bencher) {
    bench(bencher, FsyncMode::Interval, true);
}

#[divan::bench(sample_count = 20, sample_size = 20)]
fn append_and_sync_always(bencher: Bencher) {
    bench(bencher, FsyncMode::Always, true);
}
