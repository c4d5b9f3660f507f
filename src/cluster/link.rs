//! [`Link`]: this node's connection to NATS and the sale's stream.
//!
//! On start a node connects (trying every listed server, for up to a
//! minute), then creates the stream if it is missing or checks that the
//! existing one is fit to be the log: file storage, the configured
//! replicas, delete and purge denied, a duplicate window, a retention
//! long enough for the sale. A stream that does not fit is refused with
//! every difference named; warroom never changes a stream it did not
//! create to fit. An R3 stream is ready a few seconds after its servers
//! start, so creation is retried meanwhile.

use std::time::{Duration, Instant};

use async_nats::jetstream::{self, stream};

use crate::config::{ClusterConfig, NatsAuth, Sale, shown_urls};

/// How long a start keeps trying to reach NATS and the stream.
const START_PATIENCE: Duration = Duration::from_secs(60);
/// Retention beyond the sale's end: the review is exported from a replica
/// days later, and a node may join from sequence 1 until then.
const RETENTION_MARGIN: Duration = Duration::from_secs(30 * 86_400);

/// Why a node cannot use NATS.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("cannot reach NATS at {urls}: {reason}")]
    Connect { urls: String, reason: String },
    #[error("stream {stream}: {reason}")]
    Stream { stream: String, reason: String },
    #[error(
        "stream {stream} exists but cannot be this sale's log: {}. Fix it with the nats CLI, or set [cluster] stream to another name",
        problems.join("; ")
    )]
    Mismatch {
        stream: String,
        problems: Vec<String>,
    },
}

/// The connection, the JetStream context and the names this node uses.
#[derive(Clone)]
pub struct Link {
    pub client: async_nats::Client,
    pub js: jetstream::Context,
    pub cfg: ClusterConfig,
    /// This node's name (status, metrics, the alert lease).
    pub node: String,
    /// The subject batches are published to (the stream's only subject).
    pub subject: String,
    /// What makes this stream this stream: its name and creation time, so
    /// a deleted-and-recreated stream of the same name is told apart.
    pub identity: StreamIdentity,
    /// A digest of this node's sale and catalog (`storage::sale_fingerprint`),
    /// compared in status: apply reads the catalog, so nodes must share it.
    pub sale_fingerprint: String,
}

/// A stream's name and the instant it was created.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StreamIdentity {
    pub name: String,
    /// Creation time, nanoseconds since the epoch, as the server reports it.
    pub created_ns: i128,
}

impl std::fmt::Display for StreamIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = (self.created_ns / 1_000_000_000) as i64;
        match chrono::DateTime::from_timestamp(secs, 0) {
            Some(t) => write!(f, "{} (created {})", self.name, t.to_rfc3339()),
            None => write!(f, "{} (created {}ns)", self.name, self.created_ns),
        }
    }
}

/// The subject a stream's batches go to.
pub fn subject_of(stream: &str) -> String {
    format!("warroom.{stream}.batches")
}

impl Link {
    /// Connects and makes sure the stream is there and fit.
    pub async fn open(cfg: &ClusterConfig, sale: &Sale, node: String) -> Result<Link, LinkError> {
        let client = connect(cfg, &node).await?;
        let mut js = jetstream::new(client.clone());
        js.set_timeout(Duration::from_millis(cfg.ack_timeout_ms.max(1_000)));
        let subject = subject_of(&cfg.stream);
        let info = ensure_stream(&js, cfg, sale, &subject).await?;
        Ok(Link {
            client,
            js,
            cfg: cfg.clone(),
            node,
            subject,
            identity: StreamIdentity {
                name: info.config.name.clone(),
                created_ns: info.created.unix_timestamp_nanos(),
            },
            sale_fingerprint: String::new(),
        })
    }

    /// The largest message the servers take (batches are split below it).
    pub fn max_payload(&self) -> usize {
        self.client.max_payload()
    }
}

async fn connect(cfg: &ClusterConfig, node: &str) -> Result<async_nats::Client, LinkError> {
    // Logged and put in errors: without any password a URL may carry.
    let urls = shown_urls(&cfg.nats);
    let started = Instant::now();
    loop {
        let mut opts = async_nats::ConnectOptions::new()
            .name(format!("warroom-{node}"))
            .connection_timeout(Duration::from_secs(5))
            .max_reconnects(None::<usize>);
        opts = match &cfg.auth {
            NatsAuth::None => opts,
            NatsAuth::Token(t) => opts.token(t.expose().to_string()),
            NatsAuth::User { user, password } => {
                opts.user_and_password(user.clone(), password.expose().to_string())
            }
        };
        match opts.connect(cfg.nats.as_slice()).await {
            Ok(client) => return Ok(client),
            Err(e) if started.elapsed() < START_PATIENCE => {
                tracing::warn!(%urls, error = %e, "NATS not reachable yet; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => {
                return Err(LinkError::Connect {
                    urls,
                    reason: e.to_string(),
                });
            }
        }
    }
}

/// The stream as warroom creates it for `sale`.
pub fn wanted(cfg: &ClusterConfig, sale: &Sale, subject: &str) -> stream::Config {
    stream::Config {
        name: cfg.stream.clone(),
        subjects: vec![subject.to_string()],
        storage: stream::StorageType::File,
        num_replicas: cfg.replicas,
        duplicate_window: Duration::from_secs(cfg.duplicate_window_s),
        max_age: retention(sale),
        deny_delete: true,
        deny_purge: true,
        discard: stream::DiscardPolicy::New,
        description: Some(format!("warroom: the log of sale {:?}", sale.name)),
        ..Default::default()
    }
}

/// The sale's length plus a margin.
fn retention(sale: &Sale) -> Duration {
    let span = (sale.ends_ms - sale.starts_ms).max(0) as u64;
    Duration::from_millis(span) + RETENTION_MARGIN
}

/// What is wrong with an existing stream as this sale's log (empty: fit).
pub fn problems(have: &stream::Config, want: &stream::Config) -> Vec<String> {
    let mut out = Vec::new();
    if !have.subjects.iter().any(|s| s == &want.subjects[0]) {
        out.push(format!(
            "its subjects {:?} do not include {:?}",
            have.subjects, want.subjects[0]
        ));
    }
    if have.storage != stream::StorageType::File {
        out.push("it keeps messages in memory, not in files".into());
    }
    if have.num_replicas != want.num_replicas {
        out.push(format!(
            "it has {} replicas, [cluster] replicas says {}",
            have.num_replicas, want.num_replicas
        ));
    }
    if !have.deny_delete || !have.deny_purge {
        out.push("deleting or purging messages is allowed (a node would see a gap)".into());
    }
    if have.duplicate_window.is_zero() {
        out.push("it has no duplicate window (a client's retry would be stored twice)".into());
    }
    if !have.max_age.is_zero() && have.max_age < want.max_age - RETENTION_MARGIN {
        out.push(format!(
            "it keeps messages {}s, less than the sale lasts",
            have.max_age.as_secs()
        ));
    }
    if have.max_messages > 0 || have.max_bytes > 0 || have.max_messages_per_subject > 0 {
        out.push("it has a message or byte limit (old batches would be dropped)".into());
    }
    if have.retention != stream::RetentionPolicy::Limits {
        out.push("its retention is not 'limits' (consumers would remove batches)".into());
    }
    out
}

async fn ensure_stream(
    js: &jetstream::Context,
    cfg: &ClusterConfig,
    sale: &Sale,
    subject: &str,
) -> Result<stream::Info, LinkError> {
    let want = wanted(cfg, sale, subject);
    let started = Instant::now();
    let err = |reason: String| LinkError::Stream {
        stream: cfg.stream.clone(),
        reason,
    };
    loop {
        let attempt = async {
            match js.get_stream(&cfg.stream).await {
                Ok(mut s) => {
                    let info = s.info().await.map_err(|e| e.to_string())?.clone();
                    Ok((info, false))
                }
                Err(e) if !stream_missing(&e) => Err(explained(&e).into()),
                Err(_) => {
                    let mut s = match js.create_stream(want.clone()).await {
                        Ok(s) => s,
                        Err(e) if replicas_unsupported(&e) => {
                            return Err(Permanent(format!(
                                "the NATS servers at {} are not a JetStream cluster, so the stream cannot have {} replicas: set [cluster] replicas = 1 for a single NATS server, or list the servers of a JetStream cluster of at least {} ({e})",
                                shown_urls(&cfg.nats),
                                cfg.replicas,
                                cfg.replicas
                            )));
                        }
                        Err(e) => return Err(e.to_string().into()),
                    };
                    Ok((s.info().await.map_err(|e| e.to_string())?.clone(), true))
                }
            }
        };
        match attempt.await {
            Ok((info, created)) => {
                if created {
                    tracing::info!(stream = %cfg.stream, replicas = cfg.replicas, "stream created");
                }
                let problems = problems(&info.config, &want);
                if !problems.is_empty() {
                    return Err(LinkError::Mismatch {
                        stream: cfg.stream.clone(),
                        problems,
                    });
                }
                return Ok(info);
            }
            Err(Permanent(reason)) => return Err(err(reason)),
            Err(Passing(reason)) if started.elapsed() < START_PATIENCE => {
                tracing::warn!(stream = %cfg.stream, %reason, "stream not ready yet; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(Passing(reason)) => return Err(err(reason)),
        }
    }
}

/// Why a try at the stream failed: worth another try (a fresh cluster
/// still placing it, a leader election), or not (retrying for a minute
/// would only delay the same answer).
enum Attempt {
    Passing(String),
    Permanent(String),
}
use Attempt::{Passing, Permanent};

impl From<String> for Attempt {
    fn from(reason: String) -> Attempt {
        Passing(reason)
    }
}

/// A replica count the servers cannot hold: a single server, not a cluster.
fn replicas_unsupported(e: &jetstream::context::CreateStreamError) -> bool {
    matches!(
        e.kind(),
        jetstream::context::CreateStreamErrorKind::JetStream(j)
            if j.error_code() == jetstream::ErrorCode::STREAM_REPLICAS_NOT_SUPPORTED
    )
}

/// The error, with what "no responders" usually means here.
fn explained(e: &jetstream::context::GetStreamError) -> String {
    let text = e.to_string();
    if text.contains("does not exist") {
        // No server answered the JetStream API: not started yet, or
        // started without JetStream.
        format!("{text} (no JetStream answered: is nats-server run with -js / a jetstream block?)")
    } else {
        text
    }
}

fn stream_missing(e: &jetstream::context::GetStreamError) -> bool {
    matches!(
        e.kind(),
        jetstream::context::GetStreamErrorKind::JetStream(j)
            if j.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND
    )
}
