//! Ingest hot path: parse + apply realistic NDJSON batches of 1,000 events.
//!
//! `cargo bench --bench ingest` — divan prints time per batch and
//! throughput in items (events) per second, on one core. Batches come from
//! the demo's traffic model (multi-item orders, ~2 % refunds, duplicates,
//! prices as numbers and strings); each iteration takes the next batch so
//! ids stay fresh and the engine's sets grow as in a real sale. The
//! `*_full_mix` cases send the war room's whole mix instead: orders with
//! regions (95 %) and campaigns (50 %), a traffic line per ~20 orders and
//! a spend line per ~200 (`TrafficOptions::full_mix`, the load test's
//! default); the other cases keep the orders-only mix, so their figures
//! compare with earlier builds'.

use std::cell::Cell;
use std::sync::Arc;

use divan::Bencher;
use divan::counter::ItemsCount;
use warroom::clock::ManualClock;
use warroom::config::ServerConfig;
use warroom::demo::{DemoOptions, demo_config};
use warroom::engine::{Engine, State};
use warroom::ingest::{Ingest, Rules, parse};
use warroom::metrics::HttpMetrics;
use warroom::sim::{Traffic, TrafficOptions};

const BATCH: usize = 1_000;
const SAMPLES: u32 = 40;
const PER_SAMPLE: u32 = 25;
const NOW: i64 = 1_794_326_400_000;

fn main() {
    divan::main();
}

fn setup() -> (Ingest, Vec<Vec<u8>>) {
    setup_with(TrafficOptions::default())
}

fn setup_with(traffic_opts: TrafficOptions) -> (Ingest, Vec<Vec<u8>>) {
    let opts = DemoOptions {
        rate: 5_000,
        seed: 7,
    };
    let (cfg, catalog) = demo_config(NOW, &opts, ServerConfig::default());
    let currency = cfg.sale.currency.clone();
    let engine = Engine::new(Arc::new(cfg), Arc::new(ManualClock::new(NOW + 60_000)));
    let mut traffic = Traffic::new(&catalog, currency, traffic_opts);
    let batches = (0..(SAMPLES * PER_SAMPLE) as usize + 50)
        .map(|i| {
            let mut body = Vec::with_capacity(BATCH * 220);
            traffic.write_batch(&mut body, BATCH, NOW + i as i64 * 50);
            body
        })
        .collect();
    (
        Ingest::new(engine, Arc::new(HttpMetrics::default())),
        batches,
    )
}

/// Parse, validate and apply: the whole of `POST /api/v1/events` but HTTP.
#[divan::bench(sample_count = SAMPLES, sample_size = PER_SAMPLE)]
fn parse_and_apply(bencher: Bencher) {
    let (ingest, batches) = setup();
    let next = Cell::new(0usize);
    bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
        let i = next.get();
        next.set(i + 1);
        ingest.submit(&batches[i % batches.len()], Some("application/x-ndjson"))
    });
}

/// The whole path with the war room's whole mix (regions, campaigns,
/// traffic and spend lines).
#[divan::bench(sample_count = SAMPLES, sample_size = PER_SAMPLE)]
fn parse_and_apply_full_mix(bencher: Bencher) {
    let (ingest, batches) = setup_with(TrafficOptions::default().full_mix());
    let next = Cell::new(0usize);
    bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
        let i = next.get();
        next.set(i + 1);
        ingest.submit(&batches[i % batches.len()], Some("application/x-ndjson"))
    });
}

/// Apply only, the whole mix.
#[divan::bench(sample_count = SAMPLES, sample_size = PER_SAMPLE)]
fn apply_only_full_mix(bencher: Bencher) {
    let (ingest, batches) = setup_with(TrafficOptions::default().full_mix());
    bench_apply(bencher, &ingest, &batches);
}

/// Parse and validate only, for comparison: what apply adds is the difference.
#[divan::bench(sample_count = SAMPLES, sample_size = PER_SAMPLE)]
fn parse_only(bencher: Bencher) {
    let (ingest, batches) = setup();
    let currency = ingest.engine().sale().currency.clone();
    let next = Cell::new(0usize);
    bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
        let i = next.get();
        next.set(i + 1);
        let rules = Rules::new(&currency, NOW + 60_000);
        parse(&batches[i % batches.len()], false, &rules).map(|p| p.batch.len())
    });
}

/// Apply only, on batches parsed beforehand: the engine's share of the work.
#[divan::bench(sample_count = SAMPLES, sample_size = PER_SAMPLE)]
fn apply_only(bencher: Bencher) {
    let (ingest, batches) = setup();
    bench_apply(bencher, &ingest, &batches);
}

/// Parses `batches` first, then times applying them one after another.
fn bench_apply(bencher: Bencher, ingest: &Ingest, batches: &[Vec<u8>]) {
    let currency = ingest.engine().sale().currency.clone();
    let rules = Rules::new(&currency, NOW + 60_000);
    let parsed: Vec<_> = batches
        .iter()
        .filter_map(|b| parse(b, false, &rules).ok())
        .collect();
    let next = Cell::new(0usize);
    bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
        let i = next.get();
        next.set(i + 1);
        ingest.engine().apply(&parsed[i % parsed.len()].batch)
    });
}

/// Keys already held before `apply_big_sale` starts: half a minute at a
/// million events a second.
const HELD_KEYS: u64 = 30_000_000;

/// Apply only, into a sale already holding 30 M idempotency keys (1 GB of
/// table): every key probe misses the cache, as late in a record sale.
#[divan::bench(sample_count = SAMPLES, sample_size = PER_SAMPLE)]
fn apply_big_sale(bencher: Bencher) {
    let (ingest, batches) = setup();
    let mut state = State::new(ingest.engine().config());
    let mut x = 0x9E37_79B9_7F4A_7C15_u64;
    let held: Vec<u128> = (0..HELD_KEYS)
        .map(|_| {
            // splitmix64, twice: well-spread 128-bit keys like xxh3's.
            let mut next = || {
                x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = x;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^ (z >> 31)
            };
            u128::from(next()) << 64 | u128::from(next())
        })
        .collect();
    state.load_keys(&held);
    drop(held);
    ingest.engine().replace_state(state);
    bench_apply(bencher, &ingest, &batches);
}
