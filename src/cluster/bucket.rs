//! Opening the cluster's JetStream key-value buckets (node heartbeats; the
//! alert lease), creating one on first use.
//!
//! The bucket's stream is made here as the KV layer would make it: the
//! client's `create_key_value` first asks for account details in a shape
//! NATS 2.9 does not answer in. Two nodes starting together may both try;
//! the loser opens the winner's. A new R3 cluster elects the stream's
//! leader for a few seconds, so opening is retried meanwhile.

use std::time::{Duration, Instant};

use async_nats::jetstream::{kv, stream};

use super::Link;

/// How long opening a bucket keeps trying.
const PATIENCE: Duration = Duration::from_secs(30);

/// Opens (or creates) `bucket`, whose entries expire `max_age` after
/// their last write.
pub async fn open(
    link: &Link,
    bucket: &str,
    description: &str,
    max_age: Duration,
) -> Result<kv::Store, String> {
    if let Ok(store) = link.js.get_key_value(bucket).await {
        return Ok(store);
    }
    let config = stream::Config {
        name: format!("KV_{bucket}"),
        description: Some(description.to_string()),
        subjects: vec![format!("$KV.{bucket}.>")],
        max_messages_per_subject: 1,
        max_age,
        storage: stream::StorageType::File,
        num_replicas: link.cfg.replicas,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: stream::DiscardPolicy::New,
        ..Default::default()
    };
    let started = Instant::now();
    loop {
        let created = link.js.get_or_create_stream(config.clone()).await;
        match link.js.get_key_value(bucket).await {
            Ok(store) => return Ok(store),
            Err(_) if started.elapsed() < PATIENCE => {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => {
                let created = created
                    .err()
                    .map(|c| format!("cannot create it ({c}); "))
                    .unwrap_or_default();
                return Err(format!("bucket {bucket}: {created}cannot open it ({e})"));
            }
        }
    }
}
