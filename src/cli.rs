//! The command line: `serve`, `demo`, `check-config`.
//!
//! Flags are parsed by clap into [`Cli`]; `serve` and `demo` both end in
//! [`Launch::run`]: bind, serve at once (`/healthz` answers, `/readyz` says
//! "recovering"), recover from the data directory, then accept events;
//! on Ctrl-C/SIGTERM stop accepting, close the screens, write a final
//! checkpoint and flush the log. Start-up errors are `anyhow` with context.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

use crate::clock::SystemClock;
use crate::config::{self, Config, ServerConfig};
use crate::demo::{self, DemoOptions};
use crate::engine::Engine;
use crate::http::{AppState, WebAssets, app};
use crate::server;
use crate::shutdown::Shutdown;
use crate::sim::DemoCatalog;
use crate::storage::Storage;

#[derive(Debug, Parser)]
#[command(name = "warroom", version, about = "Live sales war-room server")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve a sale described by a config file.
    Serve {
        /// The sale's TOML config.
        #[arg(long)]
        config: PathBuf,
        /// Address to listen on (overrides [server] listen).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Data directory (overrides [storage] dir).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Start even if the log is damaged, keeping what precedes the damage.
        #[arg(long)]
        repair: bool,
        /// Listen on a non-loopback address even without [auth].
        #[arg(long)]
        allow_open: bool,
        /// Serve the screen from this folder instead of the embedded copy.
        #[arg(long)]
        web_dir: Option<PathBuf>,
    },
    /// Run the built-in demo sale with a simulated midnight spike.
    Demo {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Peak events per second at "midnight" (decays to 15 % of it); 0 runs
        /// the demo sale with no simulated traffic.
        #[arg(long, default_value_t = 2000)]
        rate: u32,
        /// Seed of the simulated traffic.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Keep the data here (default: a temporary directory, removed at exit).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Every reply waits for fsync (default: `interval`, synced every 100 ms).
        #[arg(long)]
        fsync_always: bool,
        /// Listen on a non-loopback address (the demo has no [auth]).
        #[arg(long)]
        allow_open: bool,
        /// Serve the screen from this folder instead of the embedded copy.
        #[arg(long)]
        web_dir: Option<PathBuf>,
    },
    /// Write the post-event pack (复盘): JSON, CSV, charts, report.html.
    Export {
        /// A running server to export from.
        #[arg(
            long,
            conflicts_with = "data_dir",
            required_unless_present = "data_dir"
        )]
        url: Option<String>,
        /// A data directory to export from, offline (it is not changed).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Where to write the files.
        #[arg(long)]
        out: PathBuf,
    },
    /// Check a config file and exit: 0 when valid, 1 with the reason if not.
    CheckConfig {
        /// The config file.
        file: PathBuf,
    },
}

/// Runs one command to completion.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::CheckConfig { file } => {
            let cfg = config::load_file(&file)?;
            println!(
                "{}: ok — sale {:?}, {} channels, {} stores, {} SKUs",
                file.display(),
                cfg.sale.name,
                cfg.channels.len(),
                cfg.stores.len(),
                cfg.skus.len()
            );
            Ok(())
        }
        Command::Export { url, data_dir, out } => export(url, data_dir, out).await,
        Command::Serve {
            config,
            listen,
            data_dir,
            repair,
            allow_open,
            web_dir,
        } => {
            let mut cfg = config::load_file(&config)?;
            if let Some(l) = listen {
                cfg.server.listen = l;
            }
            if data_dir.is_some() {
                cfg.storage.dir = data_dir;
            }
            let name = cfg.sale.name.clone();
            let launch = Launch {
                cfg,
                web: WebAssets { dir: web_dir },
                repair,
                allow_open,
                demo: None,
            };
            launch
                .run(|addr| println!("warroom: serving {name:?} on http://{addr}  (screen at /, POST /api/v1/events)"))
                .await
        }
        Command::Demo {
            listen,
            rate,
            seed,
            data_dir,
            fsync_always,
            allow_open,
            web_dir,
        } => {
            let opts = DemoOptions { rate, seed };
            let server = ServerConfig {
                listen,
                ..ServerConfig::default()
            };
            let (mut cfg, catalog) =
                demo::demo_config(chrono::Utc::now().timestamp_millis(), &opts, server);
            // The demo keeps its log in a temporary directory unless told otherwise.
            let temp = match &data_dir {
                Some(_) => None,
                None => Some(
                    tempfile::Builder::new()
                        .prefix("warroom-demo-")
                        .tempdir()
                        .context("cannot create a temporary data directory")?,
                ),
            };
            cfg.storage.dir = data_dir.or_else(|| temp.as_ref().map(|t| t.path().to_path_buf()));
            if fsync_always {
                cfg.storage.fsync = config::FsyncMode::Always;
            }
            let dir = cfg.storage.dir.clone().unwrap_or_default();
            let launch = Launch {
                cfg,
                web: WebAssets { dir: web_dir },
                repair: false,
                allow_open,
                demo: (rate > 0).then_some((catalog, opts)),
            };
            let result = launch
                .run(|addr| {
                    println!("warroom demo: a simulated Double 11 midnight, peak {rate} events/s");
                    println!("  screen  http://{addr}/          (?lang=en  ?store=s0001  ?channel=tmall)");
                    println!("  API     http://{addr}/api/v1/summary");
                    println!("          http://{addr}/api/v1/skus?sort=sellout&limit=10");
                    println!("  feed    curl -XPOST http://{addr}/api/v1/events --data-binary @tests/data/events.ndjson");
                    println!("  data    {}", dir.display());
                    println!("  stop    Ctrl-C");
                })
                .await;
            drop(temp);
            result
        }
    }
}

async fn export(
    url: Option<String>,
    data_dir: Option<PathBuf>,
    out: PathBuf,
) -> anyhow::Result<()> {
    let names = match (url, data_dir) {
        (Some(url), _) => {
            let url = format!("{}/api/v1/export", url.trim_end_matches('/'));
            let r = reqwest::get(&url)
                .await
                .with_context(|| format!("cannot reach {url}"))?;
            anyhow::ensure!(r.status().is_success(), "{url}: HTTP {}", r.status());
            let zip = r.bytes().await.with_context(|| format!("reading {url}"))?;
            crate::export::unzip_into(&zip, &out)
                .with_context(|| format!("writing {}", out.display()))?
        }
        (None, Some(dir)) => {
            let out2 = out.clone();
            tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<String>> {
                let engine = crate::storage::load_readonly(&dir).map_err(anyhow::Error::msg)?;
                let alerts = crate::alerts::load_book(&dir).recent(1000);
                let pack = crate::export::build(&engine, alerts);
                for w in &pack.warnings {
                    tracing::warn!("{w}");
                }
                pack.write_dir(&out2)
                    .with_context(|| format!("writing {}", out2.display()))?;
                Ok(pack.files.into_iter().map(|f| f.0).collect())
            })
            .await??
        }
        (None, None) => anyhow::bail!("give --url URL or --data-dir DIR"),
    };
    println!(
        "wrote {} files to {}: {}",
        names.len(),
        out.display(),
        names.join(", ")
    );
    Ok(())
}

/// Everything `serve` and `demo` start.
struct Launch {
    cfg: Config,
    web: WebAssets,
    repair: bool,
    allow_open: bool,
    demo: Option<(DemoCatalog, DemoOptions)>,
}

impl Launch {
    async fn run(self, banner: impl FnOnce(SocketAddr)) -> anyhow::Result<()> {
        let Launch {
            cfg,
            web,
            repair,
            allow_open,
            demo,
        } = self;
        match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(n) => tracing::info!(
                limit = n,
                "open-file limit raised (every screen is a socket)"
            ),
            Err(e) => tracing::warn!(error = %e, "cannot raise the open-file limit"),
        }
        let listen = cfg.server.listen;
        if cfg.auth.is_none() && !listen.ip().is_loopback() && !allow_open {
            anyhow::bail!(
                "refusing to listen on {listen} without [auth]: anyone on the network could post events and read every figure. \
                 Add [auth] tokens, listen on 127.0.0.1, or pass --allow-open"
            );
        }
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let addr = listener.local_addr()?;
        tracing::warn!(
            "no [auth]: the server is OPEN — anyone who can reach {addr} may post events and read every figure"
        );
        let storage_cfg = cfg.storage.clone();
        let header_timeout = std::time::Duration::from_millis(cfg.server.header_timeout_ms);
        let engine = Engine::new(Arc::new(cfg), Arc::new(SystemClock));
        let shutdown = Shutdown::default();
        let state = AppState::new(engine.clone(), shutdown.clone(), web);
        let ingest = state.ingest.clone();
        let state_alerts = state.alerts.clone();
        ingest.set_ready(false);
        let server = tokio::spawn(server::run_with(
            listener,
            app(state),
            header_timeout,
            on_signal(shutdown.clone()),
        ));
        banner(addr);

        let storage = match &storage_cfg.dir {
            Some(dir) => {
                let (dir, for_recovery) = (dir.clone(), engine.clone());
                let cfg = storage_cfg.clone();
                let opened = tokio::task::spawn_blocking(move || {
                    Storage::open(&cfg, &dir, for_recovery, repair)
                })
                .await?;
                let (storage, r) = match opened {
                    Ok(ok) => ok,
                    Err(e) => {
                        shutdown.trigger();
                        let _ = server.await;
                        return Err(e).context("recovery failed");
                    }
                };
                tracing::info!(
                    dir = %storage.dir().display(),
                    checkpoint = r.checkpoint_lsn,
                    keys = r.keys,
                    records = r.records,
                    events = r.events,
                    torn_bytes = r.torn_bytes,
                    ms = r.millis,
                    fsync = ?storage_cfg.fsync,
                    "recovered"
                );
                ingest.attach(storage.clone());
                storage.start(shutdown.clone());
                let every = std::time::Duration::from_secs(storage_cfg.snapshot_every_s);
                crate::export::snapshot_task(
                    engine.clone(),
                    Some(state_alerts.clone()),
                    storage.dir().to_path_buf(),
                    every,
                    shutdown.clone(),
                );
                Some(storage)
            }
            None => {
                tracing::warn!(
                    "no [storage] dir: events are kept in memory only and LOST on restart"
                );
                None
            }
        };
        ingest.set_ready(true);
        // Rules run once the state is whole (a half-recovered state would
        // look like a rate drop or a silent feed).
        state_alerts.start(shutdown.clone());
        let feeder =
            demo.map(|(catalog, opts)| tokio::spawn(demo::feed(ingest.clone(), catalog, opts)));

        let served = server.await;
        if let Some(f) = feeder {
            f.abort();
        }
        let left = state_alerts.drain(std::time::Duration::from_secs(5)).await;
        if left > 0 {
            tracing::warn!(left, "alerts still undelivered at the shutdown deadline");
        }
        if let Some(storage) = storage {
            tokio::task::spawn_blocking(move || storage.close()).await?;
            tracing::info!("log flushed and checkpoint written");
        }
        served?.context("server failed")
    }
}

/// Waits for Ctrl-C or SIGTERM, then tells every long-lived task. A second
/// signal while shutting down exits at once (the log is as durable as its
/// fsync mode says; a checkpoint is only a shortcut for the next start).
async fn on_signal(shutdown: Shutdown) {
    tokio::select! {
        () = server::shutdown_signal() => {}
        () = shutdown.wait() => {}
    }
    shutdown.trigger();
    tokio::spawn(async {
        server::shutdown_signal().await;
        eprintln!("warroom: second signal, exiting now");
        std::process::exit(130);
    });
}
