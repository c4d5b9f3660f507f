//! The cluster harness's own tests: a 3-server cluster forms, holds an R3
//! stream that deduplicates by `Nats-Msg-Id`, survives SIGKILL of the
//! stream's leader and takes the restarted server back; one server holds
//! an R1 stream; the `[cluster]` section the harness writes is one warroom
//! reads.

use std::time::{Duration, Instant};

use async_nats::jetstream::{self, stream};

use crate::nats::{NatsCluster, wait_for};
use crate::support::SALE_TOML;

/// Creates an R3 stream, retrying while the cluster gets ready for it.
async fn create_stream(nats: &NatsCluster, js: &jetstream::Context, name: &str) -> stream::Stream {
    let started = Instant::now();
    loop {
        let cfg = stream::Config {
            name: name.into(),
            subjects: vec![format!("{name}.>")],
            num_replicas: nats.len(),
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        };
        match js.get_or_create_stream(cfg).await {
            Ok(s) => return s,
            Err(e) if started.elapsed() < Duration::from_secs(15) => {
                eprintln!("stream not ready yet: {e}");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => panic!("create stream {name}: {e}\n{}", nats.all_logs()),
        }
    }
}

async fn publish(
    js: &jetstream::Context,
    id: &str,
) -> Result<jetstream::publish::PublishAck, String> {
    let msg = jetstream::message::PublishMessage::build()
        .payload(format!("batch {id}").into())
        .message_id(id);
    let ack = js
        .send_publish("probe.batches", msg)
        .await
        .map_err(|e| e.to_string())?;
    ack.await.map_err(|e| e.to_string())
}

/// The harness itself: a 3-server cluster forms, holds an R3 stream
/// that deduplicates by message id, survives SIGKILL of the stream's
/// leader, and takes the killed server back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_servers_an_r3_stream_and_a_leader_killed() {
    let t0 = Instant::now();
    let Some(mut nats) = NatsCluster::start(3).await else {
        return;
    };
    assert_eq!(nats.urls().len(), 3);
    let mut js = jetstream::new(nats.client().await);
    js.set_timeout(Duration::from_secs(2));
    create_stream(&nats, &js, "probe").await;

    let first = publish(&js, "b-0").await.expect("first publish");
    assert!(!first.duplicate);
    let again = publish(&js, "b-0").await.expect("re-publish");
    assert!(again.duplicate, "the same Nats-Msg-Id is flagged duplicate");
    assert_eq!(
        again.sequence, first.sequence,
        "and acks the original sequence"
    );

    let leader = wait_for(Duration::from_secs(5), || nats.stream_leader("probe"))
        .await
        .unwrap_or_else(|| panic!("no stream leader\n{}", nats.all_logs()));
    nats.kill(leader);
    assert!(!nats.is_running(leader));

    // Publishes stall while the group elects; each is retried with its
    // own id, so a retry never adds a second copy.
    let stalled = Instant::now();
    let mut published = 1u64;
    for b in 1..=5 {
        let id = format!("b-{b}");
        loop {
            match publish(&js, &id).await {
                Ok(ack) => {
                    published += u64::from(!ack.duplicate);
                    break;
                }
                Err(e) => {
                    assert!(
                        stalled.elapsed() < Duration::from_secs(10),
                        "no new leader acked within 10 s: {e}\n{}",
                        nats.all_logs()
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
    assert_eq!(published, 6);
    let new_leader = wait_for(Duration::from_secs(5), || nats.stream_leader("probe"))
        .await
        .expect("a new stream leader");
    assert_ne!(new_leader, leader, "the killed server cannot lead");

    nats.restart(leader).await;
    let caught_up = wait_for(Duration::from_secs(10), || async {
        (nats.stream_messages(leader, "probe").await == Some(published)).then_some(())
    })
    .await;
    assert!(
        caught_up.is_some(),
        "the restarted server {} did not catch up to {published} messages\n{}",
        nats.name(leader),
        nats.all_logs()
    );
    eprintln!(
        "cluster harness test took {:.1} s",
        t0.elapsed().as_secs_f64()
    );
}

/// One server with JetStream: an R1 stream, no cluster to form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_server_holds_an_r1_stream() {
    let Some(nats) = NatsCluster::single().await else {
        return;
    };
    assert_eq!(nats.urls(), vec![nats.url(0)]);
    assert!(nats.dir().join("n0.conf").is_file());
    let js = jetstream::new(nats.client().await);
    create_stream(&nats, &js, "probe").await;
    let ack = publish(&js, "one").await.expect("publish");
    assert_eq!(ack.sequence, 1);
    assert_eq!(nats.stream_leader("probe").await, Some(0));
    assert_eq!(nats.stream_messages(0, "probe").await, Some(1));
}

/// The `[cluster]` section the harness writes for a node is one warroom's
/// own config parser takes, naming every server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cluster_section_names_every_server() {
    let Some(nats) = NatsCluster::single().await else {
        return;
    };
    let text = format!("{SALE_TOML}{}", nats.cluster_toml("sale", 1, "a"));
    let cfg = warroom::config::parse_str(&text, "node-a.toml", std::path::Path::new("."))
        .expect("the harness's [cluster] section parses");
    let cluster = cfg.cluster.expect("cluster mode");
    assert_eq!(cluster.nats, nats.urls());
    assert_eq!((cluster.stream.as_str(), cluster.replicas), ("sale", 1));
    assert_eq!(cluster.node.as_deref(), Some("a"));
}
