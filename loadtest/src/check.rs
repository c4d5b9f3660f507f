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
//!
//! Beside the totals (orders, money, units, refunds, and the traffic and
//! spend lines' visitors, page views and spend), every region's and
//! campaign's orders and GMV and every campaign's spend are compared, read
//! from `/api/v1/regions` and `/api/v1/campaigns` (`reading`); they print
//! as one line per figure, summed, with any region or campaign that
//! differs on a line of its own. Buyers are not compared: distinct counts
//! do not add up across runs, and the ledger keeps no buyer sets.

use std::time::{Duration, Instant};

use crate::compare::{Row, print, rows};
use crate::nodes::Nodes;
use crate::reading::{self, Reading};
use crate::template::Expected;

/// How long the nodes get to agree before and after the run.
const SETTLE: Duration = Duration::from_secs(10);

/// One node's verdict, for the JSON report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NodeCheck {
    pub url: String,
    pub exact: bool,
}

pub use reading::summary;

fn applied(r: &Reading) -> i64 {
    r.summary["events_applied"].as_i64().unwrap_or(0)
}

/// Every node's summary before the run; several nodes are first given
/// `SETTLE` to agree on the events applied, so that no node's change
/// includes the tail of what came before. With `places` (the run sends
/// regions, campaigns or spend) their rows are read too, and after.
pub async fn before(
    client: &reqwest::Client,
    nodes: &Nodes,
    token: Option<&str>,
    places: bool,
) -> anyhow::Result<Vec<Reading>> {
    let started = Instant::now();
    loop {
        let mut all = Vec::with_capacity(nodes.len());
        for base in nodes.list() {
            all.push(reading::read(client, base, token, places).await?);
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
    before: &[Reading],
    e: &Expected,
    slack: &Expected,
) -> anyhow::Result<Vec<NodeCheck>> {
    after_within(client, nodes, token, before, e, slack, SETTLE).await
}

async fn after_within(
    client: &reqwest::Client,
    nodes: &Nodes,
    token: Option<&str>,
    before: &[Reading],
    e: &Expected,
    slack: &Expected,
    settle: Duration,
) -> anyhow::Result<Vec<NodeCheck>> {
    let places = before.first().is_some_and(|r| r.places.is_some());
    if let [base] = nodes.list() {
        let after = reading::read(client, base, token, places).await?;
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
            let read = reading::read(client, base, token, places).await;
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
#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn summary_of(applied: i64, dups: i64, orders: i64, gmv: i64) -> Reading {
        Reading {
            summary: json!({"events_applied": applied, "duplicates": dups,
               "totals": {"orders": orders, "gmv": gmv, "units": 0,
                          "refund_count": 0, "refunds": 0, "refund_units": 0}}),
            places: None,
        }
    }

    /// Regions and campaigns: every one compared, a region counted in
    /// another's place fails both, and what the run never sent (another
    /// client's rows, the ones not in the model) is left alone.
    #[tokio::test]
    async fn every_node_is_read_a_lagging_one_given_time_and_a_wrong_one_fails() {
        use crate::mock::{self, Answer};
        let at = |applied: i64, orders: i64| {
            Answer::Json(summary_of(applied, 0, orders, 0).summary.to_string())
        };
        let exact = mock::node(vec![at(100, 10), at(110, 20)]).await;
        // Still catching up on its first read after the run.
        let lagging = mock::node(vec![at(100, 10), at(105, 15), at(110, 20)]).await;
        let wrong = mock::node(vec![at(100, 10), at(110, 29)]).await;
        let nodes: Nodes = format!("{},{},{}", exact.url, lagging.url, wrong.url)
            .parse()
            .expect("list");
        let client = reqwest::Client::new();
        let before = super::before(&client, &nodes, None, false)
            .await
            .expect("before");
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
