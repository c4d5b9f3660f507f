//! The one place that builds the service: [`App`].
//!
//! `warroom serve`, `warroom demo` and the tests' server helper all go
//! through [`App::build`] and [`App::serve`], so the tests run what
//! production runs. `build` makes every handle (engine, ingest, alerts,
//! live hub, metrics) and touches nothing outside the process but the saved
//! alert book; `serve` puts the HTTP server up at once (`/healthz` answers,
//! `/readyz` says "recovering"), then [`App::start`] recovers the data
//! directory, attaches the log behind ingest and spawns every background
//! task; when the shutdown future resolves it drains in order: the server
//! stops accepting and screens are told "going away" (and given up to
//! 5 s to say it), the demo feeder stops, alerts still queued get up to
//! 5 s, and the log writes a final checkpoint and flushes.
//!
//! The live push (the hub's tick task and every screen's socket) runs on
//! the screens runtime ([`ScreensRuntime`]), built here beside the handles,
//! on threads below ingest's priority; everything else runs on the
//! caller's runtime.
//!
//! The log behind ingest is chosen here once ([`Log`]); nothing else asks
//! whether there is a data directory.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::alerts::Alerts;
use crate::clock::SharedClock;
use crate::cluster;
use crate::config::Config;
use crate::demo::{self, DemoOptions};
use crate::engine::Engine;
use crate::export::{self, Pack};
use crate::http::{self, AppState, WebAssets};
use crate::ingest::Ingest;
use crate::live::Hub;
use crate::metrics::HttpMetrics;
use crate::screens::ScreensRuntime;
use crate::server;
use crate::shutdown::Shutdown;
use crate::sim::DemoCatalog;
use crate::storage::{self, Log, Opening, Storage};

/// How long queued alerts may still be delivered at shutdown.
const ALERT_DRAIN: Duration = Duration::from_secs(5);
/// How long a background task may take to notice the shutdown.
const TASK_DRAIN: Duration = Duration::from_secs(30);
/// How long screens may take to be told "going away" at shutdown.
const SCREEN_DRAIN: Duration = Duration::from_secs(5);

/// What a command adds to a config: how to run, not what the sale is.
#[derive(Default)]
pub struct Options {
    /// Serve the screen from this folder instead of the embedded copy.
    pub web: WebAssets,
    /// Start on a damaged log, keeping what precedes the damage.
    pub repair: bool,
    /// Whether another sale's data directory may become this sale's.
    pub adopt_data_dir: storage::Adopt,
    /// Listen on a non-loopback address without `[auth]`.
    pub allow_open: bool,
    /// Feed the demo's simulated traffic once recovered.
    pub demo: Option<(DemoCatalog, DemoOptions)>,
    /// Evaluate alert rules only when asked (`Alerts::evaluate`), not every
    /// second: for tests that step a manual clock and check what each
    /// evaluation fired. Everything else runs as in production.
    pub manual_alerts: bool,
}

/// The service: every handle, and the tasks started for it.
pub struct App {
    state: AppState,
    opening: Opening,
    manual_alerts: bool,
    demo: Option<(DemoCatalog, DemoOptions)>,
    /// Tasks that end by themselves when the shutdown fires.
    tasks: Vec<JoinHandle<()>>,
    /// The demo's traffic, which runs until stopped.
    feeder: Option<JoinHandle<()>>,
    /// The live push's threads; shut down (in the background) on drop,
    /// after the drain has let the sockets close.
    _screens: ScreensRuntime,
}

impl App {
    /// Builds every handle; starts no task (the screens runtime's threads
    /// start, idle). Needs a tokio runtime (alert hooks get their delivery
    /// workers here). Refuses a config that would serve an open server on
    /// the network.
    pub fn build(config: Config, clock: SharedClock, options: Options) -> anyhow::Result<App> {
        let listen = config.server.listen;
        if config.auth.is_none() && !listen.ip().is_loopback() && !options.allow_open {
            anyhow::bail!(
                "refusing to listen on {listen} without [auth]: anyone on the network could post events and read every figure. \
                 Add [auth] tokens, listen on 127.0.0.1, or pass --allow-open"
            );
        }
        let engine = Engine::new(Arc::new(config), clock);
        let cfg = engine.config().clone();
        let metrics = Arc::new(HttpMetrics::default());
        let ingest = Ingest::new(engine.clone(), metrics.clone());
        // Not ready until `start` has recovered the data directory and put
        // the log behind ingest: a batch accepted before that would be
        // acknowledged without being logged.
        ingest.set_ready(false);
        let alerts = Alerts::new(engine.clone(), cfg.storage.dir.as_deref());
        let hub = Hub::new(engine.clone(), alerts.clone());
        let screens = ScreensRuntime::new(ScreensRuntime::default_workers())?;
        let state = AppState {
            ingest,
            metrics,
            max_body_bytes: cfg.server.max_body_bytes,
            hub,
            screens: screens.handle().clone(),
            alerts,
            shutdown: Shutdown::default(),
            web: options.web,
            ingest_slots: Arc::new(tokio::sync::Semaphore::new(cfg.server.max_ingest_requests)),
        };
        Ok(App {
            state,
            opening: Opening {
                repair: options.repair,
                adopt: options.adopt_data_dir,
            },
            manual_alerts: options.manual_alerts,
            demo: options.demo,
            tasks: Vec::new(),
            feeder: None,
            _screens: screens,
        })
    }

    /// The handles the HTTP side (and tests) hold.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn engine(&self) -> &Engine {
        self.state.engine()
    }

    /// Recovers the data directory (if any), attaches the log behind
    /// ingest and spawns every background task: the live tick (on the
    /// screens runtime), the
    /// checkpoints and `snapshot.json`, alert rules, the demo feeder.
    /// Ingest answers 503 until this returns.
    pub async fn start(&mut self) -> anyhow::Result<()> {
        let st = &self.state;
        let engine = st.engine().clone();
        let shutdown = st.shutdown.clone();
        let tick = st.screens.enter(|| st.hub.start(shutdown.clone()));
        self.tasks.push(tick);
        let cfg = engine.config().clone();
        let log = match &cfg.storage.dir {
            _ if cfg.cluster.is_some() => {
                let (stream, tasks) =
                    cluster::join(&engine, self.opening, shutdown.clone()).await?;
                self.tasks.extend(tasks);
                // One node, the alert lease holder, decides and sends;
                // every node follows the alert journal.
                if !self.manual_alerts {
                    let progress = Some(stream.progress().clone());
                    let times = cluster::LeaseTimes::default();
                    self.tasks.extend(
                        st.alerts
                            .join_cluster(stream.link(), progress, times, shutdown.clone())
                            .await
                            .context("cannot join the cluster's alerts")?,
                    );
                }
                Log::Stream(stream)
            }
            Some(dir) => Log::Local(recover(&cfg, dir, &engine, self.opening).await?),
            None => {
                tracing::warn!(
                    "no [storage] dir: events are kept in memory only and LOST on restart"
                );
                Log::Memory
            }
        };
        if let Some(storage) = log.storage() {
            self.tasks.push(storage.start(shutdown.clone()));
            self.tasks.push(export::snapshot_task(
                engine.clone(),
                Some(st.alerts.clone()),
                storage.dir().to_path_buf(),
                Duration::from_secs(cfg.storage.snapshot_every_s),
                shutdown.clone(),
            ));
        }
        if let (Log::Stream(stream), Some(cluster)) = (&log, &cfg.cluster) {
            // Frames carry the stream sequence their figures reflect;
            // `hello` lists the nodes a screen may move to.
            st.hub.watch_stream(
                stream.progress().clone(),
                stream.link().node.clone(),
                cluster.screens.clone(),
            );
        }
        st.ingest.attach(log);
        // The screens say when the figures they show are not yet stored.
        st.hub.watch_storage(st.ingest.log().clone());
        st.ingest.set_ready(true);
        // The bus source is read by the lease holder, once ingest takes
        // batches (docs/operations.md, Reading the order bus).
        if let Some(stream) = st.ingest.log().stream() {
            match st.alerts.lease() {
                Some(lease) => self.tasks.extend(cluster::source::start(
                    stream.link().clone(),
                    st.ingest.clone(),
                    stream.source().clone(),
                    lease,
                    shutdown.clone(),
                )),
                None if cfg.cluster.as_ref().is_some_and(|c| c.source.is_some()) => {
                    tracing::warn!(
                        "[cluster] source is not read: alerts are evaluated by hand here, so there is no lease"
                    )
                }
                None => {}
            }
        }
        // Rules run once the state is whole (a half-recovered state would
        // look like a rate drop or a silent feed).
        if !self.manual_alerts && cfg.cluster.is_none() {
            self.tasks.push(st.alerts.start(shutdown.clone()));
        }
        if let Some((catalog, opts)) = self.demo.take() {
            self.feeder = Some(tokio::spawn(demo::feed(st.ingest.clone(), catalog, opts)));
        }
        Ok(())
    }

    /// Serves on `listener` until `stop` resolves (or the app's own
    /// shutdown fires), starting the app meanwhile; then drains in order.
    /// `ready` is called with the address once the server is up.
    pub async fn serve(
        mut self,
        listener: TcpListener,
        stop: impl Future<Output = ()> + Send + 'static,
        ready: impl FnOnce(SocketAddr),
    ) -> anyhow::Result<()> {
        let addr = listener.local_addr()?;
        let shutdown = self.state.shutdown.clone();
        let header_timeout = Duration::from_millis(self.engine().config().server.header_timeout_ms);
        let trigger = shutdown.clone();
        let stopped = async move {
            tokio::select! {
                () = stop => {}
                () = trigger.wait() => {}
            }
            trigger.trigger();
        };
        let server = tokio::spawn(server::run_with(
            listener,
            http::router(self.state.clone()),
            header_timeout,
            stopped,
        ));
        if self.engine().config().auth.is_none() {
            tracing::warn!(
                "no [auth]: the server is OPEN — anyone who can reach {addr} may post events and read every figure"
            );
        }
        ready(addr);
        if let Err(e) = self.start().await {
            shutdown.trigger();
            let _ = server.await;
            return Err(e);
        }
        let served = server.await;
        self.drain().await;
        served?.context("server failed")
    }

    /// After the server stopped: background tasks end, queued alerts get
    /// their last chance, the log checkpoints and flushes.
    async fn drain(&mut self) {
        self.state.shutdown.trigger();
        if let Some(feeder) = self.feeder.take() {
            feeder.abort();
        }
        // The sockets' "going away" is sent from the screens runtime, over
        // connections the main runtime's reactor drives: both must still
        // run until it is out.
        if !self.state.screens.closed(SCREEN_DRAIN).await {
            tracing::warn!(
                open = self.state.screens.open(),
                "some screens were not told \"going away\" within {SCREEN_DRAIN:?}"
            );
        }
        // Each task notices the shutdown within a second; a checkpoint in
        // progress is let finish before the final one starts.
        for task in self.tasks.drain(..) {
            if tokio::time::timeout(TASK_DRAIN, task).await.is_err() {
                tracing::warn!("a background task did not stop within {TASK_DRAIN:?}");
            }
        }
        let left = self.state.alerts.drain(ALERT_DRAIN).await;
        if left > 0 {
            tracing::warn!(left, "alerts still undelivered at the shutdown deadline");
        }
        if let Some(storage) = self.state.ingest.log().storage().cloned() {
            match tokio::task::spawn_blocking(move || storage.close()).await {
                Ok(()) => tracing::info!("log flushed and checkpoint written"),
                Err(e) => tracing::error!(error = %e, "final checkpoint task failed"),
            }
        }
    }
}

/// Recovers `engine` from `dir` on a blocking thread and opens the log.
async fn recover(
    cfg: &Config,
    dir: &Path,
    engine: &Engine,
    opening: Opening,
) -> anyhow::Result<Storage> {
    let (storage_cfg, dir_owned, engine) = (cfg.storage.clone(), dir.to_path_buf(), engine.clone());
    let (storage, r) = tokio::task::spawn_blocking(move || {
        Storage::open(&storage_cfg, &dir_owned, engine, opening)
    })
    .await?
    .context("recovery failed")?;
    tracing::info!(
        dir = %storage.dir().display(),
        checkpoint = r.checkpoint_lsn,
        keys = r.keys,
        records = r.records,
        events = r.events,
        torn_bytes = r.torn_bytes,
        dropped_records = r.dropped.records,
        dropped_events = r.dropped.events,
        dropped_bytes = r.dropped.bytes,
        ms = r.millis,
        fsync = ?cfg.storage.fsync,
        "recovered"
    );
    Ok(storage)
}

/// The review pack of a data directory, read offline without changing it
/// (`warroom export --data-dir`). Blocking.
pub fn export_offline(dir: &Path) -> anyhow::Result<Pack> {
    let engine = storage::load_readonly(dir).map_err(anyhow::Error::msg)?;
    let alerts = crate::alerts::load_book(dir).recent(1000);
    Ok(export::build(&engine, alerts))
}
