//! Live push: the cost of one tick (build + serialise) and of a snapshot.
//!
//! `cargo bench --bench live` — the demo sale after 200,000 events (50
//! stores, 2,000 SKUs), and a large one (10,000 stores, 100,000 SKUs, all
//! touched), each with one unfiltered topic: the work the tick task does
//! every 250 ms under the engine lock, plus serialisation. Before timing,
//! each tick bench prints the bytes of one busy tick (5,000 events since the
//! one before, SKU lists included) and of a snapshot, per top-level field:
//! where a tick's bytes go (docs/performance.md, Bytes per frame).

use std::sync::Arc;

use divan::Bencher;
use warroom::clock::ManualClock;
use warroom::config::ServerConfig;
use warroom::demo::{DemoOptions, demo_config};
use warroom::engine::Engine;
use warroom::ingest::Ingest;
use warroom::live::{self, Diff, Filter, Frame, TickContext};
use warroom::metrics::HttpMetrics;
use warroom::sim::{Traffic, TrafficOptions, demo_catalog};

const NOW: i64 = 1_794_326_400_000;

fn main() {
    divan::main();
}

/// An engine after `events` demo events over `stores` stores and `skus`
/// SKUs, with the ingest and the traffic that fed it (to feed it more).
fn engine(stores: usize, skus: usize, events: usize) -> (Engine, Ingest, Traffic) {
    let (cfg, _) = demo_config(
        NOW,
        &DemoOptions {
            rate: 5_000,
            seed: 3,
        },
        ServerConfig::default(),
    );
    let currency = cfg.sale.currency.clone();
    let engine = Engine::new(Arc::new(cfg), Arc::new(ManualClock::new(NOW + 600_000)));
    let ingest = Ingest::new(engine.clone(), Arc::new(HttpMetrics::default()));
    let catalog = demo_catalog(3, stores, skus);
    let mut traffic = Traffic::new(&catalog, currency, TrafficOptions::default());
    let mut body = Vec::new();
    for b in 0..events / 1000 {
        body.clear();
        traffic.write_batch(
            &mut body,
            1000,
            NOW + (b as i64 * 600_000) / (events as i64 / 1000),
        );
        let _ = ingest.submit(&body, None);
    }
    (engine, ingest, traffic)
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

/// Prints the bytes of a busy tick (5,000 events after the one before) and
/// of a snapshot, unfiltered.
fn report_bytes(name: &str, engine: &Engine, ingest: &Ingest, traffic: &mut Traffic) {
    let cfg = engine.config().clone();
    let filter = Filter::default();
    let mut diff = Diff::default();
    engine.read(|st, now| {
        let ctx = TickContext::new(st, now, &mut diff, true);
        live::tick(st, &cfg, &ctx, &filter, 1)
    });
    let mut body = Vec::new();
    traffic.write_batch(&mut body, 5_000, NOW + 599_000);
    let _ = ingest.submit(&body, None);
    let tick = engine.read(|st, now| {
        let ctx = TickContext::new(st, now, &mut diff, true);
        live::tick(st, &cfg, &ctx, &filter, 2)
    });
    print_bytes(&format!("{name}: tick"), &Frame::Tick(&tick).to_json());
    let snap = engine.read(|st, now| live::snapshot(st, &cfg, now, &filter, 2, Vec::new()));
    print_bytes(
        &format!("{name}: snapshot"),
        &Frame::Snapshot(&snap).to_json(),
    );
}

fn bench_tick(
    bencher: Bencher,
    name: &str,
    (engine, ingest, mut traffic): (Engine, Ingest, Traffic),
) {
    report_bytes(name, &engine, &ingest, &mut traffic);
    let engine = &engine;
    let cfg = engine.config().clone();
    let filter = Filter::default();
    let mut diff = Diff::default();
    let mut seq = 0;
    bencher.bench_local(|| {
        seq += 1;
        let tick = engine.read(|st, now| {
            let ctx = TickContext::new(st, now, &mut diff, true);
            live::tick(st, &cfg, &ctx, &filter, seq)
        });
        serde_json::to_string(&tick).map(|s| s.len())
    });
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
    let (engine, _, _) = engine(50, 2_000, 200_000);
    let cfg = engine.config().clone();
    let filter = Filter::default();
    bencher.bench_local(|| {
        let snap = engine.read(|st, now| live::snapshot(st, &cfg, now, &filter, 1, Vec::new()));
        serde_json::to_string(&snap).map(|s| s.len())
    });
}
