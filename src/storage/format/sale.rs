//! `sale.json`: which sale a data directory holds — its name, currency,
//! time zone and span, targets, plan, baseline, channels, stores and SKUs —
//! so `warroom export --data-dir` needs no config file. Never a secret.
//!
//! Format 2 (written): `{"version": 2, "sale": {…}, "channels": […],
//! "stores": […], "skus": […]}`, storage's own structs below. Format 1
//! (the first release, no `version`) was the whole `Config` serialised,
//! `[auth]` tokens and alert hook URLs and signing secrets included; it is
//! read by taking the same parts and ignoring the rest, and `Storage::open`
//! rewrites it as format 2, so an upgraded directory loses its secrets.
//! Budgets, campaigns and a SKU's `list_price` and `standard_margin` were added to format 2 as optional fields (absent
//! when not configured, ignored by builds that predate them): a record
//! without them reads as before.
//! [`SaleRecord::of`] names every part of a `Config`: a section added there
//! fails to compile here until someone decides whether it belongs on disk.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{FormatError, not_newer};
use crate::config::{
    AlertsConfig, Baseline, CampaignDef, ChannelDef, Config, Plan, Sale, ServerConfig, SkuDef,
    StorageConfig, StoreDef,
};
use crate::money::Currency;

/// The format this build writes and the newest it reads.
pub const VERSION: u32 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SaleRecord {
    pub version: u32,
    pub sale: SaleV2,
    pub channels: Vec<ChannelDefV2>,
    pub stores: Vec<StoreDefV2>,
    pub skus: Vec<SkuDefV2>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub campaigns: Vec<CampaignDefV2>,
}

/// Money in minor units, times in epoch milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SaleV2 {
    pub name: String,
    pub currency: CurrencyV2,
    /// IANA name.
    pub timezone: String,
    pub starts_ms: i64,
    pub ends_ms: i64,
    pub target: Option<i64>,
    pub profit_target: Option<i64>,
    /// `[time share, target share]` points.
    pub plan: Vec<(f64, f64)>,
    pub baseline: Option<BaselineV2>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<i64>,
    /// `observe_before` / `observe_after` in ms, optional as `budget` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observe_before_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observe_after_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrencyV2 {
    pub code: String,
    /// Digits of the minor unit: the counters' scale, kept as it was.
    pub exponent: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineV2 {
    /// Where it was read from (for the record; not read again).
    pub path: PathBuf,
    /// Cumulative GMV at the end of each minute since its start.
    pub cumulative: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelDefV2 {
    pub id: String,
    pub name: String,
    pub target: Option<i64>,
    pub profit_target: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignDefV2 {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreDefV2 {
    pub id: String,
    pub name: String,
    pub channel: Option<String>,
    pub target: Option<i64>,
    pub profit_target: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkuDefV2 {
    pub id: String,
    pub name: String,
    pub stock: Option<i64>,
    pub target_units: Option<i64>,
    pub cost: Option<i64>,
    pub low_stock: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_price: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard_margin: Option<f64>,
}

/// Format 1: the parts of the first release's serialised `Config` that
/// format 2 keeps (the rest — server, storage, alerts, auth — is ignored).
#[derive(Deserialize)]
struct RecordV1 {
    sale: SaleV1,
    channels: Vec<ChannelDefV2>,
    stores: Vec<StoreDefV2>,
    skus: Vec<SkuDefV2>,
}

#[derive(Deserialize)]
struct SaleV1 {
    name: String,
    currency: CurrencyV2,
    timezone: String,
    starts_ms: i64,
    ends_ms: i64,
    target: Option<i64>,
    profit_target: Option<i64>,
    plan: PlanV1,
    baseline: Option<BaselineV2>,
}

#[derive(Deserialize)]
struct PlanV1 {
    points: Vec<(f64, f64)>,
}

/// Only the version, to pick the reader.
#[derive(Deserialize)]
struct Probe {
    version: Option<u32>,
}

impl From<RecordV1> for SaleRecord {
    fn from(v1: RecordV1) -> SaleRecord {
        let RecordV1 {
            sale: s,
            channels,
            stores,
            skus,
        } = v1;
        SaleRecord {
            version: VERSION,
            sale: SaleV2 {
                name: s.name,
                currency: s.currency,
                timezone: s.timezone,
                starts_ms: s.starts_ms,
                ends_ms: s.ends_ms,
                target: s.target,
                profit_target: s.profit_target,
                plan: s.plan.points,
                baseline: s.baseline,
                budget: None,
                observe_before_ms: None,
                observe_after_ms: None,
            },
            channels,
            stores,
            skus,
            campaigns: Vec::new(),
        }
    }
}

impl SaleRecord {
    /// What a directory records of `cfg`: the sale, not how it is served.
    pub fn of(cfg: &Config) -> SaleRecord {
        let Config {
            sale,
            channels,
            stores,
            skus,
            campaigns,
            // How this process serves, not what the directory holds; and
            // where the secrets are (tokens, hook URLs, signing secrets).
            server: _,
            storage: _,
            alerts: _,
            auth: _,
            cluster: _,
        } = cfg;
        let Sale {
            name,
            currency,
            timezone,
            starts_ms,
            ends_ms,
            target,
            profit_target,
            plan,
            baseline,
            budget,
            observe_before_ms,
            observe_after_ms,
        } = sale;
        SaleRecord {
            version: VERSION,
            sale: SaleV2 {
                name: name.clone(),
                currency: CurrencyV2 {
                    code: currency.code.clone(),
                    exponent: currency.exponent,
                },
                timezone: timezone.name().to_string(),
                starts_ms: *starts_ms,
                ends_ms: *ends_ms,
                target: *target,
                profit_target: *profit_target,
                budget: *budget,
                observe_before_ms: *observe_before_ms,
                observe_after_ms: *observe_after_ms,
                plan: plan.points().to_vec(),
                baseline: baseline.as_ref().map(|b| BaselineV2 {
                    path: b.path.clone(),
                    cumulative: b.cumulative.clone(),
                }),
            },
            channels: channels.iter().cloned().map(ChannelDefV2::from).collect(),
            stores: stores.iter().cloned().map(StoreDefV2::from).collect(),
            skus: skus.iter().cloned().map(SkuDefV2::from).collect(),
            campaigns: campaigns.iter().cloned().map(CampaignDefV2::from).collect(),
        }
    }

    pub fn encode(&self) -> Result<Vec<u8>, FormatError> {
        serde_json::to_vec_pretty(self).map_err(|e| FormatError::Encode(e.to_string()))
    }

    /// Reads any format this build reads, converted to the newest.
    pub fn decode(bytes: &[u8]) -> Result<SaleRecord, FormatError> {
        let bad = |e: serde_json::Error| FormatError::Decode(e.to_string());
        let probe: Probe = serde_json::from_slice(bytes).map_err(bad)?;
        match probe.version {
            None => Ok(serde_json::from_slice::<RecordV1>(bytes)
                .map_err(bad)?
                .into()),
            Some(v) => {
                not_newer(v, VERSION)?;
                if v != VERSION {
                    return Err(FormatError::Decode(format!("no sale record format {v}")));
                }
                serde_json::from_slice(bytes).map_err(bad)
            }
        }
    }

    /// The config a read-only engine runs with: this sale, default serving
    /// and alert settings, no auth (an offline export serves nothing).
    pub fn into_config(self) -> Result<Config, FormatError> {
        let s = self.sale;
        let bad = |what: String| FormatError::Decode(what);
        // Past 4 digits no currency exists, and the scale would overflow.
        if s.currency.exponent > 4 {
            return Err(bad(format!("currency exponent {}", s.currency.exponent)));
        }
        let currency = Currency {
            code: s.currency.code,
            exponent: s.currency.exponent,
        };
        let timezone = s
            .timezone
            .parse()
            .map_err(|_| bad(format!("unknown time zone {:?}", s.timezone)))?;
        let plan = Plan::new(s.plan).map_err(bad)?;
        let alerts = AlertsConfig::defaults(currency.scale());
        Ok(Config {
            sale: Sale {
                name: s.name,
                currency,
                timezone,
                starts_ms: s.starts_ms,
                ends_ms: s.ends_ms,
                target: s.target,
                profit_target: s.profit_target,
                budget: s.budget,
                observe_before_ms: s.observe_before_ms,
                observe_after_ms: s.observe_after_ms,
                plan,
                baseline: s.baseline.map(|b| Baseline {
                    path: b.path,
                    cumulative: b.cumulative,
                }),
            },
            channels: self.channels.into_iter().map(ChannelDef::from).collect(),
            stores: self.stores.into_iter().map(StoreDef::from).collect(),
            skus: self.skus.into_iter().map(SkuDef::from).collect(),
            campaigns: self.campaigns.into_iter().map(CampaignDef::from).collect(),
            server: ServerConfig::default(),
            storage: StorageConfig::default(),
            alerts,
            auth: None,
            cluster: None,
        })
    }
}

twins!(ChannelDef <-> ChannelDefV2 { id, name, target, profit_target, budget });
twins!(CampaignDef <-> CampaignDefV2 { id, channel, budget });
twins!(StoreDef <-> StoreDefV2 { id, name, channel, target, profit_target });
twins!(SkuDef <-> SkuDefV2 {
    id,
    name,
    stock,
    target_units,
    cost,
    low_stock,
    list_price,
    standard_margin
});

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r#"
[sale]
name = "双11"
currency = "JPY"
timezone = "Asia/Tokyo"
starts = "2026-11-11T00:00:00+09:00"
ends = "2026-11-12T00:00:00+09:00"
target = "1000000"
plan = [[0.0, 0.0], [0.5, 0.7], [1.0, 1.0]]

[[channels]]
id = "web"
target = "600000"

[[stores]]
id = "s1"
name = "旗舰店"
channel = "web"

[[skus]]
id = "k1"
stock = 10
cost = "300"

[auth]
admin = ["a-secret-admin-token"]

[[alerts.hooks]]
name = "ops"
kind = "feishu"
url = "https://open.feishu.cn/hook/secret-hook-path"
secret = "a-signing-secret"
"#;

    #[test]
    fn keeps_the_sale_and_drops_every_secret() {
        let cfg =
            crate::config::parse_str(TOML, "t.toml", std::path::Path::new(".")).expect("config");
        let record = SaleRecord::of(&cfg);
        let bytes = record.encode().expect("encode");
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        for secret in [
            "a-secret-admin-token",
            "secret-hook-path",
            "a-signing-secret",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains(r#""version": 2"#), "{text}");
        let back = SaleRecord::decode(&bytes).expect("decode");
        assert_eq!(back, record);
        let again = back.into_config().expect("config");
        assert_eq!(again.sale.name, cfg.sale.name);
        assert_eq!(again.sale.currency, cfg.sale.currency);
        assert_eq!(again.sale.timezone, cfg.sale.timezone);
        assert_eq!(again.sale.plan, cfg.sale.plan);
        assert_eq!(
            (again.sale.starts_ms, again.sale.ends_ms, again.sale.target),
            (cfg.sale.starts_ms, cfg.sale.ends_ms, cfg.sale.target)
        );
        assert_eq!(again.channels, cfg.channels);
        assert_eq!(again.stores, cfg.stores);
        assert_eq!(again.skus, cfg.skus);
        assert!(again.auth.is_none() && again.alerts.hooks.is_empty());
    }

    #[test]
    fn a_newer_record_is_refused_by_name() {
        let cfg =
            crate::config::parse_str(TOML, "t.toml", std::path::Path::new(".")).expect("config");
        let mut record = SaleRecord::of(&cfg);
        record.version = 3;
        let err = SaleRecord::decode(&record.encode().expect("encode")).expect_err("newer");
        assert!(err.is_newer(), "{err}");
        assert!(SaleRecord::decode(b"{}").is_err());
        let mut bad_zone = SaleRecord::of(&cfg);
        bad_zone.sale.timezone = "Mars/Olympus".into();
        assert!(bad_zone.into_config().is_err());
    }
}
