//! [`Engine`]: the cloneable handle every other part holds.
//!
//! One mutex guards the state, taken once per *batch* (never per event, never
//! across an `.await`): parsing happens before, outside it, on the request's
//! own thread, so the lock is held only for the interned, allocation-free
//! apply loop. Readers take it briefly to copy out what they show.

use std::sync::Arc;

use parking_lot::Mutex;

use super::admit::Caps;
use super::state::{Applied, State};
use crate::clock::SharedClock;
use crate::config::{Config, Sale};
use crate::event::Batch;

struct Inner {
    config: Arc<Config>,
    clock: SharedClock,
    /// The first-sight caps ingest applies with (`admit`).
    caps: Caps,
    state: Mutex<State>,
}

/// Shared handle to the sale's counters.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl Engine {
    pub fn new(config: Arc<Config>, clock: SharedClock) -> Engine {
        let state = State::new(&config);
        let listed = [
            state.channels.len(),
            state.stores.len(),
            state.skus.len(),
            0,
            state.campaigns.len(),
        ];
        let caps = Caps::new(config.server.entities, listed);
        Engine {
            inner: Arc::new(Inner {
                config,
                clock,
                caps,
                state: Mutex::new(state),
            }),
        }
    }

    pub fn config(&self) -> &Arc<Config> {
        &self.inner.config
    }

    pub fn sale(&self) -> &Sale {
        &self.inner.config.sale
    }

    pub fn now_ms(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    /// Applies a batch from the log in order (recovery), without the
    /// first-sight caps: the log holds only what they admitted when it was
    /// written, and replay must reach that same state whatever the caps
    /// are now. `stamp` is the receive time the batch was first applied
    /// with (logs before format 3 have none: then it is now), so replay
    /// reads no clock and reaches the very same state.
    pub fn replay(&self, batch: &Batch<'_>, stamp: Option<i64>) -> Applied {
        if batch.is_empty() {
            return Applied::default();
        }
        let now = stamp.unwrap_or_else(|| self.now_ms());
        self.inner
            .state
            .lock()
            .apply(batch, &self.inner.config.sale, now, None)
    }

    /// `replay`, and under the same lock `then` with what was applied: the
    /// stream's apply loop records the sequence the state now reflects, so
    /// a checkpoint cut reads the two together.
    pub fn replay_then<R>(
        &self,
        batch: &Batch<'_>,
        stamp: i64,
        then: impl FnOnce(&Applied) -> R,
    ) -> (Applied, R) {
        let mut st = self.inner.state.lock();
        let applied = st.apply(batch, &self.inner.config.sale, stamp, None);
        let r = then(&applied);
        (applied, r)
    }

    /// The events of `batch` the first-sight caps would refuse now, without
    /// applying anything (cluster mode checks them on the node that takes
    /// the request, before the batch is published; see `admit`).
    pub fn refused_by_caps(&self, batch: &Batch<'_>) -> Vec<super::Refused> {
        let mut refused = Vec::new();
        let st = self.inner.state.lock();
        let mut scratch = super::admit::Resolved::default();
        st.resolve(batch, Some(&self.inner.caps), &mut scratch, &mut refused);
        refused
    }

    /// Applies a batch at the clock's now, without caps (benchmarks and
    /// tests of the engine alone).
    pub fn apply(&self, batch: &Batch<'_>) -> Applied {
        self.replay(batch, None)
    }

    /// Applies a batch from a client, with the first-sight caps, and, under
    /// the same lock, runs `then` with the receive time it was applied at
    /// (the log append: records must be logged in exactly the order
    /// batches are applied, stamped with that time, and hold only the
    /// events applied — `Applied::refused` says which were not).
    pub fn apply_and<R>(
        &self,
        batch: &Batch<'_>,
        then: impl FnOnce(&Applied, i64) -> R,
    ) -> (Applied, R) {
        let mut st = self.inner.state.lock();
        // Read under the lock, so stamps rise in log order.
        let now = self.now_ms();
        let caps = Some(&self.inner.caps);
        let applied = st.apply(batch, &self.inner.config.sale, now, caps);
        let r = then(&applied, now);
        (applied, r)
    }

    /// Replaces the whole state (recovery from a checkpoint), adding the
    /// config's campaigns the checkpoint does not hold.
    pub fn replace_state(&self, mut state: State) {
        state.reindex();
        state.configure_campaigns(&self.inner.config);
        *self.inner.state.lock() = state;
    }

    /// For a checkpoint, at one instant: when `at` (given the state) says
    /// so, a copy of the state without its key set, and the keys added since
    /// the last checkpoint (see `State::checkpoint_copy`).
    pub fn checkpoint_cut<R>(
        &self,
        at: impl FnOnce(&State) -> Option<R>,
    ) -> Option<(R, State, Vec<u128>)> {
        let mut st = self.inner.state.lock();
        let r = at(&st)?;
        let (copy, keys) = st.checkpoint_copy();
        Some((r, copy, keys))
    }

    /// Gives back the new keys of a checkpoint that failed.
    pub fn untake_keys(&self, keys: Vec<u128>) {
        self.inner.state.lock().untake_keys(keys);
    }

    /// From now on the state remembers new keys for the next checkpoint.
    pub fn track_new_keys(&self) {
        self.inner.state.lock().track_new_keys();
    }

    /// Runs `f` on the state at one instant; keep `f` short.
    pub fn read<R>(&self, f: impl FnOnce(&State, i64) -> R) -> R {
        let now = self.now_ms();
        let st = self.inner.state.lock();
        f(&st, now)
    }
}
