//! The server's own view of the screens: `/metrics` of every node, read
//! before and after a run, summed over the nodes.
//!
//! `warroom_live_frames_sent_total` counts every tick or catch-up frame a
//! screen was sent, `warroom_live_snapshots_total` every snapshot (on
//! joining and on catching up), `warroom_live_catch_ups_total` — where the
//! server has it — the catch-up frames that replace snapshots; the
//! `warroom_live_screens` gauge is how many sockets are open. A node whose
//! metrics cannot be read leaves the whole view out (a partial sum would
//! mislead).

use serde::Serialize;

use crate::nodes::Nodes;

/// Counters summed over the nodes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LiveCounters {
    pub frames_sent: u64,
    pub snapshots: u64,
    /// Absent from servers that do not count catch-up frames.
    pub catch_ups: Option<u64>,
    pub screens: u64,
}

impl LiveCounters {
    /// What happened between `before` and `self` (the gauge as it is now).
    pub fn since(&self, before: &LiveCounters) -> LiveCounters {
        LiveCounters {
            frames_sent: self.frames_sent.saturating_sub(before.frames_sent),
            snapshots: self.snapshots.saturating_sub(before.snapshots),
            catch_ups: match (self.catch_ups, before.catch_ups) {
                (Some(a), Some(b)) => Some(a.saturating_sub(b)),
                _ => None,
            },
            screens: self.screens,
        }
    }

    /// Snapshots as a share of the frames sent (0–1).
    pub fn snapshot_share(&self) -> Option<f64> {
        (self.frames_sent > 0).then(|| self.snapshots as f64 / self.frames_sent as f64)
    }
}

/// One metric's value in a Prometheus text page (unlabelled series only).
pub fn metric(text: &str, name: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let v: f64 = l
            .strip_prefix(name)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()?;
        Some(v as u64)
    })
}

fn parse(text: &str) -> LiveCounters {
    LiveCounters {
        frames_sent: metric(text, "warroom_live_frames_sent_total").unwrap_or(0),
        snapshots: metric(text, "warroom_live_snapshots_total").unwrap_or(0),
        catch_ups: metric(text, "warroom_live_catch_ups_total"),
        screens: metric(text, "warroom_live_screens").unwrap_or(0),
    }
}

/// Every node's counters, summed; `None` (said once on stderr) when a
/// node cannot be read.
pub async fn read(
    client: &reqwest::Client,
    nodes: &Nodes,
    token: Option<&str>,
) -> Option<LiveCounters> {
    let mut sum = LiveCounters {
        catch_ups: Some(0),
        ..LiveCounters::default()
    };
    for base in nodes.list() {
        let mut req = client.get(format!("{base}/metrics"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let text = match req.send().await.and_then(|r| r.error_for_status()) {
            Ok(r) => r.text().await.ok()?,
            Err(e) => {
                eprintln!("cannot read {base}/metrics: {e}");
                return None;
            }
        };
        let one = parse(&text);
        sum.frames_sent += one.frames_sent;
        sum.snapshots += one.snapshots;
        sum.screens += one.screens;
        sum.catch_ups = sum.catch_ups.zip(one.catch_ups).map(|(a, b)| a + b);
    }
    Some(sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_from_a_metrics_page() {
        let page = "# HELP warroom_live_snapshots_total x\n# TYPE warroom_live_snapshots_total counter\n\
                    warroom_live_snapshots_total 12\nwarroom_live_snapshots_built_total 99\n\
                    warroom_live_frames_sent_total 1200\nwarroom_live_screens 5\n";
        let c = parse(page);
        assert_eq!(
            (c.frames_sent, c.snapshots, c.screens, c.catch_ups),
            (1200, 12, 5, None)
        );
        let later = parse(&format!("{page}warroom_live_catch_ups_total 3\n"));
        assert_eq!(later.since(&c).catch_ups, None, "absent before: unknown");
        let before = LiveCounters {
            frames_sent: 200,
            snapshots: 2,
            catch_ups: Some(1),
            screens: 0,
        };
        let d = later.since(&before);
        assert_eq!(
            (d.frames_sent, d.snapshots, d.catch_ups),
            (1000, 10, Some(2))
        );
        assert_eq!(d.snapshot_share(), Some(0.01));
    }
}
