//! docs/operations.md, Cluster mode → Alerts: the alert lease against a
//! real `nats-server -js`: one holder at a time, renewed; a holder that
//! stops renewing (killed) is replaced within the bound; a holder whose
//! lease is taken from it stops counting itself the holder at once; a
//! holder that shuts down hands over at once.

use std::time::{Duration, Instant};

use warroom::cluster::{Lease, LeaseTimes, Link, bucket_of};
use warroom::config::ClusterConfig;
use warroom::shutdown::Shutdown;

use crate::nats::NatsCluster as Nats;
use crate::support::test_config;

/// The takeover bound docs/operations.md promises.
const BOUND: Duration = Duration::from_secs(10);

pub(crate) async fn link(nats: &Nats, stream: &str, node: &str) -> Link {
    let cfg = test_config();
    let mut cluster = ClusterConfig::with_servers(nats.urls(), &cfg.sale.name);
    cluster.stream = stream.into();
    cluster.replicas = 1;
    Link::open(&cluster, &cfg.sale, node.into())
        .await
        .expect("the link opens")
}

struct Node {
    lease: Lease,
    shutdown: Shutdown,
    task: tokio::task::JoinHandle<()>,
}

async fn node(nats: &Nats, stream: &str, name: &str) -> Node {
    let link = link(nats, stream, name).await;
    let shutdown = Shutdown::default();
    let (lease, task) = Lease::start(&link, LeaseTimes::default(), shutdown.clone())
        .await
        .expect("the lease bucket opens");
    Node {
        lease,
        shutdown,
        task,
    }
}

/// Waits until `f` holds, at most `within`; returns how long it took.
async fn until(within: Duration, what: &str, f: impl Fn() -> bool) -> Duration {
    let started = Instant::now();
    while !f() {
        assert!(started.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    started.elapsed()
}

fn holders(nodes: &[&Node]) -> usize {
    nodes.iter().filter(|n| n.lease.is_mine()).count()
}

#[tokio::test]
async fn one_node_holds_the_lease_renews_it_and_a_killed_holder_is_replaced_within_the_bound() {
    let Some(nats) = Nats::single().await else {
        return;
    };
    let (a, b) = (
        node(&nats, "LEASE_T1", "a").await,
        node(&nats, "LEASE_T1", "b").await,
    );
    until(BOUND, "someone takes the lease", || holders(&[&a, &b]) == 1).await;
    let (holder, other) = if a.lease.is_mine() { (a, b) } else { (b, a) };
    let name = holder.lease.node().to_string();
    until(BOUND, "the other sees who holds it", || {
        other.lease.holder().as_deref() == Some(name.as_str())
    })
    .await;

    // Renewed: well past the TTL, the same holder, never two.
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(9) {
        assert!(holder.lease.is_mine(), "the holder keeps it");
        assert!(!other.lease.is_mine(), "never two holders");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Killed: no hand-over, the entry ages out, the other takes it.
    holder.task.abort();
    let took = until(BOUND, "the other takes over", || other.lease.is_mine()).await;
    eprintln!("takeover after the kill: {took:?}");
    assert!(took <= BOUND, "took {took:?}");
    assert_eq!(other.lease.holder().as_deref(), Some(other.lease.node()));
    assert!(
        other.lease.changes() >= 2,
        "seen: held by the first, then by itself"
    );
}

#[tokio::test]
async fn a_holder_whose_lease_is_taken_from_it_stops_at_once() {
    let Some(nats) = Nats::single().await else {
        return;
    };
    let a = node(&nats, "LEASE_T2", "a").await;
    until(BOUND, "a takes the lease", || a.lease.is_mine()).await;

    // Someone else writes the key (an operator, or a holder from a split):
    // a's next renewal, at the revision it held, is refused.
    let l = link(&nats, "LEASE_T2", "x").await;
    let kv =
        l.js.get_key_value(bucket_of("LEASE_T2"))
            .await
            .expect("bucket");
    kv.put(warroom::cluster::LEASE_KEY, "intruder".into())
        .await
        .expect("put");
    let stopped = until(Duration::from_secs(4), "a stops holding", || {
        !a.lease.is_mine()
    })
    .await;
    assert!(stopped <= Duration::from_secs(3), "renewal is every 2 s");
    until(Duration::from_secs(2), "a sees the new holder", || {
        a.lease.holder().as_deref() == Some("intruder")
    })
    .await;
    drop(a.shutdown);
}

#[tokio::test]
async fn a_holder_that_shuts_down_hands_over_at_once() {
    let Some(nats) = Nats::single().await else {
        return;
    };
    let a = node(&nats, "LEASE_T3", "a").await;
    until(BOUND, "a takes the lease", || a.lease.is_mine()).await;
    let b = node(&nats, "LEASE_T3", "b").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!b.lease.is_mine());
    a.shutdown.trigger();
    let _ = a.task.await;
    let took = until(BOUND, "b takes over", || b.lease.is_mine()).await;
    assert!(
        took < Duration::from_secs(3),
        "released, not aged out: {took:?}"
    );
}
