//! One body delivered: POSTed, and on failure sent again — the *same*
//! bytes — on the next node, as a real client does during a failover.
//! Ingest is idempotent, so a retry is always safe; what the load test
//! must get right is its own ledger. A body is expected once, when it is
//! acknowledged. A failed attempt is either taken to have left the
//! server untouched (the connection was refused; `503` and `429`, which
//! `docs/api.md` promises apply nothing on a single node) or *uncertain*
//! (a timeout, a connection lost mid-reply, another 5xx): the server may
//! have applied it. A cluster's `503` may come after the stream stored the
//! batch (docs/api.md, Cluster mode): that is why a body is retried until
//! it is acknowledged — the acknowledged retry is deduplicated, and the
//! ledger is exact again. Uncertain attempts are counted, so the check can allow for what a
//! second application may add (duplicates, stock events) and nothing else.

use std::collections::BTreeMap;
use std::time::Duration;

use parking_lot::Mutex;

use crate::nodes::next_node;

/// Retries per node at least: with one node, 3 retries after 200, 400 and
/// 800 ms. A client goes on past them for `--retry-for` (a cluster's
/// failover — a new stream leader, a node restarting — takes seconds, and
/// a body given up is a hole in the ledger: the server may hold it, as a
/// cluster's `503` does not promise that nothing was stored).
pub const RETRIES: usize = 3;
/// The longest wait between two rounds of attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

#[derive(serde::Deserialize)]
pub struct Reply {
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: u64,
}

/// A worker's tally of retries.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    /// Attempts after the first, on any node.
    pub retries: u64,
    /// Retries sent to another node than the attempt before.
    pub failovers: u64,
}

/// Where bodies go, and how long one is tried.
pub struct Targets<'a> {
    pub urls: &'a [String],
    pub token: Option<&'a str>,
    /// Keep trying past the first rounds for this long (`--retry-for`).
    pub patience: Duration,
}

/// How a body ended: its reply or why not, and how many attempts failed
/// in a way that may have applied it.
pub struct Delivery {
    pub result: Result<Reply, String>,
    pub uncertain: u64,
}

/// How an attempt failed.
enum Fault {
    /// The server certainly applied nothing: retry.
    Untouched(String),
    /// The server may have applied the body: retry, and count it.
    Uncertain(String),
    /// Retrying cannot help (a 4xx): give up.
    Final(String),
}

/// POSTs `body` to `urls[*node]`, moving on through the list on failure;
/// `*node` is left on the node that answered (the connection sticks to it).
pub async fn post(
    client: &reqwest::Client,
    to: &Targets<'_>,
    node: &mut usize,
    body: &[u8],
    errors: &Mutex<BTreeMap<String, u64>>,
    tally: &mut Tally,
) -> Delivery {
    let (urls, token, patience) = (to.urls, to.token, to.patience);
    let n = urls.len().max(1);
    let mut uncertain = 0;
    let mut last = String::new();
    let started = std::time::Instant::now();
    let mut attempt = 0;
    while attempt < (RETRIES + 1) * n || started.elapsed() < patience {
        attempt += 1;
        let attempt = attempt - 1;
        if attempt > 0 {
            tally.retries += 1;
            *errors.lock().entry(format!("retried: {last}")).or_default() += 1;
            if n > 1 {
                *node = next_node(*node, n);
                tally.failovers += 1;
            }
            // Other nodes are tried at once; a full round of failures waits.
            if attempt % n == 0 {
                let backoff = Duration::from_millis(100 << (attempt / n).min(10));
                tokio::time::sleep(backoff.min(MAX_BACKOFF)).await;
            }
        }
        let Some(url) = urls.get(*node) else {
            return Delivery {
                result: Err(format!("no node {node}")),
                uncertain,
            };
        };
        match once(client, url, token, body).await {
            Ok(reply) => {
                return Delivery {
                    result: Ok(reply),
                    uncertain,
                };
            }
            Err(Fault::Untouched(why)) => last = why,
            Err(Fault::Uncertain(why)) => {
                uncertain += 1;
                last = why;
            }
            Err(Fault::Final(why)) => {
                return Delivery {
                    result: Err(why),
                    uncertain,
                };
            }
        }
    }
    Delivery {
        result: Err(last),
        uncertain,
    }
}

async fn once(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: &[u8],
) -> Result<Reply, Fault> {
    let mut req = client
        .post(url)
        .header("content-type", "application/x-ndjson")
        .body(body.to_vec());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    match req.send().await {
        Ok(r) if r.status().is_success() => {
            // Applied: a reply lost now leaves the body applied, unconfirmed.
            let bytes = r
                .bytes()
                .await
                .map_err(|e| Fault::Uncertain(format!("reading reply: {e}")))?;
            serde_json::from_slice(&bytes).map_err(|e| Fault::Uncertain(format!("bad reply: {e}")))
        }
        Ok(r) if r.status() == 503 || r.status() == 429 => {
            Err(Fault::Untouched(format!("HTTP {}", r.status().as_u16())))
        }
        Ok(r) if r.status().is_server_error() => {
            Err(Fault::Uncertain(format!("HTTP {}", r.status().as_u16())))
        }
        Ok(r) => Err(Fault::Final(format!("HTTP {}", r.status().as_u16()))),
        Err(e) if e.is_connect() => Err(Fault::Untouched("connect".into())),
        Err(e) if e.is_timeout() => Err(Fault::Uncertain("timeout".into())),
        Err(e) => Err(Fault::Uncertain(format!("request: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::{self, Answer};

    async fn send(urls: &[String], node: &mut usize, body: &[u8]) -> (Delivery, Tally) {
        let client = reqwest::Client::new();
        let errors = Mutex::new(BTreeMap::new());
        let mut tally = Tally::default();
        let to = Targets {
            urls,
            token: None,
            patience: Duration::ZERO,
        };
        let d = post(&client, &to, node, body, &errors, &mut tally).await;
        (d, tally)
    }

    #[tokio::test]
    async fn a_node_that_refuses_sends_the_body_to_the_next_which_keeps_the_connection() {
        let live = mock::node(vec![Answer::Ok]).await;
        let urls = [mock::dead_url(), live.url.clone()];
        let mut node = 0;
        let (d, tally) = send(&urls, &mut node, b"{\"a\":1}\n").await;
        assert_eq!(d.result.expect("delivered").accepted, 1);
        assert_eq!(d.uncertain, 0, "a refused connection applied nothing");
        assert_eq!((tally.retries, tally.failovers), (1, 1));
        assert_eq!(node, 1, "the connection stays on the node that answered");
        assert_eq!(*live.bodies.lock(), [b"{\"a\":1}\n".to_vec()]);
    }

    #[tokio::test]
    async fn a_reply_lost_mid_failover_sends_the_same_body_and_is_counted_uncertain() {
        let dying = mock::node(vec![Answer::Drop]).await;
        let live = mock::node(vec![Answer::Ok]).await;
        let urls = [dying.url.clone(), live.url.clone()];
        let body = b"{\"id\":\"o1\"}\n{\"id\":\"o2\"}\n";
        let mut node = 0;
        let (d, tally) = send(&urls, &mut node, body).await;
        assert!(d.result.is_ok());
        assert_eq!(d.uncertain, 1, "the dropped node may have applied it");
        assert_eq!(tally.failovers, 1);
        assert_eq!(*dying.bodies.lock(), [body.to_vec()]);
        assert_eq!(*live.bodies.lock(), [body.to_vec()], "the very same bytes");
    }

    #[tokio::test]
    async fn shed_is_retried_as_untouched_and_a_4xx_is_not_retried() {
        let busy = mock::node(vec![Answer::Shed, Answer::Ok]).await;
        let mut node = 0;
        let (d, tally) = send(std::slice::from_ref(&busy.url), &mut node, b"x\n").await;
        assert!(d.result.is_ok());
        assert_eq!((d.uncertain, tally.retries, tally.failovers), (0, 1, 0));

        let bad = mock::node(vec![Answer::Bad]).await;
        let live = mock::node(vec![Answer::Ok]).await;
        let (d, tally) = send(&[bad.url.clone(), live.url.clone()], &mut 0, b"x\n").await;
        assert_eq!(d.result.err().as_deref(), Some("HTTP 400"));
        assert_eq!(tally.retries, 0);
        assert!(live.bodies.lock().is_empty());
    }

    #[tokio::test]
    async fn every_node_down_gives_up_after_the_retries_of_each() {
        let urls = [mock::dead_url(), mock::dead_url()];
        let (d, tally) = send(&urls, &mut 0, b"x\n").await;
        assert_eq!(d.result.err().as_deref(), Some("connect"));
        assert_eq!(tally.retries as usize, (RETRIES + 1) * 2 - 1);
    }

    #[tokio::test]
    async fn a_patient_client_goes_on_past_the_retries_until_a_node_answers() {
        let slow = mock::node(vec![
            Answer::Shed,
            Answer::Shed,
            Answer::Shed,
            Answer::Shed,
            Answer::Shed,
            Answer::Shed,
            Answer::Ok,
        ])
        .await;
        let client = reqwest::Client::new();
        let errors = Mutex::new(BTreeMap::new());
        let mut tally = Tally::default();
        let urls = [slow.url.clone()];
        let to = Targets {
            urls: &urls,
            token: None,
            patience: Duration::from_secs(30),
        };
        let d = post(&client, &to, &mut 0, b"x\n", &errors, &mut tally).await;
        assert!(
            d.result.is_ok(),
            "delivered after {} retries",
            tally.retries
        );
        assert_eq!(tally.retries, 6);
    }
}
