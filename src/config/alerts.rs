//! `[alerts]`: hooks, rules and silences (docs/api.md, Alerts).
//!
//! Every rule is on with a default; `[alerts.rules]` tunes or disables
//! (a threshold of 0 turns a rule off). Hooks name a chat service and its
//! URL; silences mute a rule (and optionally one scope) until a time.

use std::collections::HashSet;

use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;

use super::efficiency_rules::EfficiencyRules;
use super::error::ConfigError;
use super::hook::{HookConfig, HookKind};
use super::raw::SValue;
use super::rule::Rule;
use super::secret::Secret;
use crate::money::Currency;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAlerts {
    pub language: Option<Spanned<String>>,
    pub public_url: Option<String>,
    #[serde(default)]
    pub hooks: Vec<Spanned<RawHook>>,
    pub rules: Option<RawRules>,
    #[serde(default)]
    pub silences: Vec<Spanned<RawSilence>>,
}

/// A hook as written; its URL and secret are [`Secret`]s from the start, so
/// not even a `{:?}` of the raw file shows them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHook {
    pub name: Spanned<String>,
    pub kind: Spanned<String>,
    pub url: Spanned<Secret>,
    pub secret: Option<Secret>,
    pub mobiles: Option<Vec<String>>,
    pub at_all: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRules {
    pub milestones: Option<Spanned<Vec<f64>>>,
    pub gmv_marks: Option<Vec<SValue>>,
    pub low_stock: Option<bool>,
    pub sold_out: Option<bool>,
    pub sellout_eta_minutes: Option<Spanned<i64>>,
    pub rate_drop: Option<Spanned<f64>>,
    pub spike: Option<Spanned<f64>>,
    pub min_orders_per_s: Option<Spanned<f64>>,
    pub refund_rate: Option<Spanned<f64>>,
    pub no_events_s: Option<Spanned<i64>>,
    pub roi_below: Option<Spanned<f64>>,
    pub roi_window_minutes: Option<Spanned<i64>>,
    pub roi_min_spend: Option<SValue>,
    pub budget_ahead: Option<Spanned<f64>>,
    pub conversion_drop: Option<Spanned<f64>>,
    pub conversion_window_minutes: Option<Spanned<i64>>,
    pub conversion_baseline_minutes: Option<Spanned<i64>>,
    pub conversion_min_visitors: Option<Spanned<i64>>,
    pub conversion_min_traffic: Option<Spanned<f64>>,
    #[serde(rename = "for")]
    pub pending_s: Option<Spanned<i64>>,
    pub repeat_every_s: Option<Spanned<i64>>,
    pub resolve_after_s: Option<Spanned<i64>>,
    pub retry_base_ms: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSilence {
    pub rule: String,
    pub scope: Option<String>,
    pub until: SValue,
    pub comment: Option<String>,
}

/// The language of chat messages and rule titles. Serde spells the
/// variants as written (`"Zh"`), as data directories already hold them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// `language = "zh" | "en"` in `[alerts]`.
    pub fn parse(s: &str) -> Option<Lang> {
        [Lang::Zh, Lang::En].into_iter().find(|l| l.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

/// Rule thresholds; 0 disables a rule.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RulesConfig {
    /// Completion shares for the sale, each channel and each store.
    pub milestones: Vec<f64>,
    /// Sale GMV marks in minor units.
    pub gmv_marks: Vec<i64>,
    pub low_stock: bool,
    pub sold_out: bool,
    pub sellout_eta_minutes: i64,
    /// Last minute's order rate below this share of the previous 10 minutes'.
    pub rate_drop: f64,
    /// Last minute's order rate above this multiple of the previous 10 minutes'.
    pub spike: f64,
    /// Rate rules only once the previous 10 minutes averaged this many orders/s.
    pub min_orders_per_s: f64,
    /// Refunds ÷ orders over the last 15 minutes above this.
    pub refund_rate: f64,
    /// No events for this many seconds during the sale.
    pub no_events_s: i64,
    /// The efficiency rules (`roi_low`, `budget_ahead`, `conversion_drop`).
    #[serde(flatten)]
    pub efficiency: EfficiencyRules,
    /// How long a rate, refund or no-events condition must hold before firing.
    pub pending_s: i64,
    /// A firing alert is sent again after this long.
    pub repeat_every_s: i64,
    /// A firing alert resolves once its condition has been gone this long;
    /// if it comes back sooner it is the same alert (no flapping).
    pub resolve_after_s: i64,
    /// First retry delay of a failed delivery (doubles each time).
    pub retry_base_ms: i64,
}

impl RulesConfig {
    pub fn defaults(scale: i64) -> RulesConfig {
        RulesConfig {
            milestones: vec![0.5, 0.8, 1.0, 1.2],
            // 1亿 and 10亿 in the sale's major unit.
            gmv_marks: vec![100_000_000 * scale, 1_000_000_000 * scale],
            low_stock: true,
            sold_out: true,
            sellout_eta_minutes: 30,
            rate_drop: 0.4,
            spike: 3.0,
            min_orders_per_s: 5.0,
            refund_rate: 0.2,
            no_events_s: 120,
            efficiency: EfficiencyRules::defaults(scale),
            pending_s: 60,
            repeat_every_s: 3600,
            resolve_after_s: 60,
            retry_base_ms: 1000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Silence {
    pub rule: Rule,
    /// `None` (or "*"): every scope of the rule.
    pub scope: Option<String>,
    pub until_ms: i64,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AlertsConfig {
    pub lang: Lang,
    pub public_url: Option<String>,
    pub hooks: Vec<HookConfig>,
    pub rules: RulesConfig,
    pub silences: Vec<Silence>,
}

impl AlertsConfig {
    pub fn defaults(scale: i64) -> AlertsConfig {
        AlertsConfig {
            lang: Lang::Zh,
            public_url: None,
            hooks: Vec::new(),
            rules: RulesConfig::defaults(scale),
            silences: Vec::new(),
        }
    }
}

impl super::build::Builder<'_> {
    /// `[alerts]`: defaults, then the file's hooks, rules and silences.
    pub(super) fn alerts(
        &self,
        raw: Option<&RawAlerts>,
        cur: &Currency,
        tz: Tz,
    ) -> Result<AlertsConfig, ConfigError> {
        let mut out = AlertsConfig::defaults(cur.scale());
        let Some(raw) = raw else { return Ok(out) };
        if let Some(l) = &raw.language {
            let Some(lang) = Lang::parse(l.get_ref()) else {
                return self.err(l.span(), "alerts.language: must be \"zh\" or \"en\"");
            };
            out.lang = lang;
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
            let web = reqwest::Url::parse(url.expose())
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
            if !web {
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
            nonneg_i(
                &r.resolve_after_s,
                "resolve_after_s",
                &mut rules.resolve_after_s,
            )?;
            nonneg_i(&r.retry_base_ms, "retry_base_ms", &mut rules.retry_base_ms)?;
            self.efficiency_rules(r, &mut rules.efficiency, cur)?;
        }
        for s in &raw.silences {
            let span = s.span();
            let s = s.get_ref();
            let Some(rule) = Rule::parse(&s.rule) else {
                return self.err(
                    span,
                    format!(
                        "alerts.silences.rule: unknown rule {:?} (one of {})",
                        s.rule,
                        super::rule::RULES.join(", ")
                    ),
                );
            };
            out.silences.push(Silence {
                rule,
                scope: s.scope.clone().filter(|x| x != "*"),
                until_ms: self.datetime(&s.until, "alerts.silences.until", tz)?,
                comment: s.comment.clone(),
            });
        }
        Ok(out)
    }
}
