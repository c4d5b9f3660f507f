//! Live frames on the wire: what `permessage-deflate` costs and saves at
//! each compression level, on frames recorded from the demo.
//!
//! `cargo bench --bench deflate` — `benches/data/frames.ndjson` holds one
//! frame a line, recorded from `warroom demo --rate 20000` a few seconds
//! after midnight: an unfiltered hello, snapshot, six ticks and two
//! alerts, then a one-store (`?stores=s0001`) snapshot and four ticks.
//! Each benchmark compresses one kind of frame at one level the way the
//! server does (`live::deflate`); the sizes are printed once before the
//! timings (docs/performance.md, "Live frames on the wire").

use warroom::live::deflate;

const FRAMES: &str = include_str!("data/frames.ndjson");

/// Frames of one kind: `all` (unfiltered) or `store`, `tick` or `snapshot`.
fn frames(kind: &str) -> Vec<&'static str> {
    let (scope, ty) = kind.split_once('_').unwrap_or((kind, ""));
    let snapshots = FRAMES
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(r#""type":"snapshot""#))
        .map(|(i, _)| i)
        .collect::<Vec<_>>();
    let store_from = snapshots.get(1).copied().unwrap_or(usize::MAX);
    FRAMES
        .lines()
        .enumerate()
        .filter(|(i, _)| (scope == "store") == (*i >= store_from))
        .filter(|(_, l)| l.contains(&format!(r#""type":"{ty}""#)))
        .map(|(_, l)| l)
        .collect()
}

const KINDS: [&str; 4] = ["all_tick", "all_snapshot", "store_tick", "store_snapshot"];
const LEVELS: [u32; 4] = [1, 3, 6, 9];

fn main() {
    println!("kind            frames  plain B   level: compressed B (ratio)");
    for kind in KINDS {
        let fs = frames(kind);
        let plain: usize = fs.iter().map(|f| f.len()).sum::<usize>() / fs.len().max(1);
        let mut line = format!("{kind:<15} {:>6} {plain:>8}  ", fs.len());
        for level in LEVELS {
            let packed: usize = fs
                .iter()
                .map(|f| deflate(f.as_bytes(), level).map_or(f.len(), |d| d.len()))
                .sum::<usize>()
                / fs.len().max(1);
            line.push_str(&format!(
                " {level}: {packed} ({:.1}×)",
                plain as f64 / packed.max(1) as f64
            ));
        }
        println!("{line}");
    }
    divan::main();
}

#[divan::bench(args = KINDS, consts = [1, 3, 6, 9], sample_count = 50)]
fn compress<const LEVEL: u32>(bencher: divan::Bencher, kind: &str) {
    let fs = frames(kind);
    let mut i = 0;
    bencher.bench_local(|| {
        i = (i + 1) % fs.len();
        deflate(fs[i].as_bytes(), LEVEL)
    });
}
