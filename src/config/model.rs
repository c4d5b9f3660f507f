//! The validated configuration the rest of warroom reads.
//!
//! Money is already in minor units, times are epoch milliseconds, paths are
//! resolved against the config file's directory.

use std::net::SocketAddr;
use std::path::PathBuf;

use chrono_tz::Tz;

use super::plan::Plan;
use crate::money::Currency;

/// The longest sale a config may describe (docs/api.md, Config): the
/// per-minute timelines, the plan and every timeline read are sized by it.
pub const MAX_SALE_DAYS: i64 = 31;
pub const MAX_SALE_MS: i64 = MAX_SALE_DAYS * 86_400_000;

/// Everything one warroom process needs to know about its sale.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Config {
    pub sale: Sale,
    pub channels: Vec<ChannelDef>,
    pub stores: Vec<StoreDef>,
    pub skus: Vec<SkuDef>,
    /// Promotion campaigns listed in the config or its catalog (more are
    /// created as spend and orders name them).
    #[serde(default)]
    pub campaigns: Vec<CampaignDef>,
    pub server: ServerConfig,
    pub storage: StorageConfig,
    pub alerts: super::alerts::AlertsConfig,
    /// `None`: no `[auth]`, the server is open.
    pub auth: Option<super::auth::AuthConfig>,
    /// `None`: one node on its local log. Never written out (it may hold
    /// NATS credentials): a data directory does not say how it was fed.
    #[serde(skip)]
    pub cluster: Option<super::cluster::ClusterConfig>,
}

/// The promotion itself.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Sale {
    pub name: String,
    pub currency: Currency,
    pub timezone: Tz,
    pub starts_ms: i64,
    pub ends_ms: i64,
    /// GMV target in minor units.
    pub target: Option<i64>,
    pub profit_target: Option<i64>,
    /// Promotion budget for the whole sale, minor units.
    #[serde(default)]
    pub budget: Option<i64>,
    /// `observe_before` / `observe_after` in ms: the days around the sale
    /// counted apart in `pre` / `post` (docs/api.md, The days around the
    /// sale). With either set, the sale's figures hold only events inside
    /// the sale.
    #[serde(default)]
    pub observe_before_ms: Option<i64>,
    #[serde(default)]
    pub observe_after_ms: Option<i64>,
    pub plan: Plan,
    /// Last sale's timeline, for the minute-for-minute comparison (同比).
    pub baseline: Option<Baseline>,
}

/// A previous sale's cumulative GMV per minute since its start, read from
/// its `timeline.csv` (as `warroom export` writes it).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Baseline {
    pub path: PathBuf,
    /// Cumulative GMV in minor units at the end of each minute.
    pub cumulative: Vec<i64>,
}

impl Baseline {
    /// The baseline's cumulative GMV at minute `m` since the start (its last
    /// value once it has no more minutes).
    pub fn at_minute(&self, m: usize) -> Option<i64> {
        self.cumulative.get(m).or(self.cumulative.last()).copied()
    }
}

impl Sale {
    /// Whether the days around the sale are watched (either key set).
    #[inline]
    pub fn observes(&self) -> bool {
        self.observe_before_ms.is_some() || self.observe_after_ms.is_some()
    }

    /// The pre period `[starts − before, starts)`, when configured.
    pub fn pre_span(&self) -> Option<(i64, i64)> {
        self.observe_before_ms
            .map(|b| (self.starts_ms - b, self.starts_ms))
    }

    /// The post period `[ends, ends + after)`, when configured.
    pub fn post_span(&self) -> Option<(i64, i64)> {
        self.observe_after_ms
            .map(|a| (self.ends_ms, self.ends_ms + a))
    }

    /// Share of the sale's duration elapsed at `now_ms`, clamped to 0..=1.
    pub fn time_share(&self, now_ms: i64) -> f64 {
        let span = (self.ends_ms - self.starts_ms).max(1) as f64;
        ((now_ms - self.starts_ms) as f64 / span).clamp(0.0, 1.0)
    }

    /// Number of whole minutes in the sale (the timeline's length).
    pub fn minutes(&self) -> usize {
        ((self.ends_ms - self.starts_ms + 59_999) / 60_000).max(0) as usize
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChannelDef {
    pub id: String,
    pub name: String,
    pub target: Option<i64>,
    pub profit_target: Option<i64>,
    /// Promotion budget of the channel, minor units.
    #[serde(default)]
    pub budget: Option<i64>,
}

/// A promotion campaign (直通车, 钻展, a livestream's ads): its channel and
/// budget. Campaigns are keyed by name.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CampaignDef {
    pub id: String,
    pub channel: Option<String>,
    pub budget: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoreDef {
    pub id: String,
    pub name: String,
    pub channel: Option<String>,
    pub target: Option<i64>,
    pub profit_target: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SkuDef {
    pub id: String,
    pub name: String,
    pub stock: Option<i64>,
    pub target_units: Option<i64>,
    /// Unit cost in minor units, for items that carry no `cost`.
    pub cost: Option<i64>,
    pub low_stock: Option<i64>,
    /// The list (tag) price in minor units: what discount depth is
    /// measured against (docs/api.md, Prices).
    pub list_price: Option<i64>,
    /// The margin the SKU should make, as a share of its selling price
    /// (0–1): `0.35` = 35 % of what it sells for.
    pub standard_margin: Option<f64>,
}

/// How the HTTP side runs.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub tick_ms: u64,
    pub max_body_bytes: usize,
    /// Longest NDJSON line (one event); longer lines are rejected alone.
    pub max_line_bytes: usize,
    /// Ingest requests served at once; more get 503 + Retry-After.
    pub max_ingest_requests: usize,
    /// Live sockets at once; more get 503.
    pub max_screens: usize,
    /// A client must send its request head within this (slowloris guard).
    pub header_timeout_ms: u64,
    /// Host names served besides IP literals and `localhost` (lowercase);
    /// any other `Host` gets 421 (a DNS rebinding guard).
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    /// Caps on entities created on first sight.
    #[serde(default)]
    pub entities: super::limits::EntityCaps,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            tick_ms: 250,
            max_body_bytes: 16 * 1024 * 1024,
            max_line_bytes: 1024 * 1024,
            max_ingest_requests: 64,
            max_screens: 20_000,
            header_timeout_ms: 10_000,
            allowed_hosts: Vec::new(),
            entities: super::limits::EntityCaps::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum FsyncMode {
    Always,
    #[default]
    Interval,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct StorageConfig {
    pub dir: Option<PathBuf>,
    pub fsync: FsyncMode,
    /// Seconds between checkpoints (when the log moved).
    pub checkpoint_every_s: u64,
    /// Events between checkpoints, whichever comes first.
    pub checkpoint_events: u64,
    /// Seconds between `snapshot.json` files written into `dir`.
    pub snapshot_every_s: u64,
}

impl Default for StorageConfig {
    fn default() -> StorageConfig {
        StorageConfig {
            dir: None,
            fsync: FsyncMode::Interval,
            checkpoint_every_s: 60,
            checkpoint_events: 10_000_000,
            snapshot_every_s: 600,
        }
    }
}

#[cfg(test)]
mod tests {
    /// A config with every kind of secret in it: an `[auth]` token, a hook
    /// URL carrying an access token, a hook signing secret.
    const WITH_SECRETS: &str = r#"
[sale]
name = "D11"
currency = "CNY"
timezone = "Asia/Shanghai"
starts = "2026-11-11T00:00:00+08:00"
ends = "2026-11-12T00:00:00+08:00"

[auth]
admin = ["ADMINTOKEN123"]

[[alerts.hooks]]
name = "war-room"
kind = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send?access_token=SECRETTOKEN"
secret = "SECSIGNINGKEY"
"#;

    #[test]
    fn debug_of_a_config_shows_no_secret() {
        let cfg = super::super::parse_str(WITH_SECRETS, "sale.toml", std::path::Path::new("."))
            .expect("valid config");
        assert_eq!(
            cfg.alerts.hooks[0].url.expose(),
            "https://oapi.dingtalk.com/robot/send?access_token=SECRETTOKEN"
        );
        for shown in [format!("{cfg:?}"), format!("{cfg:#?}")] {
            for secret in [
                "ADMINTOKEN123",
                "SECRETTOKEN",
                "SECSIGNINGKEY",
                "access_token",
            ] {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
            assert!(shown.contains("war-room"), "the hook is still named");
        }
    }
}
