//! When each batch is due: the rate profile, integrated and inverted.

use crate::args::Profile;

/// Events the profile sends in the first `t` seconds of a `d`-second run.
pub fn events_until(profile: Profile, rate: f64, d: f64, t: f64) -> f64 {
    let t = t.clamp(0.0, d);
    match profile {
        Profile::Flat => rate * t,
        Profile::Ramp => rate * t * t / (2.0 * d),
        Profile::MidnightSpike => {
            let tau = (d / 6.0).max(1e-3);
            rate * (0.15 * t + 0.85 * tau * (1.0 - (-t / tau).exp()))
        }
    }
}

/// Seconds after the start at which event number `n` is due, or `None`
/// when the run ends first.
pub fn due(profile: Profile, rate: f64, d: f64, n: f64) -> Option<f64> {
    if n > events_until(profile, rate, d, d) {
        return None;
    }
    let (mut lo, mut hi) = (0.0, d);
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        if events_until(profile, rate, d, mid) < n {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_inverts_the_integral() {
        for p in [Profile::Flat, Profile::Ramp, Profile::MidnightSpike] {
            let t = due(p, 1000.0, 10.0, 2500.0).expect("inside the run");
            assert!(
                (events_until(p, 1000.0, 10.0, t) - 2500.0).abs() < 1e-3,
                "{p:?}"
            );
        }
        assert_eq!(due(Profile::Flat, 1000.0, 10.0, 1e9), None);
        assert!((due(Profile::Flat, 1000.0, 10.0, 5000.0).unwrap_or(0.0) - 5.0).abs() < 1e-6);
    }
}
