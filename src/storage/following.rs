//! `Storage::open_following`: a cluster node's data directory. The
//! stream is the log, so the directory holds checkpoints and key files
//! numbered by stream sequence, and `stream.json` says which stream (name
//! and creation time) they follow; a directory that follows another
//! stream, or holds a single node's log, is refused by name.

use std::path::Path;
use std::sync::Arc;

use super::handle::{Storage, Tail};
use super::opening::{self, Opening};
use super::recovery::{self, Recovered, RecoveryError};
use super::stream_file;
use crate::cluster::Progress;
use crate::config::StorageConfig;
use crate::engine::Engine;

impl Storage {
    /// Cluster mode: checks that `dir` belongs to this sale and follows
    /// `stream` (created at `created_ns`), loads its newest checkpoint and
    /// sets `progress` there; checkpoints are then numbered by stream
    /// sequence and the directory keeps no log (the stream is the log).
    pub fn open_following(
        cfg: &StorageConfig,
        dir: &Path,
        engine: Engine,
        opening: Opening,
        stream: (&str, i128),
        progress: Arc<Progress>,
    ) -> Result<(Storage, Recovered), RecoveryError> {
        let wrong = |reason: String| RecoveryError::WrongLog {
            dir: dir.to_path_buf(),
            reason,
        };
        let found = opening::check(dir, &engine, opening)?;
        std::fs::create_dir_all(dir).map_err(|e| RecoveryError::Io(dir.to_path_buf(), e))?;
        let segments =
            recovery::segments(dir).map_err(|e| RecoveryError::Io(dir.to_path_buf(), e))?;
        if !segments.is_empty() {
            return Err(wrong(
                "holds a local log (wal-*.log) from a single-node start; a cluster node keeps no log here. Give the node an empty data directory (or one copied from another node of this cluster)".into(),
            ));
        }
        let checkpoints =
            super::checkpoint::list(dir).map_err(|e| RecoveryError::Io(dir.to_path_buf(), e))?;
        match stream_file::read(dir) {
            Ok(Some(have)) if (have.stream.as_str(), have.created_ns) != stream => {
                return Err(wrong(format!(
                    "follows stream {} created at {}ns, but the stream {} now was created at {}ns: it was deleted and created again, so its sequences name other batches. Start on an empty data directory",
                    have.stream, have.created_ns, stream.0, stream.1
                )));
            }
            Ok(Some(_)) => {}
            Ok(None) if !checkpoints.is_empty() => {
                return Err(wrong(
                    "holds checkpoints but no stream.json: it is not known which stream they follow".into(),
                ));
            }
            Ok(None) => {}
            Err(source) => {
                return Err(RecoveryError::Format {
                    file: dir.join(stream_file::STREAM_FILE),
                    source,
                });
            }
        }
        let recovered = recovery::recover_checkpoint(dir, &engine, opening.mode())?;
        stream_file::write(dir, stream.0, stream.1)
            .map_err(|e| RecoveryError::Io(dir.join(stream_file::STREAM_FILE), e))?;
        opening::record(dir, &engine, &found)?;
        progress.start_at(recovered.checkpoint_lsn);
        let at = recovered.checkpoint_lsn;
        Ok((
            Storage::with(cfg, dir, engine, Tail::Stream(progress), at),
            recovered,
        ))
    }
}
