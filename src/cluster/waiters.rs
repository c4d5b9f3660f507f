//! [`Waiters`]: replies waiting for their batch to come back from the
//! stream and be applied on this node.
//!
//! A request registers under its message id *before* it publishes, so the
//! apply loop, which settles every waiter of a record's id once it has
//! applied the record, cannot pass it by. Each waiter leaves on every exit
//! (answered, timed out, or its acknowledgement said duplicate, where no
//! apply will ever settle it), so the table holds only requests in flight.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use parking_lot::Mutex;
use tokio::sync::oneshot;

/// What applying one record did, as the reply reports it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    pub accepted: usize,
    pub duplicates: usize,
}

/// A waiter's token and the channel its outcome goes to.
type Registered = (u64, oneshot::Sender<Outcome>);

#[derive(Default)]
pub struct Waiters {
    next: AtomicU64,
    by_id: Mutex<HashMap<String, Vec<Registered>>>,
}

/// One registered waiter; dropping it leaves the table.
pub struct Waiter<'w> {
    waiters: &'w Waiters,
    id: String,
    token: u64,
    pub rx: oneshot::Receiver<Outcome>,
}

impl Waiters {
    /// Registers a reply waiting for the record published as `id`.
    pub fn register(&self, id: String) -> Waiter<'_> {
        let token = self.next.fetch_add(1, Relaxed);
        let (tx, rx) = oneshot::channel();
        self.by_id
            .lock()
            .entry(id.clone())
            .or_default()
            .push((token, tx));
        Waiter {
            waiters: self,
            id,
            token,
            rx,
        }
    }

    /// The record published as `id` was applied with `outcome`.
    pub fn settle(&self, id: &str, outcome: Outcome) {
        let found = {
            let mut map = self.by_id.lock();
            if map.is_empty() {
                return;
            }
            map.remove(id)
        };
        for (_, tx) in found.into_iter().flatten() {
            let _ = tx.send(outcome);
        }
    }

    /// Requests in flight (for tests and metrics).
    pub fn len(&self) -> usize {
        self.by_id.lock().values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        let mut map = self.waiters.by_id.lock();
        if let Some(list) = map.get_mut(&self.id) {
            list.retain(|(t, _)| *t != self.token);
            if list.is_empty() {
                map.remove(&self.id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_settled_waiter_hears_its_outcome_and_every_waiter_leaves() {
        let w = Waiters::default();
        let mut a = w.register("x.0.1".into());
        let mut b = w.register("x.0.1".into());
        let c = w.register("y.0.1".into());
        assert_eq!(w.len(), 3);
        let out = Outcome {
            accepted: 3,
            duplicates: 1,
        };
        w.settle("x.0.1", out);
        assert_eq!((&mut a.rx).await.expect("settled"), out);
        assert_eq!((&mut b.rx).await.expect("settled"), out);
        drop((a, b));
        drop(c);
        assert!(w.is_empty());
    }
}
