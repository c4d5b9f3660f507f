//! The sale's identity as every view repeats it, and time formatting.

use chrono::{DateTime, SecondsFormat};
use chrono_tz::Tz;
use serde::Serialize;

use crate::config::Sale;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SaleInfo {
    pub name: String,
    pub currency: String,
    pub starts: String,
    pub ends: String,
    pub timezone: String,
    pub target: Option<i64>,
}

impl SaleInfo {
    pub fn of(sale: &Sale) -> SaleInfo {
        SaleInfo {
            name: sale.name.clone(),
            currency: sale.currency.code.clone(),
            starts: fmt_time(sale.starts_ms, sale.timezone),
            ends: fmt_time(sale.ends_ms, sale.timezone),
            timezone: sale.timezone.name().to_string(),
            target: sale.target,
        }
    }
}

/// Epoch ms as RFC 3339 in `tz`, with milliseconds only when they are not 0.
pub fn fmt_time(ms: i64, tz: Tz) -> String {
    let Some(t) = DateTime::from_timestamp_millis(ms) else {
        return String::new();
    };
    let fmt = if ms % 1000 == 0 {
        SecondsFormat::Secs
    } else {
        SecondsFormat::Millis
    };
    t.with_timezone(&tz).to_rfc3339_opts(fmt, false)
}
