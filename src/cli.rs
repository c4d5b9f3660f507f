//! The command line: `serve`, `demo`, `export`, `cluster-status`,
//! `check-config`.
//!
//! Flags are parsed by clap into [`Cli`] and turned into a config and
//! `app::Options`; `serve` and `demo` then bind and hand over to
//! [`App`](crate::app::App), which serves until Ctrl-C/SIGTERM. Nothing
//! here builds a part of the service. Start-up errors are `anyhow` with
//! context.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

use crate::app::{self, App, Options};
use crate::clock::SystemClock;
use crate::config::{self, Config, ServerConfig};
use crate::demo::{self, DemoOptions};
use crate::http::WebAssets;
use crate::server;
use crate::storage::Adopt;

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
        /// Start even if the log is damaged or records are missing: keeps every
        /// record that verifies and sets the damaged bytes aside.
        #[arg(long)]
        repair: bool,
        /// Start even if the data directory belongs to another sale (another
        /// name, currency or start): it becomes this sale's, and the events
        /// it holds count as this sale's.
        #[arg(long)]
        adopt_data_dir: bool,
        /// Listen on a non-loopback address even without [auth].
        #[arg(long)]
        allow_open: bool,
        /// Serve the screen from this folder instead of the embedded copy.
        #[arg(long)]
        web_dir: Option<PathBuf>,
        /// Cluster mode: NATS server URLs, comma-separated (sets [cluster]
        /// nats; the stream becomes the log).
        #[arg(long, value_delimiter = ',', value_name = "URL,…")]
        nats: Vec<String>,
        /// This node's name in cluster status (sets [cluster] node).
        #[arg(long)]
        node: Option<String>,
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
        /// A host name screens may use besides IP addresses and `localhost`
        /// (e.g. `laptop.local`); repeat for more ([server] allowed_hosts).
        #[arg(long = "allowed-host", value_name = "NAME")]
        allowed_hosts: Vec<String>,
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
        /// A view or admin token for a server with [auth], sent as
        /// `Authorization: Bearer` (prefer WARROOM_TOKEN: a flag shows in `ps`).
        #[arg(long, env = "WARROOM_TOKEN", hide_env_values = true, requires = "url")]
        token: Option<String>,
    },
    /// Show a cluster: every node's applied sequence and lag, the alert
    /// lease holder and the stream's state, as one node sees them.
    ClusterStatus {
        /// Any node of the cluster.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// A view or admin token for a server with [auth] (prefer WARROOM_TOKEN).
        #[arg(long, env = "WARROOM_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Print the JSON answer instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Check a config file and exit: 0 when valid, 1 with the reason if not.
    CheckConfig {
        /// The config file.
        file: PathBuf,
    },
}

/// `GET url` with an optional view token; a failure names the URL and the
/// server's reason (never the token).
async fn get(url: &str, token: Option<&str>) -> anyhow::Result<reqwest::Response> {
    let r = send(url, token).await?;
    checked(url, r).await
}

/// `GET url` with an optional view token, whatever the status.
async fn send(url: &str, token: Option<&str>) -> anyhow::Result<reqwest::Response> {
    let mut req = reqwest::Client::new().get(url);
    if let Some(t) = token.map(str::trim).filter(|t| !t.is_empty()) {
        req = req.bearer_auth(t);
    }
    req.send()
        .await
        .with_context(|| format!("cannot reach {url}"))
}

/// `r` if it succeeded; otherwise an error with the URL and the reason.
async fn checked(url: &str, r: reqwest::Response) -> anyhow::Result<reqwest::Response> {
    let status = r.status();
    if !status.is_success() {
        let reason = r
            .json::<serde_json::Value>()
            .await
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_string))
            .unwrap_or_default();
        let hint = if status == reqwest::StatusCode::UNAUTHORIZED {
            " (give a view token: --token or WARROOM_TOKEN)"
        } else {
            ""
        };
        anyhow::bail!("{url}: HTTP {status}: {reason}{hint}");
    }
    Ok(r)
}

/// How long `cluster-status` waits for a node that is still joining (as
/// long as a node waits for NATS and the stream at start).
const JOIN_WAIT: std::time::Duration = std::time::Duration::from_secs(60);
/// How long it waits for a node that does not answer at all (just
/// started; a dead node is reported after this).
const LISTEN_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// `warroom cluster-status`: the cluster as one node sees it, as a table.
async fn cluster_status(url: String, token: Option<String>, json: bool) -> anyhow::Result<()> {
    let url = format!("{}/api/v1/cluster", url.trim_end_matches('/'));
    // A node answers 503 while it joins (up to a minute: NATS and the
    // stream are waited for); run just after a start, this waits for it.
    let started = std::time::Instant::now();
    let mut told = false;
    let r = loop {
        let r = match send(&url, token.as_deref()).await {
            // A process started a moment ago may not listen yet.
            Err(e) if started.elapsed() < LISTEN_WAIT => {
                if !told {
                    eprintln!(
                        "{url}: not answering yet; waiting up to {} s",
                        LISTEN_WAIT.as_secs()
                    );
                    told = true;
                }
                tracing::debug!(error = %e, "cluster-status: retrying");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                continue;
            }
            r => r?,
        };
        if r.status() != reqwest::StatusCode::SERVICE_UNAVAILABLE || started.elapsed() > JOIN_WAIT {
            break r;
        }
        if !told {
            eprintln!(
                "{url}: the node is not joined yet; waiting up to {} s",
                JOIN_WAIT.as_secs()
            );
            told = true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    let v: serde_json::Value = checked(&url, r)
        .await?
        .json()
        .await
        .with_context(|| format!("reading {url}"))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    print!("{}", crate::cluster::status::render(&v));
    Ok(())
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
        Command::Export {
            url,
            data_dir,
            out,
            token,
        } => export(url, data_dir, out, token).await,
        Command::ClusterStatus { url, token, json } => cluster_status(url, token, json).await,
        Command::Serve {
            config,
            listen,
            data_dir,
            repair,
            adopt_data_dir,
            allow_open,
            web_dir,
            nats,
            node,
        } => {
            let mut cfg = config::load_file(&config)?;
            if let Some(l) = listen {
                cfg.server.listen = l;
            }
            if data_dir.is_some() {
                cfg.storage.dir = data_dir;
            }
            config::apply_nats_flags(&mut cfg, nats, node).map_err(anyhow::Error::msg)?;
            let name = cfg.sale.name.clone();
            let options = Options {
                web: WebAssets { dir: web_dir },
                repair,
                adopt_data_dir: if adopt_data_dir {
                    Adopt::AnySale
                } else {
                    Adopt::No
                },
                allow_open,
                demo: None,
                manual_alerts: false,
            };
            serve(cfg, options, |addr| {
                println!(
                    "warroom: serving {name:?} on http://{addr}  (screen at /, POST /api/v1/events)"
                )
            })
            .await
        }
        Command::Demo {
            listen,
            rate,
            seed,
            data_dir,
            fsync_always,
            allow_open,
            allowed_hosts,
            web_dir,
        } => {
            let opts = DemoOptions { rate, seed };
            let allowed_hosts = allowed_hosts
                .iter()
                .map(|h| {
                    config::host_name(h).with_context(|| {
                        format!("--allowed-host {h:?}: must be a host name such as \"laptop.local\" (no scheme, port or path)")
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let server = ServerConfig {
                listen,
                allowed_hosts,
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
            let options = Options {
                web: WebAssets { dir: web_dir },
                repair: false,
                // The demo's sale starts when it is run: a kept demo
                // directory is the same demo started again, not a mistake.
                // Another sale's directory is one, and is refused.
                adopt_data_dir: Adopt::AnotherStart,
                allow_open,
                demo: (rate > 0).then_some((catalog, opts)),
                manual_alerts: false,
            };
            let result = serve(cfg, options, |addr| {
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

/// Builds the app, binds its address and serves until a signal.
async fn serve(
    cfg: Config,
    options: Options,
    banner: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => tracing::info!(
            limit = n,
            "open-file limit raised (every screen is a socket)"
        ),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open-file limit"),
    }
    let listen = cfg.server.listen;
    let app = App::build(cfg, Arc::new(SystemClock), options)?;
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    app.serve(listener, on_signal(), banner).await
}

async fn export(
    url: Option<String>,
    data_dir: Option<PathBuf>,
    out: PathBuf,
    token: Option<String>,
) -> anyhow::Result<()> {
    let names = match (url, data_dir) {
        (Some(url), _) => {
            let url = format!("{}/api/v1/export", url.trim_end_matches('/'));
            let r = get(&url, token.as_deref()).await?;
            let zip = r.bytes().await.with_context(|| format!("reading {url}"))?;
            crate::export::unzip_into(&zip, &out)
                .with_context(|| format!("writing {}", out.display()))?
        }
        (None, Some(dir)) => {
            let out2 = out.clone();
            tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<String>> {
                let pack = app::export_offline(&dir)?;
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

/// Resolves on Ctrl-C or SIGTERM. A second signal while shutting down
/// exits at once (the log is as durable as its fsync mode says; a
/// checkpoint is only a shortcut for the next start).
async fn on_signal() {
    server::shutdown_signal().await;
    tokio::spawn(async {
        server::shutdown_signal().await;
        eprintln!("warroom: second signal, exiting now");
        std::process::exit(130);
    });
}
