//! The acceptance test of cluster mode: a 3-server NATS cluster holding an
//! R3 stream, two warroom nodes fed at once over HTTP with a generated
//! stream full of duplicates, refunds, stock levels and bad lines; while
//! the load runs the stream's leader server and one node are SIGKILLed and
//! later restarted. Every body is retried (the same bytes, on the other
//! node) until it is acknowledged; afterwards both nodes must hold exactly
//! the test's own figures, and their checkpoints at the same sequence must
//! be the same bytes.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::task::JoinHandle;

use super::compare::differences;
use super::load::{Body, Load, generate};
use super::node::{Node, applied_seq, newest_checkpoint, post, readyz, sale_toml, starts_now};
use crate::nats::{NatsCluster, wait_for};

const STREAM: &str = "WR_E2E";
const ROUNDS: usize = 10;
const PER_ROUND: usize = 250;
/// Concurrent clients; each sends its bodies to both nodes in turn.
const CLIENTS: usize = 4;
/// The load is paced to last about this long, so the faults land in it.
const LOAD_SPAN: Duration = Duration::from_secs(16);
/// How long one body may go unacknowledged before the test gives up.
const RETRY_PATIENCE: Duration = Duration::from_secs(60);

/// What the clients saw.
#[derive(Default)]
struct Seen {
    done: AtomicUsize,
    attempts: AtomicUsize,
    refused: AtomicUsize,
    unreachable: AtomicUsize,
    accepted: AtomicU64,
    /// The longest a body waited for its 200.
    longest_ms: AtomicU64,
    /// The 503 reasons (their start), for the test's output.
    reasons: parking_lot::Mutex<BTreeMap<String, usize>>,
    /// Why the load stopped early: every client stops at the first failure.
    failed: parking_lot::Mutex<Option<String>>,
}

impl Seen {
    fn fail(&self, why: String) {
        self.failed.lock().get_or_insert(why);
    }

    fn failed(&self) -> bool {
        self.failed.lock().is_some()
    }
}

/// Sends `body` to node `first`, then to the other node, and so on, the
/// same bytes each time, until one answers 200; checks what a client can
/// know of that answer. Gives up after `RETRY_PATIENCE`, or at once when
/// another client failed.
async fn send_until_ok(
    client: &reqwest::Client,
    bases: &[String; 2],
    first: usize,
    body: &Body,
    seen: &Seen,
) -> Result<(), String> {
    let started = Instant::now();
    let mut at = first;
    for attempt in 1.. {
        if seen.failed() {
            return Err("another client failed".into());
        }
        seen.attempts.fetch_add(1, SeqCst);
        let last = match post(client, &bases[at], &body.text).await {
            Ok((200, _, reply)) => {
                check_reply(&reply, body)?;
                let accepted = reply["accepted"].as_u64().unwrap_or(0);
                seen.accepted.fetch_add(accepted, SeqCst);
                let waited = started.elapsed().as_millis() as u64;
                seen.longest_ms.fetch_max(waited, SeqCst);
                return Ok(());
            }
            Ok((503, retry, reply)) => {
                if retry.as_deref() != Some("1") {
                    return Err(format!("a 503 without Retry-After: 1: {reply}"));
                }
                seen.refused.fetch_add(1, SeqCst);
                let reason = reply["error"].as_str().unwrap_or("").to_string();
                let kind: String = reason
                    .split(" (sequence")
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(60)
                    .collect();
                *seen.reasons.lock().entry(kind).or_default() += 1;
                reason
            }
            Ok((status, _, reply)) => {
                return Err(format!("{}: HTTP {status}: {reply}", bases[at]));
            }
            Err(e) => {
                seen.unreachable.fetch_add(1, SeqCst);
                let kind: String = e.split(": ").skip(1).collect::<Vec<_>>().join(": ");
                *seen.reasons.lock().entry(kind).or_default() += 1;
                e
            }
        };
        at = 1 - at;
        if attempt % 2 == 0 {
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        if started.elapsed() >= RETRY_PATIENCE {
            return Err(format!(
                "a body was not acknowledged in {attempt} attempts over {RETRY_PATIENCE:?}: {last}"
            ));
        }
    }
    Err("unreachable: the attempts ran out".into())
}

/// Bad lines exactly, by number; every other event accepted or duplicate.
fn check_reply(reply: &Value, body: &Body) -> Result<(), String> {
    let n = |k: &str| reply[k].as_u64().unwrap_or(u64::MAX) as usize;
    let lines: Vec<usize> = reply["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["line"].as_u64().map(|l| l as usize))
                .collect()
        })
        .unwrap_or_default();
    if n("rejected") != body.bad.len() || lines != body.bad {
        return Err(format!("expected lines {:?} rejected: {reply}", body.bad));
    }
    if n("accepted") + n("duplicates") != body.valid {
        return Err(format!(
            "accepted + duplicates must be the {} valid lines: {reply}",
            body.valid
        ));
    }
    Ok(())
}

/// Every round's bodies, spread over the clients, each round whole before
/// the next; paced so the whole load takes about `LOAD_SPAN` plus any
/// stall. Each client keeps its own pace after a stall (it does not rush
/// to catch up), so the faults after one still land in the load.
async fn drive(load: Arc<Load>, bases: Arc<[String; 2]>, seen: Arc<Seen>) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("HTTP client");
    let total = load.rounds.iter().map(Vec::len).sum::<usize>().max(1);
    let pace = LOAD_SPAN / total as u32 * CLIENTS as u32;
    for r in 0..load.rounds.len() {
        let mut tasks = Vec::new();
        for c in 0..CLIENTS {
            let (load, bases, seen, client) =
                (load.clone(), bases.clone(), seen.clone(), client.clone());
            tasks.push(tokio::spawn(async move {
                for (i, body) in load.rounds[r].iter().enumerate() {
                    if i % CLIENTS != c {
                        continue;
                    }
                    let next = tokio::time::Instant::now() + pace;
                    if let Err(why) = send_until_ok(&client, &bases, i % 2, body, &seen).await {
                        seen.fail(why);
                        return;
                    }
                    seen.done.fetch_add(1, SeqCst);
                    tokio::time::sleep_until(next).await;
                }
            }));
        }
        for t in tasks {
            if let Err(e) = t.await {
                seen.fail(format!("a client panicked: {e}"));
            }
        }
        if seen.failed() {
            return;
        }
    }
}

/// Waits until the clients have acknowledged `share` of the bodies (or
/// the load ended: a failed client is reported when it is awaited).
async fn at_share(seen: &Seen, total: usize, share: f64, driver: &JoinHandle<()>) -> usize {
    let want = (total as f64 * share) as usize;
    loop {
        let done = seen.done.load(SeqCst);
        if done >= want || driver.is_finished() || seen.failed() {
            return done;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The stream's last sequence, as a running server of the cluster says.
async fn stream_last(nats: &NatsCluster) -> Option<u64> {
    for i in (0..nats.len()).filter(|&i| nats.is_running(i)) {
        if let Some(d) = nats.stream_detail(i, STREAM).await
            && let Some(seq) = d["state"]["last_seq"].as_u64()
        {
            return Some(seq);
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_survives_a_killed_leader_and_a_killed_node_under_load() {
    let Some(mut nats) = NatsCluster::start(3).await else {
        return;
    };
    let t0 = Instant::now();
    let root = tempfile::tempdir().expect("tempdir");
    let starts = starts_now();
    let sale = sale_toml(starts);
    let storage = "checkpoint_every = 2\n";
    let mut a = Node::new(
        root.path(),
        "a",
        &sale,
        storage,
        &nats.cluster_toml(STREAM, 3, "a"),
    );
    let mut b = Node::new(
        root.path(),
        "b",
        &sale,
        storage,
        &nats.cluster_toml(STREAM, 3, "b"),
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("HTTP client");
    a.start();
    b.start();
    a.ready(&client).await;
    b.ready(&client).await;

    let now = chrono::Utc::now().timestamp_millis();
    let load = Arc::new(generate(13, ROUNDS, PER_ROUND, starts, now));
    let total: usize = load.rounds.iter().map(Vec::len).sum();
    let seen = Arc::new(Seen::default());
    let bases = Arc::new([a.base.clone(), b.base.clone()]);
    let driver = tokio::spawn(drive(load.clone(), bases, seen.clone()));

    // The faults, each at a share of the load acknowledged.
    let mut steps = Vec::new();
    let at = |what: &'static str, done: usize| (what, done, t0.elapsed().as_millis() as u64);
    'faults: {
        steps.push(at(
            "leader killed",
            at_share(&seen, total, 0.15, &driver).await,
        ));
        let leader = wait_for(Duration::from_secs(10), || nats.stream_leader(STREAM))
            .await
            .unwrap_or_else(|| panic!("no leader of {STREAM}\n{}", nats.all_logs()));
        nats.kill(leader);
        steps.push(at(
            "node b killed",
            at_share(&seen, total, 0.30, &driver).await,
        ));
        if seen.failed() {
            break 'faults;
        }
        b.kill();
        steps.push(at(
            "leader restarted",
            at_share(&seen, total, 0.45, &driver).await,
        ));
        if seen.failed() {
            break 'faults;
        }
        nats.restart(leader).await;
        steps.push(at(
            "node b restarted",
            at_share(&seen, total, 0.55, &driver).await,
        ));
        if seen.failed() {
            break 'faults;
        }
        b.start();
        b.ready(&client).await;
        steps.push(at("node b ready", seen.done.load(SeqCst)));
    }
    driver.await.expect("the load's driver");
    let load_s = t0.elapsed().as_secs_f64();
    eprintln!(
        "cluster e2e load: {total} bodies in {load_s:.1} s, {} attempts ({} answered 503, {} unreachable), longest wait for a 200 {} ms\n  \
         faults (step, bodies acknowledged, ms): {steps:?}\n  503 reasons: {:?}",
        seen.attempts.load(SeqCst),
        seen.refused.load(SeqCst),
        seen.unreachable.load(SeqCst),
        seen.longest_ms.load(SeqCst),
        seen.reasons.lock(),
    );
    // E2E_DEBUG=1: every server's and node's log, to study a run.
    if std::env::var_os("E2E_DEBUG").is_some() {
        eprintln!("{}", nats.all_logs());
        eprintln!("--- a ---\n{}\n--- b ---\n{}", a.log(), b.log());
    }
    if let Some(why) = seen.failed.lock().clone() {
        let tail = |log: String| {
            log.lines()
                .rev()
                .take(30)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "the load failed: {why}\n--- a (last lines) ---\n{}\n--- b (last lines) ---\n{}",
            tail(a.log()),
            tail(b.log())
        );
    }
    for (what, done, _) in &steps[..4] {
        assert!(
            *done < total,
            "{what} only after the load ended ({done} of {total}); (step, bodies, ms): {steps:?}, load {load_s:.1} s"
        );
    }

    // Both nodes ready, at the stream's end, at the same sequence.
    let settled = wait_for(Duration::from_secs(60), || async {
        let last = stream_last(&nats).await?;
        for n in [&a, &b] {
            if readyz(&client, &n.base).await?.0 != 200
                || applied_seq(&client, &n.base).await? != last
            {
                return None;
            }
        }
        Some(last)
    })
    .await;
    let Some(seq) = settled else {
        panic!(
            "the nodes did not settle at the stream's end: a at {:?}, b at {:?}, stream at {:?}\n--- a ---\n{}\n--- b ---\n{}",
            applied_seq(&client, &a.base).await,
            applied_seq(&client, &b.base).await,
            stream_last(&nats).await,
            a.log(),
            b.log()
        );
    };
    let ex = &load.expect;
    for n in [&a, &b] {
        let diff = differences(&client, &n.base, ex).await;
        assert!(
            diff.is_empty(),
            "node {} differs from the expectation in {} figures:\n{}",
            n.name,
            diff.len(),
            diff.iter().take(40).cloned().collect::<Vec<_>>().join("\n")
        );
    }
    let accepted = seen.accepted.load(SeqCst);
    assert!(
        accepted <= ex.events_applied,
        "replies accepted {accepted} events, more than the {} counted",
        ex.events_applied
    );
    let caught_up = b
        .current_log()
        .lines()
        .find(|l| l.contains("caught up with the stream"))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("node b never said it caught up:\n{}", b.log()));
    assert!(caught_up.contains("events_per_s="), "{caught_up}");

    // A clean stop checkpoints at the last applied sequence, on both alike.
    for n in [&mut a, &mut b] {
        let status = n.terminate();
        assert!(
            status.success(),
            "node {} stopped {status:?}\n{}",
            n.name,
            n.log()
        );
    }
    let (name_a, bytes_a) = newest_checkpoint(&a.data()).expect("a checkpoint on a");
    let (name_b, bytes_b) = newest_checkpoint(&b.data()).expect("a checkpoint on b");
    assert_eq!(
        name_a,
        format!("checkpoint-{seq:020}.bin"),
        "a's newest checkpoint"
    );
    assert_eq!(name_b, name_a, "both nodes' newest checkpoints");
    let first_difference = bytes_a.iter().zip(&bytes_b).position(|(x, y)| x != y);
    assert!(
        bytes_a == bytes_b,
        "{name_a} differs between the nodes ({} and {} bytes, first at byte {first_difference:?})",
        bytes_a.len(),
        bytes_b.len()
    );

    eprintln!(
        "cluster e2e: {} events counted, {} duplicates, stream at {seq}, all in {:.1} s\n  \
         node b after its restart: {caught_up}",
        ex.events_applied,
        ex.duplicates,
        t0.elapsed().as_secs_f64(),
    );
}
