//! The sale's burst and decay as numbers (docs/api.md, Shape): a pure
//! function of one scope's per-minute GMV. The views (`shape`) add clock
//! times and the busiest second.
//!
//! Definitions, all in minutes since the sale's start:
//! - the peak minute is the first minute with the highest GMV among the
//!   elapsed minutes (the one in progress included); the curve exists only
//!   once it is complete (a later minute has started) and sold something;
//! - burst = peak-minute GMV ÷ the reference minute: the pre period's
//!   average minute when given, else the median of the elapsed minutes
//!   (zeros count; the mean of the middle two for an even count);
//! - the half-life is `k − peak` for the first complete minute `k` after
//!   the peak from which every complete minute stays below half the peak;
//!   none while the last complete minute is at half the peak or above, or
//!   no complete minute follows the peak;
//! - the first-hour share is minutes 0–59's GMV ÷ all the sale's minutes'.

/// Which minute the burst divides by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reference {
    /// The pre period's average minute.
    Pre,
    /// The median of the sale's elapsed minutes.
    Median,
}

impl Reference {
    pub fn as_str(self) -> &'static str {
        match self {
            Reference::Pre => "pre",
            Reference::Median => "median",
        }
    }
}

/// One scope's curve.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    pub peak_minute: usize,
    pub peak_gmv: i64,
    pub reference: Reference,
    /// Minor units (fractional: an average or a median).
    pub reference_gmv: f64,
    /// `None` when the reference minute sold nothing.
    pub burst: Option<f64>,
    pub half_life_min: Option<usize>,
    pub first_hour_share: Option<f64>,
}

/// The curve of `minutes` (GMV per elapsed minute, the last one possibly
/// in progress), of which the first `complete` are over; `pre_average` is
/// the pre period's average minute when it had sales; `sale_gmv` the GMV
/// of all the sale's minutes.
pub fn curve(
    minutes: &[i64],
    complete: usize,
    pre_average: Option<f64>,
    sale_gmv: i64,
) -> Option<Curve> {
    let complete = complete.min(minutes.len());
    let (peak_minute, peak_gmv) =
        minutes
            .iter()
            .copied()
            .enumerate()
            .fold(None, |best: Option<(usize, i64)>, (m, g)| match best {
                Some((_, b)) if b >= g => best,
                _ => Some((m, g)),
            })?;
    if peak_gmv <= 0 || peak_minute >= complete {
        return None;
    }
    let (reference, reference_gmv) = match pre_average {
        Some(avg) if avg > 0.0 => (Reference::Pre, avg),
        _ => (Reference::Median, median(minutes)),
    };
    // Below half: 2 × gmv < peak, exact in integers.
    let below = |g: i64| g.saturating_mul(2) < peak_gmv;
    let mut k = complete;
    while k > peak_minute + 1 && below(minutes[k - 1]) {
        k -= 1;
    }
    let half_life_min = (k < complete).then_some(k - peak_minute);
    let first_hour = minutes
        .iter()
        .take(60)
        .fold(0i64, |a, g| a.saturating_add(*g));
    Some(Curve {
        peak_minute,
        peak_gmv,
        reference,
        reference_gmv,
        burst: (reference_gmv > 0.0).then(|| peak_gmv as f64 / reference_gmv),
        half_life_min,
        first_hour_share: (sale_gmv > 0).then(|| first_hour as f64 / sale_gmv as f64),
    })
}

/// The median of `v` (0 when empty).
fn median(v: &[i64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_unstable();
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2] as f64
    } else {
        (s[n / 2 - 1] as f64 + s[n / 2] as f64) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2,000 at minute 0, halving every 10 minutes (rounded down).
    fn decaying(n: usize) -> Vec<i64> {
        (0..n)
            .map(|m| (2000.0 * 0.5f64.powf(m as f64 / 10.0)) as i64)
            .collect()
    }

    #[test]
    fn a_spike_over_a_flat_pre_period() {
        let m = decaying(60);
        let c = curve(&m, 59, Some(100.0), m.iter().sum()).expect("curve");
        assert_eq!((c.peak_minute, c.peak_gmv), (0, 2000));
        assert_eq!(c.reference, Reference::Pre);
        assert_eq!(c.burst, Some(20.0));
        // Minute 10 is exactly 1,000 (not below half); 11 is 933.
        assert_eq!(m[10], 1000);
        assert_eq!(c.half_life_min, Some(11));
        assert_eq!(c.first_hour_share, Some(1.0));
    }

    #[test]
    fn without_a_pre_period_the_median_minute_is_the_reference() {
        let m = vec![0, 10, 100, 60, 20, 10, 10];
        let c = curve(&m, 7, None, 210).expect("curve");
        assert_eq!((c.reference, c.reference_gmv), (Reference::Median, 10.0));
        assert_eq!(c.burst, Some(10.0));
        assert_eq!(c.peak_minute, 2);
        assert_eq!(c.half_life_min, Some(2), "60 is not below 50, 20 is");
        let even = curve(&[0, 40, 10, 20], 4, Some(0.0), 70).expect("curve");
        assert_eq!(even.reference_gmv, 15.0, "an empty pre period: the median");
    }

    #[test]
    fn nothing_until_the_peak_minute_is_over() {
        assert_eq!(curve(&[10, 20, 50], 2, None, 80), None, "peak in progress");
        assert_eq!(curve(&[0, 0], 1, None, 0), None, "nothing sold");
        assert_eq!(curve(&[], 0, None, 0), None);
        let c = curve(&[10, 50, 5], 2, None, 65).expect("peak over");
        assert_eq!(c.half_life_min, None, "no complete minute after the peak");
    }

    #[test]
    fn a_late_rebound_resets_the_half_life() {
        let m = vec![100, 20, 20, 60, 20, 10];
        let c = curve(&m, 6, None, 230).expect("curve");
        assert_eq!(c.half_life_min, Some(4));
        let still_high = curve(&m[..4], 4, None, 200).expect("curve");
        assert_eq!(still_high.half_life_min, None);
    }
}
