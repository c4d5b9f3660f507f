//! The command line: `serve`, `demo`, `check-config`.
//!
//! Flags are parsed by clap into [`Cli`]; each command turns them into a
//! config, an engine and a server, with start-up errors carried as `anyhow`
//! with context for the operator.

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
        /// Data directory (storage is not implemented yet; see README).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Serve the screen from this folder instead of the embedded copy.
        #[arg(long)]
        web_dir: Option<PathBuf>,
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
        Command::Serve {
            config,
            listen,
            data_dir,
            web_dir,
        } => {
            let mut cfg = config::load_file(&config)?;
            if let Some(l) = listen {
                cfg.server.listen = l;
            }
            if data_dir.is_some() {
                cfg.storage.dir = data_dir;
            }
            serve(cfg, WebAssets { dir: web_dir }).await
        }
        Command::Demo {
            listen,
            rate,
            seed,
            data_dir,
            web_dir,
        } => {
            let opts = DemoOptions { rate, seed };
            let server = ServerConfig {
                listen,
                ..ServerConfig::default()
            };
            let (mut cfg, catalog) =
                demo::demo_config(chrono::Utc::now().timestamp_millis(), &opts, server);
            cfg.storage.dir = data_dir;
            let listener = bind(cfg.server.listen).await?;
            let shutdown = Shutdown::default();
            let state = start(cfg, shutdown.clone(), WebAssets { dir: web_dir })?;
            // `--rate 0`: no simulator, the demo sale only (e.g. for the load test).
            let feeder = (rate > 0)
                .then(|| tokio::spawn(demo::feed(state.ingest.clone(), catalog, opts.clone())));
            let addr = listener.local_addr()?;
            println!("warroom demo: a simulated Double 11 midnight, peak {rate} events/s");
            println!("  screen  http://{addr}/          (?lang=en  ?store=s0001  ?channel=tmall)");
            println!("  API     http://{addr}/api/v1/summary");
            println!("          http://{addr}/api/v1/skus?sort=sellout&limit=10");
            println!(
                "  feed    curl -XPOST http://{addr}/api/v1/events --data-binary @tests/data/events.ndjson"
            );
            println!("  stop    Ctrl-C");
            let result = server::run(listener, app(state), on_signal(shutdown)).await;
            if let Some(f) = feeder {
                f.abort();
            }
            result.context("server failed")
        }
    }
}

async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))
}

/// Waits for Ctrl-C or SIGTERM, then tells every long-lived task.
async fn on_signal(shutdown: Shutdown) {
    server::shutdown_signal().await;
    shutdown.trigger();
}

/// Builds the engine and app state for `cfg`, warning about what is open.
fn start(cfg: Config, shutdown: Shutdown, web: WebAssets) -> anyhow::Result<AppState> {
    // Every screen is a socket: allow as many as the system lets us.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => tracing::info!(limit = n, "open-file limit raised"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open-file limit"),
    }
    tracing::warn!(
        "no [auth]: the server is OPEN — anyone who can reach {} may post events and read every figure",
        cfg.server.listen
    );
    if let Some(dir) = &cfg.storage.dir {
        tracing::warn!(
            dir = %dir.display(),
            "storage is not implemented in this version: events are kept in memory only and lost on restart"
        );
    }
    let engine = Engine::new(Arc::new(cfg), Arc::new(SystemClock));
    Ok(AppState::new(engine, shutdown, web))
}

async fn serve(cfg: Config, web: WebAssets) -> anyhow::Result<()> {
    let listener = bind(cfg.server.listen).await?;
    let addr = listener.local_addr()?;
    let name = cfg.sale.name.clone();
    let shutdown = Shutdown::default();
    let state = start(cfg, shutdown.clone(), web)?;
    println!("warroom: serving {name:?} on http://{addr}  (screen at /, POST /api/v1/events)");
    server::run(listener, app(state), on_signal(shutdown))
        .await
        .context("server failed")
}
