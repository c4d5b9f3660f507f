//! Speed never at the cost of exactness: every node's totals must move by
//! exactly what the acknowledged batches held.
//!
//! With several nodes, each is read and reported on its own: they apply
//! one log, so each must agree with the ledger, and one that does not
//! fails the check. A node applies the log a moment after the node that
//! took a batch answered, so before calling a node different the check
//! gives it `SETTLE` to catch up. Bodies whose fate one attempt left
//! uncertain (see `retry`) widen only what a second application can add:
//! duplicates and stock events (and, for a body never acknowledged, the
//! body itself once); the range is printed as `low..high`.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::nodes::Nodes;
use crate::template::Expected;

/// How long the nodes get to agree before and after the run.
const SETTLE: Duration = Duration::from_secs(10);

/// One node's verdict, for the JSON report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NodeCheck {
    pub url: String,
    pub exact: bool,
}

pub async fn summary(
    client: &reqwest::Client,
    base: &str,
    token: Option<&str>,
) -> anyhow::Result<Value> {
    let mut req = client.get(format!("{base}/api/v1/summary"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await?;
    anyhow::ensure!(
        r.status().is_success(),
        "GET {base}/api/v1/summary: HTTP {}",
        r.status()
    );
    Ok(serde_json::from_slice(&r.bytes().await?)?)
}

fn applied(v: &Value) -> i64 {
    v["events_applied"].as_i64().unwrap_or(0)
}

/// Every node's summary before the run; several nodes are first given
/// `SETTLE` to agree on the events applied, so that no node's change
/// includes the tail of what came before.
pub async fn before(
    client: &reqwest::Client,
    nodes: &Nodes,
    token: Option<&str>,
) -> anyhow::Result<Vec<Value>> {
    let started = Instant::now();
    loop {
        let mut all = Vec::with_capacity(nodes.len());
        for base in nodes.list() {
            all.push(summary(client, base, token).await?);
        }
        let agree = all.windows(2).all(|w| applied(&w[0]) == applied(&w[1]));
        if agree || started.elapsed() >= SETTLE {
            if !agree {
                eprintln!(
                    "warning: the nodes disagree on events applied before the run ({:?})",
                    all.iter().map(applied).collect::<Vec<_>>()
                );
            }
            return Ok(all);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Reads every node after the run, compares and prints each.
pub async fn after(
    client: &reqwest::Client,
    nodes: &Nodes,
    token: Option<&str>,
    before: &[Value],
    e: &Expected,
    slack: &Expected,
) -> anyhow::Result<Vec<NodeCheck>> {
    after_within(client, nodes, token, before, e, slack, SETTLE).await
}

async fn after_within(
    client: &reqwest::Client,
    nodes: &Nodes,
    token: Option<&str>,
    before: &[Value],
    e: &Expected,
    slack: &Expected,
    settle: Duration,
) -> anyhow::Result<Vec<NodeCheck>> {
    if let [base] = nodes.list() {
        let after = summary(client, base, token).await?;
        let rows = rows(&before[0], &after, e, slack);
        print(&rows);
        return Ok(vec![NodeCheck {
            url: base.clone(),
            exact: rows.iter().all(Row::ok),
        }]);
    }
    let mut checks = Vec::with_capacity(nodes.len());
    for (base, before) in nodes.list().iter().zip(before) {
        let started = Instant::now();
        let read = loop {
            let read = summary(client, base, token).await;
            let settled = match &read {
                Ok(after) => rows(before, after, e, slack).iter().all(Row::ok),
                Err(_) => false,
            };
            if settled || started.elapsed() >= settle {
                break read;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        println!();
        println!("node {base}");
        let exact = match read {
            Ok(after) => {
                let rows = rows(before, &after, e, slack);
                print(&rows);
                rows.iter().all(Row::ok)
            }
            Err(err) => {
                println!("DIFFERENT: cannot read its totals: {err:#}");
                false
            }
        };
        checks.push(NodeCheck {
            url: base.clone(),
            exact,
        });
    }
    Ok(checks)
}

/// One figure: its change on the server, and the range the ledger allows.
struct Row {
    name: &'static str,
    got: i64,
    low: i64,
    high: i64,
}

impl Row {
    fn ok(&self) -> bool {
        (self.low..=self.high).contains(&self.got)
    }
}

fn rows(before: &Value, after: &Value, e: &Expected, s: &Expected) -> Vec<Row> {
    let delta = |path: &[&str]| {
        let get = |v: &Value| path.iter().fold(v, |v, k| &v[*k]).as_i64().unwrap_or(0);
        get(after) - get(before)
    };
    let figures: [(&str, &[&str], i64, i64); 8] = [
        (
            "events applied",
            &["events_applied"],
            e.events as i64,
            s.events as i64,
        ),
        (
            "duplicates",
            &["duplicates"],
            e.duplicates as i64,
            s.duplicates as i64,
        ),
        (
            "orders",
            &["totals", "orders"],
            e.orders as i64,
            s.orders as i64,
        ),
        ("GMV (minor units)", &["totals", "gmv"], e.gmv, s.gmv),
        (
            "units",
            &["totals", "units"],
            e.units as i64,
            s.units as i64,
        ),
        (
            "refunds",
            &["totals", "refund_count"],
            e.refund_count as i64,
            s.refund_count as i64,
        ),
        (
            "refunded (minor units)",
            &["totals", "refunds"],
            e.refunds,
            s.refunds,
        ),
        (
            "refunded units",
            &["totals", "refund_units"],
            e.refund_units as i64,
            s.refund_units as i64,
        ),
    ];
    figures
        .into_iter()
        .map(|(name, path, want, slack)| Row {
            name,
            got: delta(path),
            low: want,
            high: want + slack,
        })
        .collect()
}

/// Prints each figure's change against the ledger.
fn print(rows: &[Row]) {
    println!();
    println!("check             {:>16} {:>16}", "server", "sent");
    for r in rows {
        let want = if r.high == r.low {
            r.low.to_string()
        } else {
            format!("{}..{}", r.low, r.high)
        };
        println!(
            "{:<18}{:>16} {want:>16}  {}",
            r.name,
            r.got,
            if r.ok() { "ok" } else { "DIFFERENT" }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn summary_of(applied: i64, dups: i64, orders: i64, gmv: i64) -> Value {
        json!({"events_applied": applied, "duplicates": dups,
               "totals": {"orders": orders, "gmv": gmv, "units": 0,
                          "refund_count": 0, "refunds": 0, "refund_units": 0}})
    }

    #[test]
    fn exact_without_slack_and_within_it_with() {
        let before = summary_of(100, 1, 50, 5_000);
        let e = Expected {
            events: 10,
            lines: 11,
            duplicates: 1,
            orders: 9,
            gmv: 900,
            ..Expected::default()
        };
        let none = Expected::default();
        let exact = summary_of(110, 2, 59, 5_900);
        assert!(rows(&before, &exact, &e, &none).iter().all(Row::ok));
        // The same body applied twice: its orders come back as duplicates.
        let twice = summary_of(110, 12, 59, 5_900);
        assert!(!rows(&before, &twice, &e, &none).iter().all(Row::ok));
        let slack = Expected {
            duplicates: 10,
            ..Expected::default()
        };
        assert!(rows(&before, &twice, &e, &slack).iter().all(Row::ok));
        // Slack on duplicates never excuses a figure of money.
        let counted_twice = summary_of(110, 2, 68, 6_800);
        let bad: Vec<&str> = rows(&before, &counted_twice, &e, &slack)
            .iter()
            .filter(|r| !r.ok())
            .map(|r| r.name)
            .collect();
        assert_eq!(bad, ["orders", "GMV (minor units)"]);
    }

    #[tokio::test]
    async fn every_node_is_read_a_lagging_one_given_time_and_a_wrong_one_fails() {
        use crate::mock::{self, Answer};
        let at =
            |applied: i64, orders: i64| Answer::Json(summary_of(applied, 0, orders, 0).to_string());
        let exact = mock::node(vec![at(100, 10), at(110, 20)]).await;
        // Still catching up on its first read after the run.
        let lagging = mock::node(vec![at(100, 10), at(105, 15), at(110, 20)]).await;
        let wrong = mock::node(vec![at(100, 10), at(110, 29)]).await;
        let nodes: Nodes = format!("{},{},{}", exact.url, lagging.url, wrong.url)
            .parse()
            .expect("list");
        let client = reqwest::Client::new();
        let before = super::before(&client, &nodes, None).await.expect("before");
        let e = Expected {
            events: 10,
            lines: 10,
            orders: 10,
            ..Expected::default()
        };
        let checks = after_within(
            &client,
            &nodes,
            None,
            &before,
            &e,
            &Expected::default(),
            Duration::from_secs(1),
        )
        .await
        .expect("after");
        let verdicts: Vec<bool> = checks.iter().map(|c| c.exact).collect();
        assert_eq!(verdicts, [true, true, false]);
        assert_eq!(checks[2].url, wrong.url);
        assert_eq!(
            lagging.bodies.lock().len(),
            3,
            "read again until it caught up"
        );

        let gone: Nodes = format!("{},{}", exact.url, mock::dead_url())
            .parse()
            .expect("list");
        let checks = after_within(
            &client,
            &gone,
            None,
            &before[..2],
            &e,
            &Expected::default(),
            Duration::ZERO,
        )
        .await
        .expect("after");
        assert!(
            !checks[1].exact,
            "a node that cannot be read fails the check"
        );
    }
}
