//! Ratios as the screens get them: rounded to [`RATIO_DIGITS`] significant
//! digits when a live frame is serialised (docs/api.md, Live frames).
//!
//! A ratio computed in `f64` prints with 16–19 digits
//! (`0.0036242407983281505`); a screen shows three or four, and every digit
//! goes to every screen several times a second. Significant digits rather
//! than decimals, so a share of 0.004 % (`4e-5`) is still told from 0. The
//! figures themselves are not changed: the API (`/api/v1/*`) and the export
//! serialise the same rows at full precision; only live frames go through
//! the helpers here (`#[serde(serialize_with = …)]` on the frames' fields).

use serde::{Serialize, Serializer};

use super::efficiency::{BudgetFigures, Efficiency};
use super::rows::{ChannelRow, RowFigures, SkuRow, StoreRow};
use super::summary::Totals;

/// Significant digits of a ratio in a live frame.
pub const RATIO_DIGITS: i32 = 4;

/// `x` to [`RATIO_DIGITS`] significant digits (`0.0036242…` → `0.003624`,
/// `1.23456` → `1.235`, `12345.6` → `12350`); 0 and non-finite as they are.
/// A ratio just short of 1 stays short of it (`0.99996` → `0.9999`): 1 is
/// the line a screen draws as "target reached", and rounding must not
/// cross it.
pub fn round_ratio(x: f64) -> f64 {
    let y = round_digits(x);
    if x < 1.0 && y >= 1.0 { 0.9999 } else { y }
}

fn round_digits(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let exp = x.abs().log10().floor() as i32;
    let shift = RATIO_DIGITS - 1 - exp;
    // Beyond ~1e300 the scale itself overflows; nothing that small is shown.
    if shift > 300 {
        return x;
    }
    // Powers of ten up to 1e22 are exact, so the quotient is the double
    // nearest the rounded decimal and prints as that short decimal.
    if shift >= 0 {
        let scale = 10f64.powi(shift);
        (x * scale).round() / scale
    } else {
        let scale = 10f64.powi(-shift);
        (x / scale).round() * scale
    }
}

/// `serialize_with` for an optional ratio.
pub fn ratio<S: Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    x.map(round_ratio).serialize(s)
}

/// A view row or totals whose ratios a live frame rounds.
pub trait ScreenRounded: Serialize + Clone {
    /// A copy with every ratio rounded ([`round_ratio`]).
    fn rounded(&self) -> Self;
}

fn r(x: Option<f64>) -> Option<f64> {
    x.map(round_ratio)
}

impl ScreenRounded for Totals {
    fn rounded(&self) -> Totals {
        Totals {
            units_per_order: r(self.units_per_order),
            margin: r(self.margin),
            profit_completion: r(self.profit_completion),
            completion: r(self.completion),
            pace: r(self.pace),
            vs_baseline: r(self.vs_baseline),
            efficiency: self.efficiency.rounded(),
            ..self.clone()
        }
    }
}

impl Efficiency {
    pub fn rounded(&self) -> Efficiency {
        Efficiency {
            conversion: r(self.conversion),
            roi: r(self.roi),
            cost_to_sales: r(self.cost_to_sales),
            budget: self.budget.map(|b| BudgetFigures {
                budget_used: r(b.budget_used),
                budget_plan: round_ratio(b.budget_plan),
                ..b
            }),
            ..*self
        }
    }
}

impl RowFigures {
    fn rounded(&self) -> RowFigures {
        RowFigures {
            completion: r(self.completion),
            profit_completion: r(self.profit_completion),
            efficiency: self.efficiency.rounded(),
            ..self.clone()
        }
    }
}

impl ScreenRounded for ChannelRow {
    fn rounded(&self) -> ChannelRow {
        ChannelRow {
            figures: self.figures.rounded(),
            ..self.clone()
        }
    }
}

impl ScreenRounded for StoreRow {
    fn rounded(&self) -> StoreRow {
        StoreRow {
            figures: self.figures.rounded(),
            ..self.clone()
        }
    }
}

impl ScreenRounded for SkuRow {
    fn rounded(&self) -> SkuRow {
        SkuRow {
            completion: r(self.completion),
            ..self.clone()
        }
    }
}

/// `serialize_with` for totals or one row, ratios rounded.
pub fn rounded<T: ScreenRounded, S: Serializer>(t: &T, s: S) -> Result<S::Ok, S::Error> {
    t.rounded().serialize(s)
}

/// `serialize_with` for a list of rows, ratios rounded.
pub fn rounded_rows<T: ScreenRounded, S: Serializer>(rows: &[T], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(rows.iter().map(ScreenRounded::rounded))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_keep_four_significant_digits() {
        assert_eq!(round_ratio(0.0036242407983281505), 0.003624);
        assert_eq!(round_ratio(0.53124999), 0.5312);
        assert_eq!(round_ratio(1.23456), 1.235);
        assert_eq!(round_ratio(12345.6), 12350.0);
        assert_eq!(round_ratio(-0.1234567), -0.1235);
        assert_eq!(round_ratio(0.0), 0.0);
        assert_eq!(round_ratio(1.0), 1.0);
        assert_eq!(round_ratio(f64::INFINITY), f64::INFINITY);
        assert_eq!(round_ratio(1e-310), 1e-310);
    }

    #[test]
    fn just_short_of_the_target_is_not_rounded_onto_it() {
        assert_eq!(round_ratio(0.99996), 0.9999);
        assert_eq!(round_ratio(0.99994), 0.9999);
        assert_eq!(round_ratio(1.0), 1.0);
        assert_eq!(round_ratio(1.00004), 1.0);
    }

    #[test]
    fn a_tiny_share_is_not_zero() {
        // 0.004 % of a target: the screen must tell it from nothing.
        assert_eq!(round_ratio(0.000_040_123), 0.000_040_12);
        assert_eq!(round_ratio(7.0 / 1e9), 7e-9);
    }

    #[test]
    fn rounded_ratios_print_short() {
        for x in [
            0.1234567,
            0.987654321,
            2.345678,
            0.000123456789,
            3.0 / 7.0,
            1e-9 / 3.0,
        ] {
            let text = serde_json::to_string(&round_ratio(x)).expect("json");
            let mantissa = text.split(['e', 'E']).next().unwrap_or_default();
            let digits = mantissa
                .chars()
                .filter(char::is_ascii_digit)
                .skip_while(|&c| c == '0')
                .count();
            assert!(digits <= 4, "{x} prints as {text}");
        }
    }
}
