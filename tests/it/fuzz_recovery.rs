//! The `recovery` fuzz target's checks (`warroom::storage::probe`) in the
//! stable suite: over its seeds (`tests/fuzz/seeds/recovery/`, and the
//! ones the probe builds) and a few thousand deterministic pseudo-random
//! mutations of them. Any bytes as a log segment, a checkpoint and a key
//! file: recovery never panics, names the damage or recovers, and
//! `--repair` keeps every record that verifies.

use std::path::Path;

use warroom::sim::Rng;
use warroom::storage::probe;

fn seeds() -> Vec<Vec<u8>> {
    let mut out = probe::seeds();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/seeds/recovery");
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut files: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        out.extend(files.iter().filter_map(|p| std::fs::read(p).ok()));
    }
    out
}

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = if out.is_empty() {
            0
        } else {
            rng.below(out.len() as u64) as usize
        };
        match rng.below(6) {
            0 | 1 if !out.is_empty() => out[at] ^= 1 << rng.below(8),
            2 if !out.is_empty() => out[at] = rng.below(256) as u8,
            3 => out.truncate(at.max(1)),
            4 => {
                let n = rng.below(40) as usize;
                let end = (at + n).min(out.len());
                out[at..end].fill(0);
            }
            _ => {
                let extra: Vec<u8> = (0..rng.below(24)).map(|_| rng.below(256) as u8).collect();
                out.splice(at..at, extra);
            }
        }
    }
    out
}

#[test]
fn the_seeds_recover_or_name_their_damage() {
    for seed in seeds() {
        probe::check(&seed);
    }
}

#[test]
fn thousands_of_mutations_never_panic_and_repair_keeps_what_verifies() {
    let seeds = seeds();
    let mut rng = Rng::new(12);
    for i in 0..3_000 {
        let seed = &seeds[i % seeds.len()];
        let input = mutate(&mut rng, seed);
        probe::check(&input);
    }
}

/// The probe's own seeds are committed in `tests/fuzz/seeds/recovery/`
/// and must match what it makes now; after the probe's input format
/// changes, `WARROOM_BLESS_SEEDS=1 cargo test fuzz_recovery` rewrites them.
#[test]
fn committed_seed_files_match_the_probe() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/seeds/recovery");
    let bless = std::env::var_os("WARROOM_BLESS_SEEDS").is_some();
    for (i, seed) in probe::seeds().iter().enumerate() {
        let path = dir.join(format!("seed-{i:02}"));
        if bless {
            std::fs::create_dir_all(&dir).expect("seed dir");
            std::fs::write(&path, seed).expect("write seed");
        }
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == *seed,
            "{} differs from the probe's seed {i}: rewrite with WARROOM_BLESS_SEEDS=1",
            path.display()
        );
    }
}
