//! Clock time for the report and its charts (docs/api.md, Export): every
//! time a reader sees is the wall clock in the sale's zone — `00:30`, not
//! "minute 30" — and a chart's time axis is ticked at round steps picked
//! from its span, so the ticks read like the screen's.

use chrono::{DateTime, Timelike};
use chrono_tz::Tz;

/// Tick steps in minutes, the smallest that gives at most `MAX_TICKS`.
const STEPS: &[i64] = &[1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440];
const MAX_TICKS: i64 = 12;

/// `HH:MM` of `ms` in `tz`.
pub fn hhmm(ms: i64, tz: Tz) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&tz).format("%H:%M").to_string())
        .unwrap_or_default()
}

/// `MM-DD HH:MM` of `ms` in `tz`: for a sale of more than one day.
pub fn day_hhmm(ms: i64, tz: Tz) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&tz).format("%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// The clock label the report uses for `ms`: `HH:MM`, with the date when
/// the sale spans more than one day.
pub fn label(ms: i64, tz: Tz, starts_ms: i64, ends_ms: i64) -> String {
    if ends_ms - starts_ms > 24 * 3_600_000 {
        day_hhmm(ms, tz)
    } else {
        hhmm(ms, tz)
    }
}

/// Epoch ms of an RFC 3339 time (the views' `at` strings).
pub fn parse_ms(at: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// Ticks of a time axis that starts at `starts_ms` and spans `minutes`:
/// offsets in minutes from the start at round clock times (a multiple of
/// the step in the sale's zone), with their labels.
pub fn ticks(starts_ms: i64, minutes: i64, tz: Tz) -> Vec<(f64, String)> {
    let minutes = minutes.max(1);
    let step = STEPS
        .iter()
        .copied()
        .find(|s| minutes / s <= MAX_TICKS)
        .unwrap_or(1440);
    let Some(start) = DateTime::from_timestamp_millis(starts_ms) else {
        return Vec::new();
    };
    let local = start.with_timezone(&tz);
    // Minutes since local midnight, to find the first round clock time.
    let of_day = i64::from(local.hour() * 60 + local.minute());
    let secs = i64::from(local.second());
    let mut first = (step - of_day.rem_euclid(step)) % step;
    if first == 0 && secs > 0 {
        first = step;
    }
    let long = minutes > 24 * 60;
    (0..)
        .map(|i| first + i * step)
        .take_while(|m| *m <= minutes)
        .map(|m| {
            let ms = starts_ms - secs * 1000 + m * 60_000;
            let text = if long && step >= 1440 {
                DateTime::from_timestamp_millis(ms)
                    .map(|t| t.with_timezone(&tz).format("%m-%d").to_string())
                    .unwrap_or_default()
            } else {
                hhmm(ms, tz)
            };
            (m as f64 + secs as f64 / -60.0, text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SH: Tz = chrono_tz::Asia::Shanghai;
    // 2024-11-11 00:00 in Shanghai.
    const MIDNIGHT: i64 = 1_731_254_400_000;

    #[test]
    fn two_hours_tick_every_ten_minutes_on_the_clock() {
        let t = ticks(MIDNIGHT, 120, SH);
        let labels: Vec<&str> = t.iter().map(|x| x.1.as_str()).collect();
        assert_eq!(labels[..3], ["00:00", "00:10", "00:20"]);
        assert_eq!(labels.last().copied(), Some("02:00"));
        assert_eq!(t[1].0, 10.0);
        // Three hours: 15 minutes is the first step with at most 12 ticks.
        assert_eq!(ticks(MIDNIGHT, 180, SH)[1].1, "00:15");
    }

    #[test]
    fn an_odd_start_ticks_at_the_next_round_time() {
        // 20:07 for a day: ticks every two hours from 22:00.
        let t = ticks(MIDNIGHT - 233 * 60_000, 24 * 60, SH);
        assert_eq!(t[0].1, "22:00");
        assert_eq!(t[0].0, 113.0);
        assert!(t.iter().all(|x| x.1.ends_with(":00")));
    }

    #[test]
    fn labels_are_wall_clock_in_the_zone() {
        assert_eq!(hhmm(MIDNIGHT + 12 * 60_000, SH), "00:12");
        assert_eq!(
            label(MIDNIGHT, SH, MIDNIGHT, MIDNIGHT + 3 * 86_400_000),
            "11-11 00:00"
        );
        assert_eq!(
            parse_ms("2024-11-11T00:12:00+08:00"),
            Some(MIDNIGHT + 720_000)
        );
    }
}
