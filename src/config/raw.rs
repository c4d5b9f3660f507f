//! The config file's shape as serde reads it, spans kept for error lines.
//!
//! Values that need checking beyond their TOML type (amounts, dates, ids) are
//! `Spanned<toml::Value>` or `Spanned<String>` so `build` can point at them.

use serde::Deserialize;
use toml::Spanned;

pub type SValue = Spanned<toml::Value>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub sale: Spanned<RawSale>,
    #[serde(default)]
    pub channels: Vec<Spanned<RawChannel>>,
    #[serde(default)]
    pub stores: Vec<Spanned<RawStore>>,
    #[serde(default)]
    pub skus: Vec<Spanned<RawSku>>,
    #[serde(default)]
    pub campaigns: Vec<Spanned<RawCampaign>>,
    pub catalog: Option<RawCatalog>,
    pub server: Option<RawServer>,
    pub storage: Option<RawStorage>,
    pub auth: Option<Spanned<super::auth::RawAuth>>,
    pub alerts: Option<super::alerts::RawAlerts>,
    pub cluster: Option<Spanned<super::cluster::RawCluster>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSale {
    pub name: Spanned<String>,
    pub currency: Spanned<String>,
    pub timezone: Spanned<String>,
    pub starts: SValue,
    pub ends: SValue,
    pub target: Option<SValue>,
    pub profit_target: Option<SValue>,
    pub budget: Option<SValue>,
    pub observe_before: Option<SValue>,
    pub observe_after: Option<SValue>,
    pub plan: Option<Spanned<Vec<(f64, f64)>>>,
    pub baseline: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChannel {
    pub id: Spanned<String>,
    pub name: Option<String>,
    pub target: Option<SValue>,
    pub profit_target: Option<SValue>,
    pub budget: Option<SValue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCampaign {
    pub id: Spanned<String>,
    pub channel: Option<String>,
    pub budget: Option<SValue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStore {
    pub id: Spanned<String>,
    pub name: Option<String>,
    pub channel: Option<String>,
    pub target: Option<SValue>,
    pub profit_target: Option<SValue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSku {
    pub id: Spanned<String>,
    pub name: Option<String>,
    pub stock: Option<SValue>,
    pub target_units: Option<SValue>,
    pub cost: Option<SValue>,
    pub low_stock: Option<SValue>,
    pub list_price: Option<SValue>,
    pub standard_margin: Option<SValue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCatalog {
    pub stores: Option<String>,
    pub skus: Option<String>,
    pub campaigns: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    pub listen: Option<Spanned<String>>,
    pub tick_ms: Option<Spanned<i64>>,
    pub max_body_bytes: Option<Spanned<i64>>,
    pub max_line_bytes: Option<Spanned<i64>>,
    pub max_ingest_requests: Option<Spanned<i64>>,
    pub max_screens: Option<Spanned<i64>>,
    pub header_timeout_ms: Option<Spanned<i64>>,
    pub allowed_hosts: Option<Vec<Spanned<String>>>,
    pub max_unlisted_channels: Option<Spanned<i64>>,
    pub max_unlisted_stores: Option<Spanned<i64>>,
    pub max_unlisted_skus: Option<Spanned<i64>>,
    pub max_unlisted_regions: Option<Spanned<i64>>,
    pub max_unlisted_campaigns: Option<Spanned<i64>>,
    pub max_unlisted_per_request: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStorage {
    pub dir: Option<String>,
    pub fsync: Option<Spanned<String>>,
    pub checkpoint_every: Option<Spanned<i64>>,
    pub checkpoint_events: Option<Spanned<i64>>,
    pub snapshot_every: Option<Spanned<i64>>,
}
