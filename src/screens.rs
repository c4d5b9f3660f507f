//! The screens runtime: the live push on its own threads, below ingest.
//!
//! Ingest's acknowledgements and the screens' frames used to share one
//! tokio runtime, so a tick that woke 10,000 socket tasks put 10,000 sends
//! in the run queues ahead of the next ingest request (docs/scaling.md,
//! Ingest first). Here the hub's tick task and every live socket's task run
//! on a runtime of their own whose worker threads lower their OS priority
//! at start ([`NICE_STEPS`] below the process; per thread on Linux). The
//! kernel then gives ingest's threads the CPU whenever they want it, and the
//! screens what is left: when the machine runs short, screens get fewer
//! frames, not ingest fewer cycles.
//!
//! The HTTP accept loop, ingest and the socket upgrade stay on the main
//! runtime; the upgraded socket is handed over with [`Screens::spawn`]. Its
//! TCP stream stays registered with the main runtime's reactor (a tokio I/O
//! resource keeps the driver it was registered with and wakes whichever
//! task polls it, on any runtime); only readiness events cross over, the
//! sending and framing run here.
//!
//! [`ScreensRuntime`] owns the runtime (held by `app::App`); [`Screens`] is
//! the cheap handle the HTTP side and the hub spawn on. A runtime must not
//! be dropped in async context, so the owner shuts it down in the background.

use std::future::Future;
use std::sync::Arc;
#[cfg(target_os = "linux")]
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::Duration;

use tokio::runtime::{Handle, Runtime};
use tokio::sync::watch;

/// How far below the rest of the process the screens' threads run. Nice 10
/// weighs 110 against nice 0's 1024 in the kernel's fair scheduler: about
/// 10 % of a core while ingest wants it, all of an idle one otherwise.
pub const NICE_STEPS: i32 = 10;
/// The name of the screens' threads (as `top -H` and `ps -L` show it; Linux
/// keeps 15 bytes).
pub const THREAD_NAME: &str = "warroom-screens";

/// Why the screens runtime could not be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot start the screens' threads: {0}")]
pub struct ScreensError(#[from] std::io::Error);

/// Owns the screens runtime; shuts it down (without waiting) when dropped.
pub struct ScreensRuntime {
    runtime: Option<Runtime>,
    handle: Screens,
}

/// Where the live push runs: spawn a screen's task, or start the tick task
/// here. Cheap to clone.
#[derive(Clone)]
pub struct Screens {
    handle: Handle,
    /// Socket tasks still running, for the shutdown's wait.
    open: Arc<watch::Sender<usize>>,
}

impl ScreensRuntime {
    /// Starts `workers` threads (at least one) named [`THREAD_NAME`], each
    /// lowering its own priority as it starts.
    pub fn new(workers: usize) -> Result<ScreensRuntime, ScreensError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers.max(1))
            .thread_name(THREAD_NAME)
            .on_thread_start(lower_priority)
            .enable_all()
            .build()?;
        let handle = Screens {
            handle: runtime.handle().clone(),
            open: Arc::new(watch::channel(0).0),
        };
        Ok(ScreensRuntime {
            runtime: Some(runtime),
            handle,
        })
    }

    /// The default size: one worker per core. The priority, not the count,
    /// keeps ingest first; more workers only let the screens use cores
    /// ingest leaves idle.
    pub fn default_workers() -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }

    pub fn handle(&self) -> &Screens {
        &self.handle
    }
}

impl Drop for ScreensRuntime {
    fn drop(&mut self) {
        // `drop(Runtime)` blocks and panics in async context; this does not
        // wait. Sockets were told "going away" before (`Screens::closed`).
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Screens {
    /// Runs a screen's task on the screens runtime, counted until it ends.
    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.open.send_modify(|n| *n += 1);
        Slot {
            handle: self.handle.clone(),
            open: OpenGuard(self.open.clone()),
        }
        .spawn(task);
    }

    /// Takes one of `limit` places for a screen's task, or `None` when
    /// `limit` tasks are running or have their place. Checked and counted
    /// in one step, so screens upgrading at once cannot all slip under the
    /// limit; the place is counted from here until the task ends (or the
    /// slot is dropped unused).
    pub fn reserve(&self, limit: usize) -> Option<Slot> {
        let taken = self.open.send_if_modified(|n| {
            let room = *n < limit;
            if room {
                *n += 1;
            }
            room
        });
        taken.then(|| Slot {
            handle: self.handle.clone(),
            open: OpenGuard(self.open.clone()),
        })
    }

    /// Calls `start` with the screens runtime as the current one, so what it
    /// `tokio::spawn`s (the hub's tick task) runs there.
    pub fn enter<R>(&self, start: impl FnOnce() -> R) -> R {
        let _in = self.handle.enter();
        start()
    }

    /// Screen tasks still running.
    pub fn open(&self) -> usize {
        *self.open.borrow()
    }

    /// Tasks alive on the screens runtime: the tick task and every socket's.
    pub fn tasks(&self) -> usize {
        self.handle.metrics().num_alive_tasks()
    }

    /// Waits until every screen task has ended (after the shutdown told
    /// them), for at most `within`; whether they all did.
    pub async fn closed(&self, within: Duration) -> bool {
        let mut rx = self.open.subscribe();
        tokio::time::timeout(within, rx.wait_for(|&n| n == 0))
            .await
            .is_ok()
    }
}

/// A place for one screen's task on the screens runtime ([`Screens::reserve`]).
pub struct Slot {
    handle: Handle,
    open: OpenGuard,
}

impl Slot {
    /// Runs the screen's task in this place, counted until it ends.
    pub fn spawn(self, task: impl Future<Output = ()> + Send + 'static) {
        let open = self.open;
        self.handle.spawn(async move {
            let _open = open;
            task.await;
        });
    }
}

/// Counts a screen task's end, however it ends (done, panicked, dropped at
/// the runtime's shutdown).
struct OpenGuard(Arc<watch::Sender<usize>>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// The calling thread's nice value (Linux; `None` elsewhere or on error).
pub fn thread_nice() -> Option<i32> {
    #[cfg(target_os = "linux")]
    {
        rustix::process::getpriority_process(Some(rustix::thread::gettid())).ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// Lowers the calling thread's priority by [`NICE_STEPS`] (to at most 19).
/// On Linux `setpriority(PRIO_PROCESS, tid)` sets one thread, and any
/// process may lower its own priority. A failure is logged once and the
/// screens run at the process's priority; elsewhere this does nothing.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        static WARNED: AtomicBool = AtomicBool::new(false);
        let tid = rustix::thread::gettid();
        let lowered = rustix::process::getpriority_process(Some(tid)).and_then(|nice| {
            rustix::process::setpriority_process(Some(tid), (nice + NICE_STEPS).min(19))
        });
        if let Err(e) = lowered
            && !WARNED.swap(true, Relaxed)
        {
            tracing::warn!(error = %e, "cannot lower the screens' thread priority; they run at ingest's");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_run_on_named_threads_ten_steps_below_the_caller() {
        let caller = thread_nice().expect("getpriority");
        let screens = ScreensRuntime::new(1).expect("runtime");
        let (tx, rx) = std::sync::mpsc::channel();
        screens.handle().spawn(async move {
            let name = std::thread::current().name().map(str::to_owned);
            let _ = tx.send((name, thread_nice()));
        });
        let (name, nice) = rx.recv().expect("the task ran");
        assert_eq!(name.as_deref(), Some(THREAD_NAME));
        assert_eq!(nice, Some((caller + NICE_STEPS).min(19)));
        assert_eq!(thread_nice(), Some(caller), "the caller keeps its priority");
    }

    #[test]
    fn tokio_spawn_inside_enter_lands_on_the_screens_runtime() {
        let screens = ScreensRuntime::new(1).expect("runtime");
        let (tx, rx) = std::sync::mpsc::channel();
        screens.handle().enter(|| {
            tokio::spawn(async move {
                let _ = tx.send(std::thread::current().name().map(str::to_owned));
            })
        });
        assert_eq!(rx.recv().expect("ran").as_deref(), Some(THREAD_NAME));
    }

    #[test]
    fn open_counts_tasks_until_they_end() {
        let screens = ScreensRuntime::new(1).expect("runtime");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        screens.handle().spawn(async move {
            let _ = rx.await;
        });
        assert_eq!(screens.handle().open(), 1);
        let _ = tx.send(());
        let main = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        assert!(main.block_on(screens.handle().closed(Duration::from_secs(5))));
        assert_eq!(screens.handle().open(), 0);
    }
}
