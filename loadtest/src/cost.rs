//! What the load test itself costs: its CPU seconds and its peak memory,
//! from `/proc/self`, so a reader sees the generator is not what was
//! measured.
//!
//! CPU is `utime + stime` of `/proc/self/stat` in clock ticks of 1/100 s
//! (Linux's `USER_HZ`, 100 on every architecture); peak memory is `VmHWM`
//! of `/proc/self/status`. Elsewhere than Linux both read as unknown.

use std::time::Instant;

use serde::Serialize;

/// A reading of the process's CPU time, and when.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    cpu: Option<f64>,
    at: Instant,
}

/// CPU used between two marks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Used {
    pub cpu_seconds: f64,
    pub wall_seconds: f64,
    /// Of one core (200 % is two cores busy).
    pub cpu_percent: f64,
}

pub fn mark() -> Mark {
    Mark {
        cpu: std::fs::read_to_string("/proc/self/stat")
            .ok()
            .and_then(|s| cpu_seconds(&s)),
        at: Instant::now(),
    }
}

impl Mark {
    pub fn since(&self, earlier: &Mark) -> Used {
        let wall = self.at.duration_since(earlier.at).as_secs_f64();
        let cpu = match (self.cpu, earlier.cpu) {
            (Some(a), Some(b)) => (a - b).max(0.0),
            _ => 0.0,
        };
        Used {
            cpu_seconds: cpu,
            wall_seconds: wall,
            cpu_percent: if wall > 0.0 { 100.0 * cpu / wall } else { 0.0 },
        }
    }
}

/// `utime + stime` in seconds from a `/proc/<pid>/stat` line.
fn cpu_seconds(stat: &str) -> Option<f64> {
    // The command name may hold spaces and parentheses: fields count from
    // after its last `)`; there `state` is the first and utime the 12th.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// The most resident memory the process has had, in bytes.
pub fn max_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| {
        let kb: u64 = l
            .strip_prefix("VmHWM:")?
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()?;
        Some(kb * 1024)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_from_a_stat_line_with_an_awkward_name() {
        let line = "4242 (load (test) x) R 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 8 0";
        assert_eq!(cpu_seconds(line), Some(3.0));
        assert!(mark().cpu.is_some(), "this is Linux");
        assert!(max_rss().is_some_and(|b| b > 0));
    }
}
