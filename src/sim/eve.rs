//! The hours before the demo's midnight (`[sale] observe_before`): orders
//! at a usual day's pace that sags as buyers hold off for the start — the
//! dip a review looks for when it asks whether the sale pulled demand
//! forward. The demo backfills them when it starts, stamped in the past.

/// Hours of the pre period the demo watches.
pub const EVE_HOURS: i64 = 3;
/// Seconds per backfilled slice (one batch each).
pub const EVE_SLICE_S: i64 = 10;
/// A usual hour's pace, as a share of the midnight peak's events/s.
const USUAL_SHARE: f64 = 0.02;

/// Events per second `before_s` seconds before the start, for a peak of
/// `peak` events/s: the usual pace three hours out, falling to 40 % of it
/// in the last hour.
pub fn eve_rate(peak: f64, before_s: f64) -> f64 {
    let hours = (before_s / 3600.0).clamp(0.0, EVE_HOURS as f64);
    let sag = 0.4 + 0.6 * (hours / EVE_HOURS as f64);
    peak * USUAL_SHARE * sag
}

/// The backfill's slices: `(slice start ms, events)`, oldest first, the
/// fractions carried so the total is the rate's integral.
pub fn eve_slices(peak: f64, starts_ms: i64) -> Vec<(i64, usize)> {
    let n = EVE_HOURS * 3600 / EVE_SLICE_S;
    let mut carry = 0.0;
    (0..n)
        .map(|i| {
            let at = starts_ms - (n - i) * EVE_SLICE_S * 1000;
            let before_s = ((n - i) * EVE_SLICE_S) as f64 - EVE_SLICE_S as f64 / 2.0;
            let want = eve_rate(peak, before_s) * EVE_SLICE_S as f64 + carry;
            let k = want.floor();
            carry = want - k;
            (at, k as usize)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eve_sags_towards_midnight_and_stays_inside_the_period() {
        assert!(eve_rate(1000.0, 10_000.0) > 2.0 * eve_rate(1000.0, 60.0));
        let slices = eve_slices(1000.0, 1_000_000_000);
        assert_eq!(slices.len() as i64, EVE_HOURS * 360);
        assert_eq!(slices[0].0, 1_000_000_000 - EVE_HOURS * 3_600_000);
        let last = slices.last().map_or(0, |s| s.0);
        assert!(last + EVE_SLICE_S * 1000 <= 1_000_000_000);
        let first_hour: usize = slices[..360].iter().map(|s| s.1).sum();
        let last_hour: usize = slices[slices.len() - 360..].iter().map(|s| s.1).sum();
        assert!(last_hour * 3 < first_hour * 2, "{first_hour} → {last_hour}");
    }
}
