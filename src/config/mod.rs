//! The sale configuration: TOML (and CSV catalogs) in, a validated [`Config`] out.
//!
//! Parsing happens in two stages, as ripgrep does with its flags: `raw`
//! mirrors the file's shape for serde (with spans, so errors can name the
//! line), and `build` turns it into the domain types of `model`, refusing
//! anything wrong with the file, line and reason. Nothing past this module
//! sees a raw value.

mod alerts;
mod auth;
mod build;
mod catalog;
mod cluster;
mod datetime;
mod efficiency_rules;
mod error;
mod hook;
mod limits;
mod model;
mod observe;
mod plan;
mod raw;
mod rule;
mod secret;
mod server;

pub use alerts::{AlertsConfig, Lang, RulesConfig, Silence};
pub use auth::AuthConfig;
pub use build::{load_file, parse_str};
pub use catalog::TIMELINE_COLUMNS;
pub use cluster::{ClusterConfig, NatsAuth, apply_nats_flags, default_stream, shown_urls};
pub use efficiency_rules::{EfficiencyRules, MAX_WINDOW_MINUTES};
pub use error::ConfigError;
pub use hook::{HookConfig, HookKind};
pub use limits::{EntityCaps, EntityKind, PER_REQUEST_KEY, PER_REQUEST_MAX};
pub use model::{
    Baseline, CampaignDef, ChannelDef, Config, FsyncMode, MAX_SALE_DAYS, MAX_SALE_MS, Sale,
    ServerConfig, SkuDef, StorageConfig, StoreDef,
};
pub use observe::{BadSpan, parse_span};
pub use plan::Plan;
pub use rule::{RULES, Rule};
pub use secret::Secret;
pub use server::host_name;
