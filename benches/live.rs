//! Live push: the cost of one tick (versions + build + serialise), of a
//! catch-up frame, and of a snapshot.
//!
//! `cargo bench --bench live` — the demo sale after 200,000 events (50
//! stores, 2,000 SKUs), and a large one (10,000 stores, 100,000 SKUs, all
//! touched), each with one unfiltered topic: the work the tick task does
//! every 250 ms under the engine lock, plus serialisation. `catch_up_*`
//! builds the frame since 40 ticks ago that a screen which missed them is
//! sent, the last 40 batches of events having come one per tick. Before
//! timing, each tick bench prints the bytes of one busy tick (5,000 events
//! since the one before, SKU lists included), of a catch-up and of a
//! snapshot, per top-level field: where a frame's bytes go
//! (docs/performance.md, Bytes per frame).

use std::sync::Arc;

use divan::Bencher;
use warroom::clock::ManualClock;
use warroom::config::ServerConfig;
use warroom::demo::{DemoOptions, demo_config};
use warroom::engine::Engine;
use warroom::ingest::Ingest;
use warroom::live::{self, Filter, Frame, FrameAt, Versions};
use warroom::metrics::HttpMetrics;
use warroom::sim::{Traffic, TrafficOptions, demo_catalog};

const NOW: i64 = 1_794_326_400_000;

fn main() {
    divan::main();
}

/// Ticks a catch-up frame is built over.
const GAP: u64 = 40;

/// An engine after `events` demo events over `stores` stores and `skus`
/// SKUs, its row versions with the last [`GAP`] batches one per tick, and
/// the ingest and the traffic that fed it (to feed it more).
fn engine(stores: usize, skus: usize, events: usize) -> Sale {
    let (cfg, _) = demo_config(
        NOW,
        &DemoOptions {
            rate: 5_000,
            seed: 3,
        },
        ServerConfig::default(),
    );
    let currency = cfg.sale.currency.clone();
    let now = NOW + 600_000;
    let engine = Engine::new(Arc::new(cfg), Arc::new(ManualClock::new(now)));
    let ingest = Ingest::new(engine.clone(), Arc::new(HttpMetrics::default()));
    let catalog = demo_catalog(3, stores, skus);
    let mut traffic = Traffic::new(&catalog, currency, TrafficOptions::default());
    let mut versions = Versions::default();
    let batches = events / 1000;
    let mut seq = 0;
    let mut body = Vec::new();
    for b in 0..batches {
        body.clear();
        traffic.write_batch(
            &mut body,
            1000,
            NOW + (b as i64 * 600_000) / (events as i64 / 1000),
        );
        let _ = ingest.submit(&body, None);
        if b + GAP as usize + 1 >= batches {
            seq += 1;
            let at = now - (GAP - seq.min(GAP)) as i64 * 250;
            engine.read(|st, _| versions.update(st, at, seq, true));
        }
    }
    Sale {
        engine,
        versions,
        ingest,
        traffic,
    }
}

/// What the benches read, and what feeds it.
struct Sale {
    engine: Engine,
    versions: Versions,
    ingest: Ingest,
    traffic: Traffic,
}

/// Prints `what`'s JSON size and each top-level field's share of it.
fn print_bytes(what: &str, json: &str) {
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_str(json) else {
        return;
    };
    let mut sizes: Vec<(usize, String)> = fields
        .iter()
        .map(|(k, v)| (k.len() + 3 + v.to_string().len(), k.clone()))
        .collect();
    sizes.sort_by(|a, b| b.cmp(a));
    let parts: Vec<String> = sizes.iter().map(|(n, k)| format!("{k} {n}")).collect();
    eprintln!("{what}: {} bytes ({})", json.len(), parts.join(", "));
}

/// Prints the bytes of a catch-up over [`GAP`] ticks, of a busy tick (5,000
/// events after the one before) and of a snapshot, unfiltered.
fn report_bytes(name: &str, sale: &mut Sale) {
    let cfg = sale.engine.config().clone();
    let filter = Filter::default();
    let seq = sale.versions.seq();
    let frame = |versions: &Versions, seq: u64, since: u64| {
        let at = FrameAt {
            seq,
            since,
            every_ms: 250,
        };
        let tick = sale
            .engine
            .read(|st, now| live::tick(st, &cfg, versions, now, &filter, at));
        Frame::Tick(&tick).to_json()
    };
    print_bytes(
        &format!("{name}: catch-up"),
        &frame(&sale.versions, seq, seq - GAP),
    );
    let mut body = Vec::new();
    sale.traffic.write_batch(&mut body, 5_000, NOW + 599_000);
    let _ = sale.ingest.submit(&body, None);
    let versions = &mut sale.versions;
    sale.engine
        .read(|st, now| versions.update(st, now, seq + 1, true));
    print_bytes(
        &format!("{name}: tick"),
        &frame(&sale.versions, seq + 1, seq),
    );
    let snap = sale
        .engine
        .read(|st, now| live::snapshot(st, &cfg, now, &filter, seq + 1, Vec::new()));
    print_bytes(
        &format!("{name}: snapshot"),
        &Frame::Snapshot(&snap).to_json(),
    );
}

fn bench_tick(bencher: Bencher, name: &str, mut sale: Sale) {
    report_bytes(name, &mut sale);
    let Sale {
        engine,
        mut versions,
        ..
    } = sale;
    let cfg = engine.config().clone();
    let filter = Filter::default();
    let mut seq = versions.seq();
    bencher.bench_local(|| {
        seq += 1;
        let tick = engine.read(|st, now| {
            versions.update(st, now, seq, true);
            let at = FrameAt {
                seq,
                since: seq - 1,
                every_ms: 250,
            };
            live::tick(st, &cfg, &versions, now, &filter, at)
        });
        serde_json::to_string(&tick).map(|s| s.len())
    });
}

fn bench_catch_up(bencher: Bencher, sale: Sale) {
    let Sale {
        engine, versions, ..
    } = sale;
    let cfg = engine.config().clone();
    let filter = Filter::default();
    let at = FrameAt {
        seq: versions.seq(),
        since: versions.seq() - GAP,
        every_ms: 250,
    };
    bencher.bench_local(|| {
        let tick = engine.read(|st, now| live::tick(st, &cfg, &versions, now, &filter, at));
        serde_json::to_string(&tick).map(|s| s.len())
    });
}

#[divan::bench(sample_count = 50)]
fn catch_up_demo_sale(bencher: Bencher) {
    bench_catch_up(bencher, engine(50, 2_000, 200_000));
}

#[divan::bench(sample_count = 20)]
fn catch_up_large_sale(bencher: Bencher) {
    bench_catch_up(bencher, engine(10_000, 100_000, 300_000));
}

#[divan::bench(sample_count = 50)]
fn tick_demo_sale(bencher: Bencher) {
    bench_tick(bencher, "demo sale", engine(50, 2_000, 200_000));
}

#[divan::bench(sample_count = 20)]
fn tick_large_sale(bencher: Bencher) {
    bench_tick(bencher, "large sale", engine(10_000, 100_000, 300_000));
}

/// Top SKUs and stock warnings over a large catalogue: the once-a-second
/// SKU scan (every tick here) at 1,000,000 SKUs, 1,000,000 events.
#[divan::bench(sample_count = 10)]
fn tick_million_skus(bencher: Bencher) {
    bench_tick(
        bencher,
        "million SKUs",
        engine(10_000, 1_000_000, 1_000_000),
    );
}

#[divan::bench(sample_count = 50)]
fn snapshot_demo_sale(bencher: Bencher) {
    let Sale { engine, .. } = engine(50, 2_000, 200_000);
    let cfg = engine.config().clone();
    let filter = Filter::default();
    bencher.bench_local(|| {
        let snap = engine.read(|st, now| live::snapshot(st, &cfg, now, &filter, 1, Vec::new()));
        serde_json::to_string(&snap).map(|s| s.len())
    });
}
