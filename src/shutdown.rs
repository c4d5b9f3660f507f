//! A shutdown notice every long-lived task can wait on.
//!
//! axum's graceful shutdown stops accepting and lets requests finish, but an
//! upgraded WebSocket is not a request: each socket task waits on a
//! [`Shutdown`] and closes itself ("going away") when it fires.

use tokio::sync::watch;

/// Cloneable; `trigger` on any clone wakes every `wait`.
#[derive(Clone)]
pub struct Shutdown {
    tx: watch::Sender<bool>,
    rx: watch::Receiver<bool>,
}

impl Default for Shutdown {
    fn default() -> Shutdown {
        let (tx, rx) = watch::channel(false);
        Shutdown { tx, rx }
    }
}

impl Shutdown {
    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }

    pub fn is_triggered(&self) -> bool {
        *self.rx.borrow()
    }

    /// Resolves once `trigger` has been called (at once if it was).
    pub async fn wait(&self) {
        let mut rx = self.rx.clone();
        let _ = rx.wait_for(|&down| down).await;
    }
}
