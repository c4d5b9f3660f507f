//! Where the simulated buyers live: China's 34 province-level divisions
//! weighted by population (`geo::DIVISIONS`), plus a small share abroad.
//!
//! A buyer lives in one place, so a buyer's region is a function of the
//! buyer (a hash), not a fresh draw per order: a region's distinct buyers
//! then behave as a real sale's do. How the region is *written* varies per
//! order, as order systems differ: the two-digit code, the full or short
//! Chinese name, or the English name, all of which the server normalises
//! to the code (docs/api.md, Regions). Cross-border strings are kept by the
//! server as their own regions, so the ledger keeps them as sent.

use std::io::Write;

use super::rng::Rng;
use crate::geo::DIVISIONS;

/// Cross-border destinations, written (and kept by the server) as they are.
pub const CROSS_BORDER: &[&str] = &["Singapore", "US", "Malaysia", "Japan"];
/// Share of buyers who live abroad.
const CROSS_BORDER_SHARE: f64 = 0.012;
/// Ledger slots: the divisions in `DIVISIONS` order, then `CROSS_BORDER`.
pub const REGION_SLOTS: usize = DIVISIONS.len() + CROSS_BORDER.len();

/// The id the server keeps slot `i` under: a division's code, or the
/// cross-border string as sent.
pub fn region_id(slot: usize) -> &'static str {
    match DIVISIONS.get(slot) {
        Some(d) => d.code,
        None => CROSS_BORDER[(slot - DIVISIONS.len()) % CROSS_BORDER.len()],
    }
}

/// Population-weighted region of a buyer.
#[derive(Debug, Clone)]
pub struct Regions {
    cdf: Vec<f64>,
}

impl Default for Regions {
    fn default() -> Regions {
        Regions::new()
    }
}

impl Regions {
    pub fn new() -> Regions {
        let total: f64 = DIVISIONS.iter().map(|d| d.population_m).sum();
        let mut acc = 0.0;
        let cdf = DIVISIONS
            .iter()
            .map(|d| {
                acc += d.population_m / total;
                acc
            })
            .collect();
        Regions { cdf }
    }

    /// The ledger slot of `buyer`'s region.
    pub fn of_buyer(&self, buyer: u64) -> u8 {
        let mut h = Rng::new(buyer ^ 0x005E_ED0F_BE1A_u64);
        let u = h.f64();
        if u < CROSS_BORDER_SHARE {
            return (DIVISIONS.len() + h.below(CROSS_BORDER.len() as u64) as usize) as u8;
        }
        let u = (u - CROSS_BORDER_SHARE) / (1.0 - CROSS_BORDER_SHARE);
        self.cdf.partition_point(|&c| c < u).min(self.cdf.len() - 1) as u8
    }

    /// Writes slot `slot` as a JSON string value, spelt as order systems
    /// do: half as the code, 30 % in Chinese (full or short), 20 % in English.
    pub fn write(out: &mut Vec<u8>, slot: u8, rng: &mut Rng) {
        let Some(d) = DIVISIONS.get(usize::from(slot)) else {
            let _ = write!(out, "\"{}\"", region_id(usize::from(slot)));
            return;
        };
        let name = match rng.below(10) {
            0..5 => d.code,
            5..7 => d.name_zh,
            7 => d.short_zh,
            _ => d.name_en,
        };
        let _ = write!(out, "\"{name}\"");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo;

    #[test]
    fn buyers_spread_by_population_and_every_spelling_normalises_to_the_slot() {
        let r = Regions::new();
        let mut counts = [0u32; REGION_SLOTS];
        for b in 0..200_000 {
            counts[usize::from(r.of_buyer(b))] += 1;
        }
        let slot = |code: &str| DIVISIONS.iter().position(|d| d.code == code).expect("code");
        // Guangdong (126 M) far above Tibet (3.6 M); some abroad.
        assert!(counts[slot("44")] > 20 * counts[slot("54")], "{counts:?}");
        assert!(counts[slot("54")] > 0);
        let abroad: u32 = counts[DIVISIONS.len()..].iter().sum();
        assert!((1_500..3_500).contains(&abroad), "{abroad}");
        assert_eq!(r.of_buyer(42), r.of_buyer(42), "a buyer stays put");

        let mut rng = Rng::new(3);
        for s in 0..REGION_SLOTS as u8 {
            for _ in 0..12 {
                let mut out = Vec::new();
                Regions::write(&mut out, s, &mut rng);
                let text: String = serde_json::from_slice(&out).expect("a JSON string");
                assert_eq!(geo::normalise(&text), region_id(usize::from(s)), "{text}");
            }
        }
    }
}
