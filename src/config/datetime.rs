//! Date-times in the config (`sale.starts`, `sale.ends`, silences'
//! `until`): RFC 3339 with an offset, or a local time read in the sale's
//! time zone. A local time the zone skips (a DST gap) or has twice (the
//! clocks go back) is refused with that reason, not as "not a date-time".

use chrono::{DateTime, LocalResult, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

use super::error::ConfigError;
use super::raw::SValue;

impl super::build::Builder<'_> {
    /// `v` as epoch milliseconds; `field` names it in errors.
    pub(super) fn datetime(&self, v: &SValue, field: &str, tz: Tz) -> Result<i64, ConfigError> {
        let text = match v.get_ref() {
            toml::Value::String(s) => s.clone(),
            toml::Value::Datetime(d) => d.to_string(),
            _ => return self.err(v.span(), format!("{field}: must be an RFC 3339 date-time")),
        };
        if let Ok(dt) = DateTime::parse_from_rfc3339(&text) {
            return Ok(dt.timestamp_millis());
        }
        // A local time without offset is read in the sale's time zone.
        let local = NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S%.f")
            .or_else(|_| NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f"));
        match local.ok().map(|n| tz.from_local_datetime(&n)) {
            Some(LocalResult::Single(dt)) => Ok(dt.timestamp_millis()),
            Some(LocalResult::None) => self.err(
                v.span(),
                format!("{field}: {text:?} falls in a DST gap in {tz} (the clocks jump over it): pick another time or give an offset"),
            ),
            Some(LocalResult::Ambiguous(a, b)) => self.err(
                v.span(),
                format!(
                    "{field}: {text:?} happens twice in {tz} (the clocks go back): give an offset, {} or {}",
                    a.offset().fix(),
                    b.offset().fix()
                ),
            ),
            None => self.err(
                v.span(),
                format!("{field}: {text:?} is not a date-time (expected e.g. \"2026-11-11T00:00:00+08:00\")"),
            ),
        }
    }
}
