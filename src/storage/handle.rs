//! [`Storage`]: the log and checkpoints of one engine, and
//! [`load_readonly`] for reading a data directory without a server.
//!
//! Ingest logs each batch under the engine lock (so the log's order is the
//! apply order) and waits for durability before it replies; a background
//! task writes a checkpoint every `checkpoint_every` seconds or
//! `checkpoint_events` events. A checkpoint copies the state under the
//! lock and does everything else — converting it to the checkpoint format,
//! writing, reading it back — beside ingest.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use super::format::checkpoint::Checkpoint;
use super::opening::{self, Opening};
use super::recovery::{self, Mode, Recovered, RecoveryError};
use super::sale_file::{self, SALE_FILE};
use super::stream_file;
use super::wal::Wal;
use super::{checkpoint, keys};
use crate::cluster::Progress;
use crate::config::StorageConfig;
use crate::engine::Engine;
use crate::shutdown::Shutdown;

/// Reads a data directory without changing it (for `warroom export
/// --data-dir`): the sale it recorded, and the state it holds.
pub fn load_readonly(dir: &Path) -> Result<Engine, String> {
    let path = dir.join(SALE_FILE);
    let record = match sale_file::read(dir) {
        Ok(Some(record)) => record,
        Ok(None) => {
            return Err(format!(
                "{}: not found (is this a warroom data directory?)",
                path.display()
            ));
        }
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let cfg = record
        .into_config()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let engine = Engine::new(Arc::new(cfg), Arc::new(crate::clock::SystemClock));
    // A cluster node's directory holds checkpoints only (the stream is its
    // log): its newest checkpoint is what it has.
    let following = stream_file::read(dir).is_ok_and(|s| s.is_some());
    if following {
        recovery::recover_checkpoint(dir, &engine, Mode::ReadOnly)
    } else {
        recovery::recover(dir, &engine, Mode::ReadOnly)
    }
    .map_err(|e| e.to_string())?;
    Ok(engine)
}

/// What a checkpoint's number counts: records of the local log, or
/// sequences of the cluster's stream (then the directory holds no log).
pub(super) enum Tail {
    Wal(Wal),
    Stream(Arc<Progress>),
}

impl Tail {
    /// The position the state reflects; read under the engine lock.
    fn end(&self) -> u64 {
        match self {
            Tail::Wal(w) => w.end(),
            Tail::Stream(p) => p.applied(),
        }
    }
}

struct Inner {
    dir: PathBuf,
    tail: Tail,
    engine: Engine,
    every: Duration,
    every_events: u64,
    checkpoint_lsn: AtomicU64,
    checkpoint_events: AtomicU64,
    checkpoints: AtomicU64,
    last_checkpoint_ms: AtomicU64,
    /// Checkpoint at the next tick, whatever the interval (records were
    /// replayed at start).
    checkpoint_soon: AtomicBool,
}

/// The log and checkpoints of one engine.
#[derive(Clone)]
pub struct Storage {
    inner: Arc<Inner>,
}

impl Storage {
    /// Checks that `dir` belongs to this sale (see `identity`), recovers
    /// `engine` from it, opens the log after it, and records the sale there
    /// (`sale.json`, in this build's format and without any secret) so the
    /// folder can be exported alone. A start that fails changes nothing.
    pub fn open(
        cfg: &StorageConfig,
        dir: &Path,
        engine: Engine,
        opening: Opening,
    ) -> Result<(Storage, Recovered), RecoveryError> {
        let found = opening::check(dir, &engine, opening)?;
        // A cluster node's directory: its checkpoints are numbered by the
        // stream's sequences, and a local log started after one would take
        // batches the stream never sees (the node's figures would part from
        // the cluster's, and the directory could not follow the stream again).
        match stream_file::read(dir) {
            Ok(None) => {}
            Ok(Some(have)) => {
                return Err(RecoveryError::WrongLog {
                    dir: dir.to_path_buf(),
                    reason: format!(
                        "belongs to a cluster node (stream.json: it follows the stream {}); a single node cannot start on it. Start this node in cluster mode ([cluster] or --nats), or give it an empty data directory",
                        have.stream
                    ),
                });
            }
            Err(source) => {
                return Err(RecoveryError::Format {
                    file: dir.join(stream_file::STREAM_FILE),
                    source,
                });
            }
        }
        let recovered = recovery::recover(dir, &engine, opening.mode())?;
        opening::record(dir, &engine, &found)?;
        let wal = Wal::open(dir, recovered.last_lsn + 1, cfg.fsync)
            .map_err(|e| RecoveryError::Io(dir.to_path_buf(), e))?;
        let storage = Storage::with(cfg, dir, engine, Tail::Wal(wal), recovered.checkpoint_lsn);
        // `--repair` went on across missing records: a checkpoint now
        // covers the gap, so a plain start reads the directory again (until
        // it is written, a plain start stops on the gap, and `--repair`
        // again gets past it).
        if recovered.gap {
            storage
                .checkpoint()
                .map_err(|e| RecoveryError::Io(dir.to_path_buf(), e))?;
        } else if recovered.last_lsn > recovered.checkpoint_lsn {
            // Records were replayed: checkpoint them soon, so the next
            // start replays less.
            storage.inner.checkpoint_soon.store(true, Relaxed);
        }
        Ok((storage, recovered))
    }

    pub(super) fn with(
        cfg: &StorageConfig,
        dir: &Path,
        engine: Engine,
        tail: Tail,
        at: u64,
    ) -> Storage {
        let applied = engine.read(|st, _| st.events_applied);
        Storage {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                tail,
                engine,
                every: Duration::from_secs(cfg.checkpoint_every_s),
                every_events: cfg.checkpoint_events,
                checkpoint_lsn: AtomicU64::new(at),
                checkpoint_events: AtomicU64::new(applied),
                checkpoints: AtomicU64::new(0),
                last_checkpoint_ms: AtomicU64::new(0),
                checkpoint_soon: AtomicBool::new(false),
            }),
        }
    }

    /// The local write-ahead log (`None` in cluster mode).
    pub fn wal(&self) -> Option<&Wal> {
        match &self.inner.tail {
            Tail::Wal(w) => Some(w),
            Tail::Stream(_) => None,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Checkpoints written since start, and how long the last one took.
    pub fn checkpoint_stats(&self) -> (u64, u64) {
        (
            self.inner.checkpoints.load(Relaxed),
            self.inner.last_checkpoint_ms.load(Relaxed),
        )
    }

    /// Writes a checkpoint of the state as of now, if the log moved since
    /// the last one. Blocking: call from a blocking thread.
    pub fn checkpoint(&self) -> std::io::Result<Option<u64>> {
        let inner = &self.inner;
        let started = Instant::now();
        // The log only grows under the engine lock, so the state and the log
        // end read together here are consistent.
        let cut_started = Instant::now();
        let Some(((lsn, events), state, new_keys)) = inner.engine.checkpoint_cut(|st| {
            let lsn = inner.tail.end();
            (lsn > inner.checkpoint_lsn.load(Relaxed)).then_some((lsn, st.events_applied))
        }) else {
            return Ok(None);
        };
        // How long ingest waited for the copy (the rest runs beside it).
        let cut_ms = cut_started.elapsed().as_millis() as u64;
        // Records up to `lsn` must be in the log files before they are
        // deleted as covered; the writer gets there within a sync interval,
        // unless the disk refuses writes: then no checkpoint now.
        while let Tail::Wal(wal) = &inner.tail {
            let progress = wal.progress();
            if progress.written >= lsn {
                break;
            }
            if let Some(e) = progress.error {
                inner.engine.untake_keys(new_keys);
                return Err(std::io::Error::other(e));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        // The new keys first: the checkpoint's key set is every key file at
        // or below its LSN. Keys not written go back for the next attempt.
        if let Err(e) = keys::write(&inner.dir, lsn, &new_keys) {
            inner.engine.untake_keys(new_keys);
            return Err(e);
        }
        let key_count = new_keys.len();
        drop(new_keys);
        // The copy becomes the checkpoint format here, outside the lock.
        let total_keys = state.checkpoint_keys;
        let cp = Checkpoint::of(lsn, state);
        let path = checkpoint::write(&inner.dir, &cp)?;
        drop(cp);
        // From here the keys are in their file: a checkpoint that fails to
        // read back is simply tried again, its key file staying valid.
        let segments = checkpoint::retire(&inner.dir, &path, lsn, total_keys)?;
        inner.checkpoint_lsn.store(lsn, Relaxed);
        inner.checkpoint_events.store(events, Relaxed);
        inner.checkpoints.fetch_add(1, Relaxed);
        let ms = started.elapsed().as_millis() as u64;
        inner.last_checkpoint_ms.store(ms, Relaxed);
        tracing::info!(
            lsn,
            events,
            keys = key_count,
            segments_dropped = segments,
            cut_ms,
            ms,
            "checkpoint written"
        );
        Ok(Some(lsn))
    }

    /// Checkpoints every `checkpoint_every` seconds or `checkpoint_events`
    /// events, until shutdown.
    pub fn start(&self, shutdown: Shutdown) -> tokio::task::JoinHandle<()> {
        let storage = self.clone();
        tokio::spawn(async move {
            let mut last = Instant::now();
            loop {
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    () = shutdown.wait() => break,
                }
                let inner = &storage.inner;
                let applied = inner.engine.read(|st, _| st.events_applied);
                let by_events = applied.saturating_sub(inner.checkpoint_events.load(Relaxed))
                    >= inner.every_events;
                let soon = inner.checkpoint_soon.swap(false, Relaxed);
                if last.elapsed() < inner.every && !by_events && !soon {
                    continue;
                }
                last = Instant::now();
                let s = storage.clone();
                match tokio::task::spawn_blocking(move || s.checkpoint()).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => {
                        tracing::error!(error = %e, "checkpoint failed; the log keeps everything meanwhile")
                    }
                    Err(e) => tracing::error!(error = %e, "checkpoint task failed"),
                }
            }
        })
    }

    /// Final checkpoint and log flush at shutdown. Blocking.
    pub fn close(&self) {
        if let Err(e) = self.checkpoint() {
            tracing::error!(error = %e, "final checkpoint failed; the log has everything");
        }
        if let Some(wal) = self.wal() {
            wal.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Ingest;

    const SECRETS: [&str; 4] = [
        "ingest-secret-token-1234",
        "admin-secret-token-5678",
        "hook-access-token-9abc",
        "SEC-hook-signing-secret-def0",
    ];

    /// Tokens, a hook URL with its access token and a signing secret are
    /// in the config; after events, checkpoints and a restart, no file of
    /// the data directory holds any of them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_secret_reaches_the_data_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = format!(
            r#"
[sale]
name = "secrets"
currency = "CNY"
timezone = "Asia/Shanghai"
starts = "2026-11-11T00:00:00+08:00"
ends = "2026-11-12T00:00:00+08:00"

[auth]
ingest = ["{}"]
admin = ["{}"]

[[alerts.hooks]]
name = "ops"
kind = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send?access_token={}"
secret = "{}"
"#,
            SECRETS[0], SECRETS[1], SECRETS[2], SECRETS[3]
        );
        let cfg = crate::config::parse_str(&text, "secrets.toml", dir.path()).expect("config");
        let data = dir.path().join("data");
        for round in 0..2 {
            let engine = Engine::new(Arc::new(cfg.clone()), Arc::new(crate::clock::SystemClock));
            let (storage, _) =
                Storage::open(&cfg.storage, &data, engine.clone(), Opening::default())
                    .expect("open");
            let ingest = Ingest::new(engine, Default::default());
            ingest.attach(crate::storage::Log::Local(storage.clone()));
            let lines: Vec<String> = (0..20)
                .map(|i| format!(r#"{{"type":"order","id":"o{round}-{i}","ts":1794326460000,"store":"s1","buyer":"b{i}","items":[{{"sku":"k1","qty":1,"price":"9.90"}}]}}"#))
                .collect();
            for (n, half) in lines.chunks(10).enumerate() {
                let reply = ingest
                    .submit_durable(half.join("\n").as_bytes(), None)
                    .await
                    .expect("batch");
                assert_eq!(reply.accepted, 10);
                if n == 0 {
                    storage.checkpoint().expect("checkpoint").expect("moved");
                }
            }
            storage.close();
        }
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&data).expect("data dir") {
            let path = entry.expect("entry").path();
            let bytes = std::fs::read(&path).expect("read");
            for secret in SECRETS {
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "{secret} found in {}",
                    path.display()
                );
            }
            names.extend(path.file_name().and_then(|n| n.to_str()).map(String::from));
        }
        for prefix in [
            SALE_FILE,
            super::super::IDENTITY_FILE,
            "checkpoint-",
            "keys-",
            "wal-",
        ] {
            assert!(
                names.iter().any(|n| n.starts_with(prefix)),
                "{prefix} in {names:?}"
            );
        }
    }
}
