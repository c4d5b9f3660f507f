//! Raw config → validated [`Config`]: every check, every error with its line.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use toml::Spanned;

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

/// Validation state: the text (for line numbers), its file name, and the
/// folder relative paths resolve against. `alerts.rs` and `auth.rs` add
/// their sections' checks to it.
pub(super) struct Builder<'a> {
    pub(super) text: &'a str,
    pub(super) file: &'a str,
    pub(super) base: &'a Path,
}

impl Builder<'_> {
    pub(super) fn err<T>(
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
        let sale_name = sale.name.clone();
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
                budget: self.opt_amount(c.get_ref().budget.as_ref(), "budget", cur)?,
                id,
            });
        }

        let mut campaigns = Vec::new();
        let mut campaign_seen = HashSet::new();
        for c in &raw.campaigns {
            let span = c.span();
            let c = c.get_ref();
            let id = self.id(&c.id, "campaign", &mut campaign_seen)?;
            campaigns.push(CampaignDef {
                channel: self.opt_channel(c.channel.as_deref(), span, "campaign")?,
                budget: self.opt_amount(c.budget.as_ref(), "budget", cur)?,
                id,
            });
        }

        let mut stores = Vec::new();
        let mut seen = HashSet::new();
        for s in &raw.stores {
            let span = s.span();
            let s = s.get_ref();
            let id = self.id(&s.id, "store", &mut seen)?;
            stores.push(StoreDef {
                name: s.name.clone().unwrap_or_else(|| id.clone()),
                channel: self.opt_channel(s.channel.as_deref(), span, "store")?,
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
                list_price: self.opt_amount(k.list_price.as_ref(), "list_price", cur)?,
                standard_margin: self.opt_ratio(k.standard_margin.as_ref(), "standard_margin")?,
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
            if let Some(path) = &cat.campaigns {
                let more = catalog::campaigns(&self.resolve(path), cur)?;
                merge(
                    &mut campaigns,
                    more,
                    &mut campaign_seen,
                    |c| &c.id,
                    "campaign",
                    path,
                )?;
            }
        }

        Ok(Config {
            sale,
            channels,
            stores,
            skus,
            campaigns,
            server: self.server(raw.server.as_ref())?,
            storage: self.storage(raw.storage.as_ref())?,
            alerts: self.alerts(raw.alerts.as_ref(), &sale_currency, sale_tz)?,
            auth: raw.auth.as_ref().map(|a| self.auth(a)).transpose()?,
            cluster: self.cluster(raw.cluster.as_ref(), &sale_name)?,
        })
    }

    fn sale(&self, raw: &Spanned<RawSale>) -> Result<Sale, ConfigError> {
        let s = raw.get_ref();
        let Some(currency) = Currency::from_code(s.currency.get_ref()) else {
            return self.err(
                s.currency.span(),
                format!(
                    "sale.currency: {:?} is not an ISO 4217 currency code (such as \"CNY\", \"USD\", \"JPY\")",
                    s.currency.get_ref()
                ),
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
        if ends_ms - starts_ms > MAX_SALE_MS {
            return self.err(
                s.ends.span(),
                format!(
                    "sale.ends: a sale may last at most {MAX_SALE_DAYS} days; this one lasts {} days",
                    (ends_ms - starts_ms + 86_399_999) / 86_400_000
                ),
            );
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
            name: self.sale_name(&s.name)?,
            target: self.opt_amount(s.target.as_ref(), "sale.target", &currency)?,
            profit_target: self.opt_amount(
                s.profit_target.as_ref(),
                "sale.profit_target",
                &currency,
            )?,
            budget: self.opt_amount(s.budget.as_ref(), "sale.budget", &currency)?,
            observe_before_ms: self.opt_span(s.observe_before.as_ref(), "sale.observe_before")?,
            observe_after_ms: self.opt_span(s.observe_after.as_ref(), "sale.observe_after")?,
            currency,
            timezone,
            starts_ms,
            ends_ms,
            plan,
            baseline,
        })
    }

    /// The sale's name: shown on every screen, report and alert, so it
    /// must say something.
    fn sale_name(&self, name: &Spanned<String>) -> Result<String, ConfigError> {
        if name.get_ref().trim().is_empty() {
            return self.err(name.span(), "sale.name: must not be empty");
        }
        Ok(name.get_ref().clone())
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

    /// A store's or campaign's `channel`: a channel id, by the id rules.
    fn opt_channel(
        &self,
        channel: Option<&str>,
        span: std::ops::Range<usize>,
        what: &str,
    ) -> Result<Option<String>, ConfigError> {
        match channel.map(check_id) {
            Some(Err(e)) => self.err(span, format!("{what} channel: {e}")),
            _ => Ok(channel.map(str::to_string)),
        }
    }

    pub(super) fn opt_amount(
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

    /// A share from 0 to 1, as a number (`0.35`) or text (`"0.35"`).
    fn opt_ratio(&self, v: Option<&SValue>, field: &str) -> Result<Option<f64>, ConfigError> {
        let Some(v) = v else { return Ok(None) };
        let n = match v.get_ref() {
            toml::Value::Float(f) => Some(*f),
            toml::Value::Integer(i) => Some(*i as f64),
            toml::Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match n.map(ratio) {
            Some(Ok(r)) => Ok(Some(r)),
            Some(Err(e)) => self.err(v.span(), format!("{field}: {e}")),
            None => self.err(
                v.span(),
                format!("{field}: must be a share from 0 to 1 such as 0.35"),
            ),
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

    pub(super) fn resolve(&self, path: &str) -> PathBuf {
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

/// A share from 0 to 1 (a standard margin), checked.
pub fn ratio(n: f64) -> Result<f64, String> {
    if n.is_finite() && (0.0..=1.0).contains(&n) {
        Ok(n)
    } else {
        Err(format!("must be a share from 0 to 1 such as 0.35, got {n}"))
    }
}

/// A config amount (major units, decimal text) in minor units.
pub fn amount_text(text: &str, cur: &Currency) -> Result<i64, String> {
    parse_minor(text, cur.exponent, cur.exponent, MAX_CONFIG_MAJOR).map_err(|e| e.to_string())
}
