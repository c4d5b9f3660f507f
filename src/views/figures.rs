//! Derived figures: completion, pace against the plan, projected final GMV.
//!
//! The projection is a run rate corrected by the plan curve: the last 15
//! minutes' GMV divided by the share of the target the plan expected in
//! those 15 minutes gives "the whole sale at the current strength"; the
//! remaining share of that is added to what is already in. It reacts within
//! minutes to an outage or a surge, and it knows the midnight rush will not
//! last (where a straight run rate would promise 24 hours of midnight).
//! Without recent sales it falls back to GMV ÷ expected share so far.

use crate::config::Sale;

/// `value ÷ target` when there is a positive target.
pub fn completion(value: i64, target: Option<i64>) -> Option<f64> {
    target.filter(|t| *t > 0).map(|t| value as f64 / t as f64)
}

/// Completion of `target` ÷ the plan's expected share now; `None` before
/// the plan expects anything.
pub fn pace(sale: &Sale, target: Option<i64>, gmv: i64, now_ms: i64) -> Option<f64> {
    let done = completion(gmv, target)?;
    let expected = sale.plan.share_at(sale.time_share(now_ms));
    (expected > 0.0).then(|| done / expected)
}

/// Projected GMV at the end of the sale (see the module doc); the plan's
/// shape applies to any scope.
pub fn projected_gmv(sale: &Sale, gmv: i64, gmv_15m: i64, now_ms: i64) -> Option<i64> {
    if now_ms < sale.starts_ms {
        return None;
    }
    if now_ms >= sale.ends_ms {
        return Some(gmv);
    }
    let share_now = sale.plan.share_at(sale.time_share(now_ms));
    let share_then = sale.plan.share_at(sale.time_share(now_ms - 15 * 60_000));
    let planned_recent = share_now - share_then;
    let remaining = 1.0 - share_now;
    if planned_recent > 1e-9 && gmv_15m > 0 {
        let whole = gmv_15m as f64 / planned_recent;
        // `as` saturates a float; the sum must too (docs/api.md, Words).
        return Some(gmv.saturating_add((whole * remaining).round() as i64));
    }
    (share_now > 1e-9).then(|| (gmv as f64 / share_now).round() as i64)
}
