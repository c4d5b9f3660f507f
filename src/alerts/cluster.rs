//! The alert side in cluster mode: one keeper task per node that follows
//! the alert journal into the book and, on the lease holder only, decides
//! and delivers (docs/operations.md, Cluster mode → Alerts).
//!
//! Every node applies the journal in order, so the history (what fired,
//! every delivery attempt, silences) is the same everywhere and the
//! screens on every node are told the same notices. Only the holder steps
//! the book: it steps a copy, appends the notices expecting the journal's
//! last sequence to be the one it applied, and keeps the copy only if all
//! were taken; a holder that had not seen everything is refused and
//! catches up first. The holder hands each notice still owed to a hook
//! (in the journal, no final delivery result yet) to that hook's worker,
//! and appends each result. A new holder first reads up to the journal's
//! end, then sends what is still owed: a notice the old holder was
//! sending when it died is sent at most once more, and never not at all.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::handle::Alerts;
use super::keeper::Keeper;
use super::worker;
use crate::cluster::{Journal, JournalError, Lease, LeaseError, LeaseTimes, Link, Progress};
use crate::config::Silence;
use crate::shutdown::Shutdown;

/// Reports and silences waiting for the keeper.
const COMMANDS: usize = 4096;

/// Why the alert side could not join the cluster.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Lease(#[from] LeaseError),
    #[error("the alert side has already joined the cluster")]
    Twice,
}

/// What the keeper is told by the rest of the alert side.
pub(super) enum Cmd {
    Report(worker::Report),
    Silence(Silence),
}

/// The cluster half of the alert handle.
pub(super) struct Clustered {
    pub(super) lease: Lease,
    cmds: mpsc::Sender<Cmd>,
}

impl Clustered {
    pub(super) fn command(&self, cmd: Cmd) {
        match self.cmds.try_send(cmd) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => tracing::error!(
                "the alert keeper is not keeping up; a delivery result or silence is lost"
            ),
            // Shutting down: the next holder re-sends what has no result.
            Err(mpsc::error::TrySendError::Closed(_)) => {
                tracing::debug!("a delivery result after the alert keeper stopped")
            }
        }
    }

    pub(super) fn report(&self, r: worker::Report) {
        self.command(Cmd::Report(r));
    }
}

impl Alerts {
    /// Cluster mode: takes part in the alert lease and follows the alert
    /// journal from its start (the journal, not `alerts.json`, is the
    /// history; the file is still written, for offline export). Evaluation
    /// is the keeper's from then on: do not also call [`Alerts::start`].
    /// `progress` is this node's apply progress: while it is catching up
    /// (or halted) the replica is not whole, and a holder decides nothing
    /// on it (a half-applied state looks like a rate drop or a silent
    /// feed); it still sends what is owed. Returns the lease and keeper
    /// tasks, which end at `shutdown`.
    pub async fn join_cluster(
        &self,
        link: &Link,
        progress: Option<Arc<Progress>>,
        times: LeaseTimes,
        shutdown: Shutdown,
    ) -> Result<Vec<JoinHandle<()>>, JoinError> {
        if self.inner.cluster.get().is_some() {
            return Err(JoinError::Twice);
        }
        let journal = Journal::open(link).await?;
        let (lease, lease_task) = Lease::start(link, times, shutdown.clone()).await?;
        {
            let mut book = self.inner.book.lock();
            let silences = self.inner.engine.config().alerts.silences.clone();
            *book = super::Book::default();
            book.silences = silences;
        }
        let (tx, rx) = mpsc::channel(COMMANDS);
        let clustered = Clustered {
            lease: lease.clone(),
            cmds: tx,
        };
        if self.inner.cluster.set(clustered).is_err() {
            return Err(JoinError::Twice);
        }
        let keeper = Keeper::new(self.clone(), journal, lease, progress);
        Ok(vec![lease_task, tokio::spawn(keeper.run(rx, shutdown))])
    }

    /// The alert lease, in cluster mode.
    pub fn lease(&self) -> Option<Lease> {
        self.inner.cluster.get().map(|c| c.lease.clone())
    }
}
