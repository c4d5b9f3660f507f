//! `[sale] observe_before` / `observe_after`: how long before the start and
//! after the end the sale's days around it are watched (docs/api.md,
//! Configuration, `[sale]`). A span is a whole number and a unit — `30m`,
//! `12h`, `7d` — from 0 to 31 days; kept in milliseconds.

use super::model::MAX_SALE_MS;
use super::raw::SValue;
use crate::config::ConfigError;

/// Why a span is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadSpan {
    #[error("{0:?} is not a span (use a whole number and m, h or d, such as \"7d\" or \"12h\")")]
    Shape(String),
    #[error("{0:?} is longer than 31 days")]
    TooLong(String),
}

/// `"7d"` → 604 800 000 ms.
pub fn parse_span(text: &str) -> Result<i64, BadSpan> {
    let t = text.trim();
    let shape = || BadSpan::Shape(text.to_string());
    let unit_at = t.len().checked_sub(1).ok_or_else(shape)?;
    let (num, unit) = t.split_at(unit_at);
    let per = match unit {
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(shape()),
    };
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
        return Err(shape());
    }
    let n: i64 = num
        .parse()
        .map_err(|_| BadSpan::TooLong(text.to_string()))?;
    match n.checked_mul(per) {
        Some(ms) if ms <= MAX_SALE_MS => Ok(ms),
        _ => Err(BadSpan::TooLong(text.to_string())),
    }
}

impl super::build::Builder<'_> {
    /// An optional span key of `[sale]`; `field` names it in errors.
    pub(super) fn opt_span(
        &self,
        v: Option<&SValue>,
        field: &str,
    ) -> Result<Option<i64>, ConfigError> {
        let Some(v) = v else { return Ok(None) };
        let toml::Value::String(s) = v.get_ref() else {
            return self.err(v.span(), format!("{field}: must be a span such as \"7d\""));
        };
        match parse_span(s) {
            Ok(ms) => Ok(Some(ms)),
            Err(e) => self.err(v.span(), format!("{field}: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_in_minutes_hours_and_days() {
        assert_eq!(parse_span("30m"), Ok(1_800_000));
        assert_eq!(parse_span("12h"), Ok(43_200_000));
        assert_eq!(parse_span("7d"), Ok(604_800_000));
        assert_eq!(parse_span("0d"), Ok(0));
        assert_eq!(parse_span("31d"), Ok(MAX_SALE_MS));
    }

    #[test]
    fn odd_spans_are_refused() {
        for bad in ["", "d", "7", "7w", "-1d", "1.5d", "7 d"] {
            assert!(matches!(parse_span(bad), Err(BadSpan::Shape(_))), "{bad}");
        }
        assert!(matches!(parse_span("32d"), Err(BadSpan::TooLong(_))));
        assert!(matches!(
            parse_span("99999999999999999999d"),
            Err(BadSpan::TooLong(_))
        ));
    }
}
