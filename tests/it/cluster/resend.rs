//! A publish whose acknowledgement is lost: the stream stored the batch,
//! the node heard nothing within an attempt and sent it again, and the
//! stream answered the second attempt "duplicate" with the first one's
//! sequence. The reply must still say what this batch did — its events
//! were new — not count them as duplicates (docs/api.md, What a `200`
//! means in cluster mode: `accepted` and `duplicates` are exact).
//!
//! The acknowledgement is held back by a TCP relay between the node and
//! its NATS server that stops passing the server's bytes for a while: the
//! server stores the batch and answers at once, the node reads the answer
//! only after its attempt timed out.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::node::{Node, get, post, sale_toml, starts_now};
use crate::nats::NatsCluster;

/// Relays connections to `upstream`; while `hold` is set, what the server
/// sends waits in the relay (nothing is lost, only late).
async fn relay(upstream: String, hold: Arc<AtomicBool>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
    let addr = listener.local_addr().expect("relay address");
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(&upstream).await else {
                continue;
            };
            let (mut cr, mut cw) = client.into_split();
            let (mut sr, mut sw) = server.into_split();
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut cr, &mut sw).await;
            });
            let hold = hold.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    while hold.load(SeqCst) {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    match sr.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            // Read before the hold began, passed after it.
                            while hold.load(SeqCst) {
                                tokio::time::sleep(Duration::from_millis(10)).await;
                            }
                            if cw.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    format!("nats://{addr}")
}

/// `n` new orders stamped now.
fn orders(tag: &str, n: usize) -> String {
    let now = chrono::Utc::now().timestamp_millis();
    (0..n)
        .map(|i| {
            format!(
                r#"{{"type":"order","id":"{tag}-{i}","ts":{now},"store":"s1","buyer":"b{i}","items":[{{"sku":"k02","qty":1,"price":"10.00"}}]}}"#
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn metric(client: &reqwest::Client, base: &str, name: &str) -> Option<u64> {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find(|l| l.starts_with(&format!("{name}{{")))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_stored_by_an_attempt_whose_ack_was_lost_is_reported_accepted() {
    let Some(nats) = NatsCluster::single().await else {
        return;
    };
    let hold = Arc::new(AtomicBool::new(false));
    let upstream = nats.url(0);
    let upstream = upstream
        .strip_prefix("nats://")
        .unwrap_or(&upstream)
        .to_string();
    let url = relay(upstream, hold.clone()).await;
    let section = format!(
        "\n[cluster]\nnats = [{url:?}]\nstream = \"WR_LOST_ACK\"\nreplicas = 1\nnode = \"a\"\nack_timeout_ms = 15000\n"
    );
    let root = tempfile::tempdir().expect("tempdir");
    let mut a = Node::new(root.path(), "a", &sale_toml(starts_now()), "", &section);
    a.start();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("HTTP client");
    a.ready(&client).await;

    // A first batch with nothing held: the ordinary path.
    let (status, _, first) = post(&client, &a.base, &orders("plain", 5))
        .await
        .expect("post");
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["accepted"], 5, "{first}");

    // The server's answers wait in the relay for longer than one publish
    // attempt (2 s): the node sends the batch again.
    hold.store(true, SeqCst);
    let (c, base, body) = (client.clone(), a.base.clone(), orders("held", 20));
    let reply = tokio::spawn(async move { post(&c, &base, &body).await });
    tokio::time::sleep(Duration::from_millis(3500)).await;
    hold.store(false, SeqCst);
    let (status, _, reply) = reply.await.expect("join").expect("post");
    assert_eq!(status, 200, "{reply}\n{}", a.log());
    let resends = metric(&client, &a.base, "warroom_cluster_resends_total").await;
    assert!(
        resends.unwrap_or(0) >= 1,
        "the node must have sent the batch again (resends {resends:?})"
    );
    assert_eq!(
        (&reply["accepted"], &reply["duplicates"]),
        (&serde_json::json!(20), &serde_json::json!(0)),
        "the batch was new: its first attempt stored it: {reply}"
    );
    let s = get(&client, &a.base, "/api/v1/summary").await;
    assert_eq!(s["events_applied"], 25, "{s}");
    assert_eq!(s["duplicates"], 0, "{s}");

    // The same body again, from a client: now every event is a duplicate.
    let again = orders("held", 20);
    let (status, _, dup) = post(&client, &a.base, &again).await.expect("post");
    assert_eq!(status, 200, "{dup}");
    assert_eq!(dup["duplicates"], 20, "{dup}");
    assert_eq!(dup["accepted"], 0, "{dup}");
}
