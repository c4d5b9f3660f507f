//! The chat services: what each expects and how to read its answer.
//!
//! One file per [`HookKind`] holds that service's payload layout, signing,
//! rate limits and answer codes; this file dispatches on the kind and keeps
//! what they share: the HTTP-level reading of an answer (429 and 5xx are
//! worth retrying, other non-2xx are refusals) and HMAC signing.

mod alertmanager;
mod dingtalk;
mod feishu;
mod markup;
mod slack;
mod text;
mod wecom;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

pub use dingtalk::sign as dingtalk_sign;
pub use feishu::sign as feishu_sign;
pub use text::Msg;

use crate::config::{HookConfig, HookKind, Lang, Secret};
use markup::Markup;
use text::Text;

/// A request to make. The URL is a [`Secret`]: it carries the robot's
/// token, and with DingTalk the signature too.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub url: Secret,
    pub body: Value,
}

/// How a delivery went.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Delivered,
    Retry {
        after: Option<Duration>,
        reason: String,
    },
    Refused(String),
}

/// What a payload is made from; each service takes what it needs.
struct Request<'a> {
    hook: &'a HookConfig,
    lang: Lang,
    public_url: Option<&'a str>,
    sale: &'a str,
    batch: &'a [Msg],
    now_ms: i64,
}

impl Request<'_> {
    /// The words of this request, escaped for a field read as `markup`.
    fn text(&self, markup: Markup) -> Text {
        Text::new(self.lang, self.public_url, self.batch, markup)
    }

    /// A request posting `body` to the hook's URL as it is.
    fn post(&self, body: Value) -> Outgoing {
        Outgoing {
            url: self.hook.url.clone(),
            body,
        }
    }
}

/// The request for `batch` (one message, or a digest of several).
pub fn payload(
    hook: &HookConfig,
    lang: Lang,
    public_url: Option<&str>,
    sale: &str,
    batch: &[Msg],
    now_ms: i64,
) -> Outgoing {
    let req = Request {
        hook,
        lang,
        public_url,
        sale,
        batch,
        now_ms,
    };
    match hook.kind {
        HookKind::DingTalk => dingtalk::request(&req),
        HookKind::WeCom => wecom::request(&req),
        HookKind::Feishu => feishu::request(&req),
        HookKind::Slack => slack::request(&req),
        HookKind::Alertmanager => alertmanager::request(&req),
    }
}

/// Each service's published limits: (messages, per window).
pub fn limits(kind: HookKind) -> &'static [(usize, Duration)] {
    match kind {
        HookKind::DingTalk => dingtalk::LIMITS,
        HookKind::WeCom => wecom::LIMITS,
        HookKind::Feishu => feishu::LIMITS,
        HookKind::Slack => slack::LIMITS,
        HookKind::Alertmanager => alertmanager::LIMITS,
    }
}

/// A service's own verdict inside a 2xx answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Ok,
    Throttled(i64),
    Refused(i64),
}

impl Verdict {
    /// From a service's error code: 0 or none is success.
    fn of_code(code: Option<i64>, throttled: &[i64]) -> Verdict {
        match code {
            None | Some(0) => Verdict::Ok,
            Some(c) if throttled.contains(&c) => Verdict::Throttled(c),
            Some(c) => Verdict::Refused(c),
        }
    }
}

/// Reads a service's answer.
pub fn classify(kind: HookKind, status: u16, retry_after: Option<&str>, body: &[u8]) -> Outcome {
    let after = retry_after
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    if status == 429 {
        return Outcome::Retry {
            after,
            reason: "HTTP 429 (rate limited)".into(),
        };
    }
    if status >= 500 {
        return Outcome::Retry {
            after,
            reason: format!("HTTP {status}"),
        };
    }
    if !(200..300).contains(&status) {
        return Outcome::Refused(format!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        ));
    }
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let verdict = match kind {
        HookKind::DingTalk => dingtalk::verdict(&json),
        HookKind::WeCom => wecom::verdict(&json),
        HookKind::Feishu => feishu::verdict(&json),
        // They answer with HTTP statuses only, read above.
        HookKind::Slack | HookKind::Alertmanager => Verdict::Ok,
    };
    match verdict {
        Verdict::Ok => Outcome::Delivered,
        Verdict::Throttled(c) => Outcome::Retry {
            after,
            reason: format!("throttled (code {c})"),
        },
        Verdict::Refused(c) => {
            let msg = json
                .get("errmsg")
                .or(json.get("msg"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            Outcome::Refused(format!("code {c}: {msg}"))
        }
    }
}

/// Base64(HMAC-SHA256(key, msg)), as DingTalk and Feishu sign.
fn hmac_b64(key: &[u8], msg: &[u8]) -> String {
    let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .expect("HMAC takes keys of any length");
    mac.update(msg);
    B64.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
pub(super) mod fixtures {
    //! An alert, a hook and a batch for the services' tests, and what
    //! those tests name.

    pub use super::{Outcome, classify, payload};
    pub use crate::alerts::record::NoticeKind;
    pub use crate::config::{HookKind, Lang, Rule};

    use super::Msg;
    use crate::alerts::record::{AlertRecord, AlertScope, Severity, Status};
    use crate::config::HookConfig;

    pub fn record(rule: Rule) -> AlertRecord {
        AlertRecord {
            id: 1,
            key: format!("{}:store:s1", rule.as_str()),
            rule,
            scope: AlertScope::Store("s1".into()),
            severity: Severity::Info,
            status: Status::Firing,
            title: "目标达成".into(),
            summary: "天猫旗舰店 目标完成率达到 50%".into(),
            fired_at: "2026-11-11T00:10:00+08:00".into(),
            fired_at_ms: 1_794_327_000_000,
            resolved_at: None,
            silenced: false,
            deliveries: vec![],
        }
    }

    pub fn hook(kind: HookKind, secret: Option<&str>) -> HookConfig {
        HookConfig {
            name: "war-room".into(),
            kind,
            url: "https://example.invalid/hook?access_token=t".into(),
            secret: secret.map(Into::into),
            mobiles: vec!["13800000000".into()],
            at_all: false,
        }
    }

    pub fn batch(kind: NoticeKind, rule: Rule) -> Vec<Msg> {
        vec![Msg {
            kind,
            record: record(rule),
            seq: 0,
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_statuses_are_read_alike_for_every_service() {
        for kind in HookKind::ALL {
            assert_eq!(
                classify(kind, 429, Some("7"), b"rate_limited"),
                Outcome::Retry {
                    after: Some(Duration::from_secs(7)),
                    reason: "HTTP 429 (rate limited)".into()
                }
            );
            assert!(matches!(
                classify(kind, 503, None, b""),
                Outcome::Retry { after: None, .. }
            ));
            assert!(matches!(
                classify(kind, 404, None, b"no_service"),
                Outcome::Refused(_)
            ));
            assert_eq!(classify(kind, 200, None, b"ok"), Outcome::Delivered);
        }
    }

    #[test]
    fn a_refusal_quotes_the_service() {
        assert_eq!(
            classify(
                HookKind::DingTalk,
                200,
                None,
                br#"{"errcode":310000,"errmsg":"sign not match"}"#
            ),
            Outcome::Refused("code 310000: sign not match".into())
        );
    }
}
