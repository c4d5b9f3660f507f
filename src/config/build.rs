//! Raw config → validated [`Config`]: every check, every error with its line.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use toml::Spanned;

use super::alerts::{AlertsConfig, HookConfig, HookKind, Lang, RULES, RawAlerts, Silence};
use super::auth::{self, AuthConfig, RawAuth};
use super::catalog;
use super::error::{ConfigError, line_of};
use super::model::*;
use super::plan::Plan;
use super::raw::*;
use crate::money::{Currency, parse_minor};

/// Largest amount a config may hold, in major units.
const MAX_CONFIG_MAJOR: u64 = 1_000_000_000_000_000;

/// Reads and validates a config file; relative paths resolve against its folder.
pub fn load_file(path: &Path) -> Result<Config, ConfigError> {
    let label = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new(&label, None, format!("cannot read: {e}")))?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    parse_str(&text, &label, &base)
}

/// Validates config text. `file` labels errors; `base` resolves relative paths.
pub fn parse_str(text: &str, file: &str, base: &Path) -> Result<Config, ConfigError> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        ConfigError::new(file, line, e.message().trim().to_string())
    })?;
    Builder { text, file, base }.build(raw)
}

struct Builder<'a> {
    text: &'a str,
    file: &'a str,
    base: &'a Path,
}

impl Builder<'_> {
    fn err<T>(
        &self,
        span: std::ops::Range<usize>,
        msg: impl Into<String>,
    ) -> Result<T, ConfigError> {
        Err(ConfigError::new(
            self.file,
            Some(line_of(self.text, span.start)),
            msg,
        ))
    }

    fn build(&self, raw: RawConfig) -> Result<Config, ConfigError> {
        let sale = self.sale(&raw.sale)?;
        let sale_currency = sale.currency.clone();
        let sale_tz = sale.timezone;
        let cur = &sale.currency;

        let mut channels = Vec::new();
        let mut seen = HashSet::new();
        for c in &raw.channels {
            let id = self.id(&c.get_ref().id, "channel", &mut seen)?;
            channels.push(ChannelDef {
                name: c.get_ref().name.clone().unwrap_or_else(|| id.clone()),
                target: self.opt_amount(c.get_ref().target.as_ref(), "target", cur)?,
                profit_target: self.opt_amount(
                    c.get_ref().profit_target.as_ref(),
                    "profit_target",
                    cur,
                )?,
                id,
            });
        }

        let mut stores = Vec::new();
        let mut seen = HashSet::new();
        for s in &raw.stores {
            let s = s.get_ref();
            let id = self.id(&s.id, "store", &mut seen)?;
            stores.push(StoreDef {
                name: s.name.clone().unwrap_or_else(|| id.clone()),
                channel: s.channel.clone(),
                target: self.opt_amount(s.target.as_ref(), "target", cur)?,
                profit_target: self.opt_amount(s.profit_target.as_ref(), "profit_target", cur)?,
                id,
            });
        }

        let mut skus = Vec::new();
        let mut sku_seen = HashSet::new();
        for k in &raw.skus {
            let k = k.get_ref();
            let id = self.id(&k.id, "sku", &mut sku_seen)?;
            skus.push(SkuDef {
                name: k.name.clone().unwrap_or_else(|| id.clone()),
                stock: self.opt_count(k.stock.as_ref(), "stock")?,
                target_units: self.opt_count(k.target_units.as_ref(), "target_units")?,
                cost: self.opt_amount(k.cost.as_ref(), "cost", cur)?,
                low_stock: self.opt_count(k.low_stock.as_ref(), "low_stock")?,
                id,
            });
        }

        if let Some(cat) = &raw.catalog {
            if let Some(path) = &cat.stores {
                let more = catalog::stores(&self.resolve(path), cur)?;
                merge(&mut stores, more, &mut seen, |s| &s.id, "store", path)?;
            }
            if let Some(path) = &cat.skus {
                let more = catalog::skus(&self.resolve(path), cur)?;
                merge(&mut skus, more, &mut sku_seen, |k| &k.id, "sku", path)?;
            }
        }

        Ok(Config {
            sale,
            channels,
            stores,
            skus,
            server: self.server(raw.server.as_ref())?,
            storage: self.storage(raw.storage.as_ref())?,
            alerts: self.alerts(raw.alerts.as_ref(), &sale_currency, sale_tz)?,
            auth: raw.auth.as_ref().map(|a| self.auth(a)).transpose()?,
        })
    }

    fn sale(&self, raw: &Spanned<RawSale>) -> Result<Sale, ConfigError> {
        let s = raw.get_ref();
        let Some(currency) = Currency::from_code(s.currency.get_ref()) else {
            return self.err(
                s.currency.span(),
                "sale.currency: must be an ISO 4217 code such as \"CNY\"",
            );
        };
        let timezone: Tz = match s.timezone.get_ref().parse() {
            Ok(tz) => tz,
            Err(_) => {
                return self.err(
                    s.timezone.span(),
                    format!("sale.timezone: unknown time zone {:?} (use an IANA name such as \"Asia/Shanghai\")", s.timezone.get_ref()),
                );
            }
        };
        let starts_ms = self.datetime(&s.starts, "sale.starts", timezone)?;
        let ends_ms = self.datetime(&s.ends, "sale.ends", timezone)?;
        if ends_ms <= starts_ms {
            return self.err(s.ends.span(), "sale.ends: must be after sale.starts");
        }
        let plan = match &s.plan {
            None => Plan::default(),
            Some(p) => match Plan::new(p.get_ref().clone()) {
                Ok(plan) => plan,
                Err(msg) => return self.err(p.span(), format!("sale.{msg}")),
            },
        };
        let baseline = match &s.baseline {
            None => None,
            Some(p) => Some(catalog::baseline(&self.resolve(p.get_ref()), &currency)?),
        };
        Ok(Sale {
            name: s.name.clone(),
            target: self.opt_amount(s.target.as_ref(), "sale.target", &currency)?,
            profit_target: self.opt_amount(
                s.profit_target.as_ref(),
                "sale.profit_target",
                &currency,
            )?,
            currency,
            timezone,
            starts_ms,
            ends_ms,
            plan,
            baseline,
        })
    }

    fn datetime(&self, v: &SValue, field: &str, tz: Tz) -> Result<i64, ConfigError> {
        let text = match v.get_ref() {
            toml::Value::String(s) => s.clone(),
            toml::Value::Datetime(d) => d.to_string(),
            _ => return self.err(v.span(), format!("{field}: must be an RFC 3339 date-time")),
        };
        if let Ok(dt) = DateTime::parse_from_rfc3339(&text) {
            return Ok(dt.timestamp_millis());
        }
        // A local time without offset is read in the sale's time zone.
        let local = NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S%.f")
            .or_else(|_| NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f"));
        match local.ok().and_then(|n| tz.from_local_datetime(&n).single()) {
            Some(dt) => Ok(dt.timestamp_millis()),
            None => self.err(
                v.span(),
                format!("{field}: {text:?} is not a date-time (expected e.g. \"2026-11-11T00:00:00+08:00\")"),
            ),
        }
    }

    fn id(
        &self,
        id: &Spanned<String>,
        what: &str,
        seen: &mut HashSet<String>,
    ) -> Result<String, ConfigError> {
        let s = id.get_ref();
        if let Err(e) = check_id(s) {
            return self.err(id.span(), format!("{what} id: {e}"));
        }
        if !seen.insert(s.clone()) {
            return self.err(id.span(), format!("duplicate {what} id {s:?}"));
        }
        Ok(s.clone())
    }

    fn opt_amount(
        &self,
        v: Option<&SValue>,
        field: &str,
        cur: &Currency,
    ) -> Result<Option<i64>, ConfigError> {
        let Some(v) = v else { return Ok(None) };
        let text = match v.get_ref() {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            _ => {
                return self.err(
                    v.span(),
                    format!("{field}: must be an amount such as \"1000000\" or 99.50"),
                );
            }
        };
        match amount_text(&text, cur) {
            Ok(minor) => Ok(Some(minor)),
            Err(e) => self.err(v.span(), format!("{field}: {e}")),
        }
    }

    fn opt_count(&self, v: Option<&SValue>, field: &str) -> Result<Option<i64>, ConfigError> {
        let Some(v) = v else { return Ok(None) };
        match v.get_ref() {
            toml::Value::Integer(i) if *i >= 0 => Ok(Some(*i)),
            toml::Value::Integer(_) => self.err(v.span(), format!("{field}: must not be negative")),
            _ => self.err(v.span(), format!("{field}: must be a whole number")),
        }
    }

    fn server(&self, raw: Option<&RawServer>) -> Result<ServerConfig, ConfigError> {
        let mut out = ServerConfig::default();
        let Some(raw) = raw else { return Ok(out) };
        if let Some(l) = &raw.listen {
            match l.get_ref().parse() {
                Ok(addr) => out.listen = addr,
                Err(_) => {
                    return self.err(
                        l.span(),
                        "server.listen: must be an address such as \"127.0.0.1:8080\"",
                    );
                }
            }
        }
        if let Some(t) = &raw.tick_ms {
            if !(20..=60_000).contains(t.get_ref()) {
                return self.err(t.span(), "server.tick_ms: must be from 20 to 60000");
            }
            out.tick_ms = *t.get_ref() as u64;
        }
        if let Some(b) = &raw.max_body_bytes {
            if !(1024..=1 << 30).contains(b.get_ref()) {
                return self.err(
                    b.span(),
                    "server.max_body_bytes: must be from 1024 to 1073741824",
                );
            }
            out.max_body_bytes = *b.get_ref() as usize;
        }
        if let Some(v) = self.ranged(&raw.max_line_bytes, "server.max_line_bytes", 256, 1 << 30)? {
            out.max_line_bytes = v as usize;
        }
        if let Some(v) = self.ranged(
            &raw.max_ingest_requests,
            "server.max_ingest_requests",
            1,
            100_000,
        )? {
            out.max_ingest_requests = v as usize;
        }
        if let Some(v) = self.ranged(&raw.max_screens, "server.max_screens", 1, 10_000_000)? {
            out.max_screens = v as usize;
        }
        if let Some(v) = self.ranged(
            &raw.header_timeout_ms,
            "server.header_timeout_ms",
            100,
            600_000,
        )? {
            out.header_timeout_ms = v as u64;
        }
        Ok(out)
    }

    /// An optional whole number that must lie in `lo..=hi`.
    fn ranged(
        &self,
        v: &Option<Spanned<i64>>,
        field: &str,
        lo: i64,
        hi: i64,
    ) -> Result<Option<i64>, ConfigError> {
        match v {
            Some(v) if !(lo..=hi).contains(v.get_ref()) => {
                self.err(v.span(), format!("{field}: must be from {lo} to {hi}"))
            }
            Some(v) => Ok(Some(*v.get_ref())),
            None => Ok(None),
        }
    }

    fn storage(&self, raw: Option<&RawStorage>) -> Result<StorageConfig, ConfigError> {
        let mut out = StorageConfig::default();
        let Some(raw) = raw else { return Ok(out) };
        out.dir = raw.dir.as_deref().map(|d| self.resolve(d));
        if let Some(f) = &raw.fsync {
            out.fsync = match f.get_ref().as_str() {
                "always" => FsyncMode::Always,
                "interval" => FsyncMode::Interval,
                _ => {
                    return self.err(
                        f.span(),
                        "storage.fsync: must be \"always\" or \"interval\"",
                    );
                }
            };
        }
        if let Some(n) = &raw.checkpoint_every {
            if !(1..=86_400).contains(n.get_ref()) {
                return self.err(
                    n.span(),
                    "storage.checkpoint_every: seconds, from 1 to 86400",
                );
            }
            out.checkpoint_every_s = *n.get_ref() as u64;
        }
        if let Some(n) = &raw.checkpoint_events {
            if *n.get_ref() < 1000 {
                return self.err(n.span(), "storage.checkpoint_events: at least 1000");
            }
            out.checkpoint_events = *n.get_ref() as u64;
        }
        if let Some(n) = &raw.snapshot_every {
            if !(10..=86_400).contains(n.get_ref()) {
                return self.err(
                    n.span(),
                    "storage.snapshot_every: seconds, from 10 to 86400",
                );
            }
            out.snapshot_every_s = *n.get_ref() as u64;
        }
        Ok(out)
    }

    fn alerts(
        &self,
        raw: Option<&RawAlerts>,
        cur: &Currency,
        tz: Tz,
    ) -> Result<AlertsConfig, ConfigError> {
        let mut out = AlertsConfig::defaults(cur.scale());
        let Some(raw) = raw else { return Ok(out) };
        if let Some(l) = &raw.language {
            out.lang = match l.get_ref().as_str() {
                "zh" => Lang::Zh,
                "en" => Lang::En,
                _ => return self.err(l.span(), "alerts.language: must be \"zh\" or \"en\""),
            };
        }
        out.public_url = raw.public_url.clone();
        let mut names = HashSet::new();
        for h in &raw.hooks {
            let h = h.get_ref();
            let Some(kind) = HookKind::parse(h.kind.get_ref()) else {
                return self.err(
                    h.kind.span(),
                    "alerts.hooks.kind: must be dingtalk, wecom, feishu, slack or alertmanager",
                );
            };
            if !names.insert(h.name.get_ref().clone()) {
                return self.err(
                    h.name.span(),
                    format!("duplicate hook name {:?}", h.name.get_ref()),
                );
            }
            let url = h.url.get_ref();
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return self.err(
                    h.url.span(),
                    "alerts.hooks.url: must be an http:// or https:// URL",
                );
            }
            out.hooks.push(HookConfig {
                name: h.name.get_ref().clone(),
                kind,
                url: url.clone(),
                secret: h.secret.clone(),
                mobiles: h.mobiles.clone().unwrap_or_default(),
                at_all: h.at_all.unwrap_or(false),
            });
        }
        if let Some(r) = &raw.rules {
            let rules = &mut out.rules;
            if let Some(m) = &r.milestones {
                if m.get_ref().iter().any(|x| !(*x > 0.0 && *x <= 10.0)) {
                    return self.err(
                        m.span(),
                        "alerts.rules.milestones: shares of the target, above 0 (0.5 = 50 %)",
                    );
                }
                rules.milestones = m.get_ref().clone();
            }
            if let Some(marks) = &r.gmv_marks {
                rules.gmv_marks = marks
                    .iter()
                    .map(|v| {
                        self.opt_amount(Some(v), "alerts.rules.gmv_marks", cur)
                            .map(|x| x.unwrap_or(0))
                    })
                    .collect::<Result<_, _>>()?;
            }
            if let Some(b) = r.low_stock {
                rules.low_stock = b;
            }
            if let Some(b) = r.sold_out {
                rules.sold_out = b;
            }
            let nonneg_f = |v: &Option<Spanned<f64>>,
                            field: &str,
                            slot: &mut f64|
             -> Result<(), ConfigError> {
                if let Some(x) = v {
                    if !(*x.get_ref() >= 0.0 && x.get_ref().is_finite()) {
                        return self.err(
                            x.span(),
                            format!(
                                "alerts.rules.{field}: must be a number ≥ 0 (0 turns the rule off)"
                            ),
                        );
                    }
                    *slot = *x.get_ref();
                }
                Ok(())
            };
            nonneg_f(&r.rate_drop, "rate_drop", &mut rules.rate_drop)?;
            nonneg_f(&r.spike, "spike", &mut rules.spike)?;
            nonneg_f(
                &r.min_orders_per_s,
                "min_orders_per_s",
                &mut rules.min_orders_per_s,
            )?;
            nonneg_f(&r.refund_rate, "refund_rate", &mut rules.refund_rate)?;
            let nonneg_i = |v: &Option<Spanned<i64>>,
                            field: &str,
                            slot: &mut i64|
             -> Result<(), ConfigError> {
                if let Some(x) = v {
                    if *x.get_ref() < 0 {
                        return self.err(x.span(), format!("alerts.rules.{field}: must be ≥ 0"));
                    }
                    *slot = *x.get_ref();
                }
                Ok(())
            };
            nonneg_i(
                &r.sellout_eta_minutes,
                "sellout_eta_minutes",
                &mut rules.sellout_eta_minutes,
            )?;
            nonneg_i(&r.no_events_s, "no_events_s", &mut rules.no_events_s)?;
            nonneg_i(&r.pending_s, "for", &mut rules.pending_s)?;
            nonneg_i(
                &r.repeat_every_s,
                "repeat_every_s",
                &mut rules.repeat_every_s,
            )?;
            nonneg_i(&r.retry_base_ms, "retry_base_ms", &mut rules.retry_base_ms)?;
        }
        for s in &raw.silences {
            let span = s.span();
            let s = s.get_ref();
            if !RULES.contains(&s.rule.as_str()) {
                return self.err(
                    span,
                    format!(
                        "alerts.silences.rule: unknown rule {:?} (one of {})",
                        s.rule,
                        RULES.join(", ")
                    ),
                );
            }
            out.silences.push(Silence {
                rule: s.rule.clone(),
                scope: s.scope.clone().filter(|x| x != "*"),
                until_ms: self.datetime(&s.until, "alerts.silences.until", tz)?,
                comment: s.comment.clone(),
            });
        }
        Ok(out)
    }

    fn auth(&self, raw: &RawAuth) -> Result<AuthConfig, ConfigError> {
        let list = |entries: &[Spanned<String>], role: &str| -> Result<Vec<String>, ConfigError> {
            entries
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    auth::resolve(e.get_ref(), self.base)
                        .or_else(|why| self.err(e.span(), format!("auth.{role}[{i}]: {why}")))
                })
                .collect()
        };
        let out = AuthConfig {
            ingest: list(&raw.ingest, "ingest")?,
            view: list(&raw.view, "view")?,
            admin: list(&raw.admin, "admin")?,
            allowed_origins: raw.allowed_origins.clone(),
        };
        if out.admin.is_empty() && out.ingest.is_empty() && out.view.is_empty() {
            return Err(ConfigError::new(
                self.file,
                None,
                "[auth] lists no tokens: remove it, or add ingest, view or admin tokens",
            ));
        }
        Ok(out)
    }

    fn resolve(&self, path: &str) -> PathBuf {
        let p = Path::new(path);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }
}

/// Appends catalog rows, refusing ids already defined in the TOML.
fn merge<T>(
    into: &mut Vec<T>,
    more: Vec<(usize, T)>,
    seen: &mut HashSet<String>,
    id: impl Fn(&T) -> &String,
    what: &str,
    file: &str,
) -> Result<(), ConfigError> {
    for (line, row) in more {
        if !seen.insert(id(&row).clone()) {
            return Err(ConfigError::new(
                file,
                Some(line),
                format!("duplicate {what} id {:?}", id(&row)),
            ));
        }
        into.push(row);
    }
    Ok(())
}

/// The id rule shared by config, catalogs and events: 1–128 characters.
pub fn check_id(s: &str) -> Result<(), &'static str> {
    let n = s.chars().count();
    if n == 0 || n > 128 {
        return Err("must be 1 to 128 characters");
    }
    Ok(())
}

/// A config amount (major units, decimal text) in minor units.
pub fn amount_text(text: &str, cur: &Currency) -> Result<i64, String> {
    parse_minor(text, cur.exponent, cur.exponent, MAX_CONFIG_MAJOR).map_err(|e| e.to_string())
}
