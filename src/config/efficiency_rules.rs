//! The thresholds of the efficiency alert rules — `roi_low`,
//! `budget_ahead`, `conversion_drop` — read from `[alerts.rules]` and
//! checked (docs/api.md, Alerts → `[alerts.rules]`).
//!
//! They live apart from the older rules' thresholds because they come as a
//! family (each rule has a window, a minimum that keeps it quiet on thin
//! data, and a threshold), and so the `[alerts]` reader stays one screen.
//! As for every rule, a threshold of 0 turns the rule off.

use serde::{Deserialize, Serialize};

use super::alerts::RawRules;
use super::error::ConfigError;
use crate::money::Currency;

/// The longest window a rule may look back over: a day of minutes. The
/// rules sum their windows every second under the engine lock, so the
/// window is bounded (the timeline walks only the chunks that exist, but
/// a day is already more than any war room acts on).
pub const MAX_WINDOW_MINUTES: i64 = 1440;

/// Thresholds of the efficiency rules; 0 turns a rule off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EfficiencyRules {
    /// A channel's or campaign's GMV ÷ spend over the window below this.
    pub roi_below: f64,
    /// The ROI window: this many whole minutes before the current one.
    pub roi_window_minutes: i64,
    /// ROI is judged only once the scope spent at least this much (minor
    /// units) in the window.
    pub roi_min_spend: i64,
    /// Spend ÷ budget above the plan's share × (1 + this).
    pub budget_ahead: f64,
    /// Conversion over the window below this share of the baseline's.
    pub conversion_drop: f64,
    pub conversion_window_minutes: i64,
    /// The baseline: this many whole minutes before the window.
    pub conversion_baseline_minutes: i64,
    /// Visitors the window must have for the rule to judge.
    pub conversion_min_visitors: i64,
    /// The window's visitors per minute at least this share of the
    /// baseline's: traffic still arrives.
    pub conversion_min_traffic: f64,
}

impl EfficiencyRules {
    /// Defaults for a real sale; `scale` is the currency's minor units per
    /// major unit.
    pub fn defaults(scale: i64) -> EfficiencyRules {
        EfficiencyRules {
            roi_below: 1.0,
            roi_window_minutes: 30,
            roi_min_spend: 1000 * scale,
            budget_ahead: 0.2,
            conversion_drop: 0.5,
            conversion_window_minutes: 5,
            conversion_baseline_minutes: 30,
            conversion_min_visitors: 500,
            conversion_min_traffic: 0.5,
        }
    }
}

impl super::build::Builder<'_> {
    /// The efficiency keys of `[alerts.rules]` onto `out`.
    pub(super) fn efficiency_rules(
        &self,
        r: &RawRules,
        out: &mut EfficiencyRules,
        cur: &Currency,
    ) -> Result<(), ConfigError> {
        for (v, field, slot) in [
            (&r.roi_below, "roi_below", &mut out.roi_below),
            (&r.budget_ahead, "budget_ahead", &mut out.budget_ahead),
            (
                &r.conversion_drop,
                "conversion_drop",
                &mut out.conversion_drop,
            ),
            (
                &r.conversion_min_traffic,
                "conversion_min_traffic",
                &mut out.conversion_min_traffic,
            ),
        ] {
            if let Some(x) = v {
                if !(*x.get_ref() >= 0.0 && x.get_ref().is_finite()) {
                    return self.err(
                        x.span(),
                        format!(
                            "alerts.rules.{field}: must be a number ≥ 0 (0 turns the rule off)"
                        ),
                    );
                }
                *slot = *x.get_ref();
            }
        }
        for (v, field, slot) in [
            (
                &r.roi_window_minutes,
                "roi_window_minutes",
                &mut out.roi_window_minutes,
            ),
            (
                &r.conversion_window_minutes,
                "conversion_window_minutes",
                &mut out.conversion_window_minutes,
            ),
            (
                &r.conversion_baseline_minutes,
                "conversion_baseline_minutes",
                &mut out.conversion_baseline_minutes,
            ),
        ] {
            if let Some(x) = v {
                if !(0..=MAX_WINDOW_MINUTES).contains(x.get_ref()) {
                    return self.err(
                        x.span(),
                        format!(
                            "alerts.rules.{field}: must be whole minutes from 0 to {MAX_WINDOW_MINUTES} (0 turns the rule off)"
                        ),
                    );
                }
                *slot = *x.get_ref();
            }
        }
        if let Some(x) = &r.conversion_min_visitors {
            if *x.get_ref() < 0 {
                return self.err(
                    x.span(),
                    "alerts.rules.conversion_min_visitors: must be ≥ 0",
                );
            }
            out.conversion_min_visitors = *x.get_ref();
        }
        if let Some(v) = &r.roi_min_spend {
            let spend = self
                .opt_amount(Some(v), "alerts.rules.roi_min_spend", cur)?
                .unwrap_or(0);
            if spend < 0 {
                return self.err(v.span(), "alerts.rules.roi_min_spend: must be ≥ 0");
            }
            out.roi_min_spend = spend;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    const BASE: &str = r#"
[sale]
name = "s"
currency = "CNY"
timezone = "Asia/Shanghai"
starts = "2026-11-11T00:00:00+08:00"
ends = "2026-11-12T00:00:00+08:00"

[alerts.rules]
roi_below = 1.5
roi_window_minutes = 60
roi_min_spend = "2500.50"
budget_ahead = 0.3
conversion_drop = 0.4
conversion_window_minutes = 10
conversion_baseline_minutes = 60
conversion_min_visitors = 2000
conversion_min_traffic = 0.6
"#;

    #[test]
    fn the_keys_are_read_and_checked() {
        let cfg = crate::config::parse_str(BASE, "s.toml", Path::new(".")).expect("valid");
        let e = &cfg.alerts.rules.efficiency;
        assert_eq!(
            (
                e.roi_below,
                e.roi_window_minutes,
                e.roi_min_spend,
                e.budget_ahead
            ),
            (1.5, 60, 250_050, 0.3)
        );
        assert_eq!(
            (
                e.conversion_drop,
                e.conversion_window_minutes,
                e.conversion_baseline_minutes,
                e.conversion_min_visitors,
                e.conversion_min_traffic
            ),
            (0.4, 10, 60, 2000, 0.6)
        );
        let defaults = crate::config::parse_str(
            &BASE.replace("[alerts.rules]", "[alerts.other]"),
            "s.toml",
            Path::new("."),
        );
        assert!(defaults.is_err(), "unknown tables are refused");
        let none = BASE.split("[alerts.rules]").next().unwrap_or_default();
        let cfg = crate::config::parse_str(none, "s.toml", Path::new(".")).expect("valid");
        assert_eq!(
            cfg.alerts.rules.efficiency,
            super::EfficiencyRules::defaults(100)
        );
        for (from, to, want) in [
            (
                "roi_below = 1.5",
                "roi_below = -1",
                "alerts.rules.roi_below",
            ),
            (
                "roi_below = 1.5",
                "roi_below = nan",
                "alerts.rules.roi_below",
            ),
            (
                "roi_window_minutes = 60",
                "roi_window_minutes = 1441",
                "alerts.rules.roi_window_minutes: must be whole minutes from 0 to 1440",
            ),
            (
                "roi_min_spend = \"2500.50\"",
                "roi_min_spend = \"lots\"",
                "alerts.rules.roi_min_spend",
            ),
            (
                "conversion_min_visitors = 2000",
                "conversion_min_visitors = -1",
                "alerts.rules.conversion_min_visitors",
            ),
            (
                "conversion_baseline_minutes = 60",
                "conversion_baseline_minutes = -5",
                "alerts.rules.conversion_baseline_minutes",
            ),
            (
                "budget_ahead = 0.3",
                "budget_ahead = inf",
                "alerts.rules.budget_ahead",
            ),
        ] {
            let bad = BASE.replace(from, to);
            let err = crate::config::parse_str(&bad, "s.toml", Path::new(".")).expect_err(want);
            assert!(err.message.contains(want) && err.line.is_some(), "{err}");
        }
    }
}
