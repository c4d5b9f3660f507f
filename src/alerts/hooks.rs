//! What each chat service expects: payloads, signing, and how to read its
//! answer (delivered, throttled — try later — or refused for good).

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::book::{AlertRecord, Notice};
use crate::config::{HookConfig, HookKind, Lang};

/// WeCom refuses markdown longer than this many bytes.
pub const WECOM_MAX_BYTES: usize = 4096;

/// One message in a hook's queue.
#[derive(Debug, Clone)]
pub struct Msg {
    pub kind: &'static str,
    pub record: AlertRecord,
}

impl Msg {
    pub fn of(n: &Notice) -> Msg {
        let kind = match n {
            Notice::Fire(_) => "fire",
            Notice::Repeat(_) => "repeat",
            Notice::Resolve(_) => "resolve",
        };
        Msg {
            kind,
            record: n.record().clone(),
        }
    }

    fn resolved(&self) -> bool {
        self.kind == "resolve"
    }
}

/// A request to make.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub url: String,
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

fn hmac_b64(key: &[u8], msg: &[u8]) -> String {
    let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .expect("HMAC takes keys of any length");
    mac.update(msg);
    B64.encode(mac.finalize().into_bytes())
}

/// DingTalk: Base64(HMAC-SHA256(key = secret, message = timestamp "\n" secret)).
pub fn dingtalk_sign(timestamp_ms: i64, secret: &str) -> String {
    hmac_b64(
        secret.as_bytes(),
        format!("{timestamp_ms}\n{secret}").as_bytes(),
    )
}

/// Feishu: Base64(HMAC-SHA256(key = timestamp "\n" secret, message = empty)).
pub fn feishu_sign(timestamp_s: i64, secret: &str) -> String {
    hmac_b64(format!("{timestamp_s}\n{secret}").as_bytes(), b"")
}

/// Percent-encodes a query value (Base64's `+`, `/`, `=` included).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn line(lang: Lang, m: &Msg) -> String {
    let r = &m.record;
    match (m.resolved(), lang) {
        (true, Lang::Zh) => format!("【已恢复】{}：{}", r.title, r.summary),
        (true, Lang::En) => format!("[Resolved] {}: {}", r.title, r.summary),
        (false, Lang::Zh) => format!("【{}】{}", r.title, r.summary),
        (false, Lang::En) => format!("[{}] {}", r.title, r.summary),
    }
}

fn title(lang: Lang, batch: &[Msg]) -> String {
    match (batch, lang) {
        ([one], _) => line(lang, one),
        (_, Lang::Zh) => format!("告警汇总：{} 条", batch.len()),
        (_, Lang::En) => format!("warroom: {} alerts", batch.len()),
    }
}

fn link(lang: Lang, public_url: Option<&str>) -> Option<(String, String)> {
    let url = public_url?.to_string();
    let label = match lang {
        Lang::Zh => "打开大屏",
        Lang::En => "Open the war-room screen",
    };
    Some((label.to_string(), url))
}

/// Cuts `s` to at most `max` bytes on a character boundary.
fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max.saturating_sub(3);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

fn rfc3339_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
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
    let lines: Vec<String> = batch.iter().map(|m| line(lang, m)).collect();
    let head = title(lang, batch);
    let link = link(lang, public_url);
    let mut url = hook.url.clone();
    let body = match hook.kind {
        HookKind::DingTalk => {
            let mut text = format!("### {head}\n\n");
            for l in &lines {
                text.push_str(&format!("- {l}\n"));
            }
            if let Some((label, u)) = &link {
                text.push_str(&format!("\n[{label}]({u})\n"));
            }
            for mobile in &hook.mobiles {
                text.push_str(&format!(" @{mobile}"));
            }
            if let Some(secret) = &hook.secret {
                let sep = if url.contains('?') { '&' } else { '?' };
                url = format!(
                    "{url}{sep}timestamp={now_ms}&sign={}",
                    url_encode(&dingtalk_sign(now_ms, secret))
                );
            }
            json!({
                "msgtype": "markdown",
                "markdown": { "title": cut(&head, 64), "text": text },
                "at": { "atMobiles": hook.mobiles, "isAtAll": hook.at_all },
            })
        }
        HookKind::WeCom => {
            let mut text = format!("**{head}**\n");
            for l in &lines {
                text.push_str(&format!("> {l}\n"));
            }
            if let Some((label, u)) = &link {
                text.push_str(&format!("[{label}]({u})"));
            }
            json!({ "msgtype": "markdown", "markdown": { "content": cut(&text, WECOM_MAX_BYTES) } })
        }
        HookKind::Feishu => {
            let mut content: Vec<Value> = lines
                .iter()
                .map(|l| json!([{ "tag": "text", "text": l }]))
                .collect();
            if let Some((label, u)) = &link {
                content.push(json!([{ "tag": "a", "text": label, "href": u }]));
            }
            let locale = if lang == Lang::Zh { "zh_cn" } else { "en_us" };
            let mut body = json!({
                "msg_type": "post",
                "content": { "post": { locale: { "title": head, "content": content } } },
            });
            if let Some(secret) = &hook.secret {
                let ts = now_ms.div_euclid(1000);
                body["timestamp"] = json!(ts.to_string());
                body["sign"] = json!(feishu_sign(ts, secret));
            }
            body
        }
        HookKind::Slack => {
            let mut text = lines
                .iter()
                .map(|l| format!("• {l}"))
                .collect::<Vec<_>>()
                .join("\n");
            if let Some((label, u)) = &link {
                text.push_str(&format!("\n<{u}|{label}>"));
            }
            json!({
                "text": format!("{head}\n{}", lines.join("\n")),
                "blocks": [
                    { "type": "header", "text": { "type": "plain_text", "text": cut(&head, 150) } },
                    { "type": "section", "text": { "type": "mrkdwn", "text": cut(&text, 3000) } },
                ],
            })
        }
        HookKind::Alertmanager => {
            let firing = batch.iter().any(|m| !m.resolved());
            let alerts: Vec<Value> = batch
                .iter()
                .map(|m| {
                    let r = &m.record;
                    json!({
                        "status": if m.resolved() { "resolved" } else { "firing" },
                        "labels": {
                            "alertname": r.rule, "rule": r.rule, "scope": r.scope,
                            "severity": r.severity, "sale": sale, "source": "warroom",
                        },
                        "annotations": { "summary": r.title, "description": r.summary },
                        "startsAt": rfc3339_ms(r.fired_at_ms),
                        "endsAt": if m.resolved() { rfc3339_ms(now_ms) } else { "0001-01-01T00:00:00Z".to_string() },
                        "generatorURL": public_url.unwrap_or_default(),
                        "fingerprint": format!("{:016x}", xxhash_rust::xxh3::xxh3_64(r.key.as_bytes())),
                    })
                })
                .collect();
            json!({
                "version": "4",
                "groupKey": format!("{{}}:{{sale=\"{sale}\"}}"),
                "truncatedAlerts": 0,
                "status": if firing { "firing" } else { "resolved" },
                "receiver": hook.name,
                "groupLabels": { "sale": sale },
                "commonLabels": { "sale": sale, "source": "warroom" },
                "commonAnnotations": {},
                "externalURL": public_url.unwrap_or_default(),
                "alerts": alerts,
            })
        }
    };
    Outgoing { url, body }
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
    let code = |k: &str| json.get(k).and_then(Value::as_i64);
    let msg = || {
        json.get("errmsg")
            .or(json.get("msg"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (code, throttled): (Option<i64>, &[i64]) = match kind {
        HookKind::DingTalk => (code("errcode"), &[130_101]),
        HookKind::WeCom => (code("errcode"), &[45_009]),
        HookKind::Feishu => (code("code").or(code("StatusCode")), &[11_232, 9_499]),
        HookKind::Slack | HookKind::Alertmanager => (None, &[]),
    };
    match code {
        None | Some(0) => Outcome::Delivered,
        Some(c) if throttled.contains(&c) => Outcome::Retry {
            after,
            reason: format!("throttled (code {c})"),
        },
        Some(c) => Outcome::Refused(format!("code {c}: {}", msg())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_matches_the_services_vectors() {
        assert_eq!(
            dingtalk_sign(1_700_000_000_000, "secret"),
            "OuzzJR5+xZ4/EYwqtNt6sMYZQMTa/HEGvc9miJe7XzY="
        );
        assert_eq!(
            feishu_sign(1_599_360_473, "secret"),
            "q4jswNiMy51J5JuQV566yJat0/lQ/c+22kINzUgKsGU="
        );
        assert_eq!(url_encode("a+b/c="), "a%2Bb%2Fc%3D");
    }

    fn record(rule: &str) -> AlertRecord {
        AlertRecord {
            id: 1,
            key: format!("{rule}:store:s1"),
            rule: rule.into(),
            scope: "store:s1".into(),
            severity: "info".into(),
            status: "firing".into(),
            title: "目标达成".into(),
            summary: "天猫旗舰店 目标完成率达到 50%".into(),
            fired_at: "2026-11-11T00:10:00+08:00".into(),
            fired_at_ms: 1_794_327_000_000,
            resolved_at: None,
            silenced: false,
            deliveries: vec![],
        }
    }

    fn hook(kind: HookKind, secret: Option<&str>) -> HookConfig {
        HookConfig {
            name: "war-room".into(),
            kind,
            url: "https://example.invalid/hook?access_token=t".into(),
            secret: secret.map(str::to_string),
            mobiles: vec!["13800000000".into()],
            at_all: false,
        }
    }

    #[test]
    fn payload_shapes() {
        let batch = [Msg {
            kind: "fire",
            record: record("milestone"),
        }];
        let now = 1_700_000_000_000;
        let d = payload(
            &hook(HookKind::DingTalk, Some("secret")),
            Lang::Zh,
            Some("http://wall/"),
            "D11",
            &batch,
            now,
        );
        assert_eq!(d.body["msgtype"], "markdown");
        assert!(
            d.body["markdown"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("天猫旗舰店")
                    && t.contains("http://wall/")
                    && t.contains("@13800000000"))
        );
        assert_eq!(d.body["at"]["atMobiles"][0], "13800000000");
        assert!(
            d.url.ends_with(
                "&timestamp=1700000000000&sign=OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D"
            ),
            "{}",
            d.url
        );

        let w = payload(
            &hook(HookKind::WeCom, None),
            Lang::Zh,
            None,
            "D11",
            &vec![batch[0].clone(); 400],
            now,
        );
        let content = w.body["markdown"]["content"].as_str().expect("content");
        assert!(content.len() <= WECOM_MAX_BYTES, "{} bytes", content.len());
        assert!(content.starts_with("**告警汇总：400 条**"));

        let f = payload(
            &hook(HookKind::Feishu, Some("secret")),
            Lang::En,
            None,
            "D11",
            &batch,
            1_599_360_473_000,
        );
        assert_eq!(f.body["msg_type"], "post");
        assert_eq!(f.body["timestamp"], "1599360473");
        assert_eq!(
            f.body["sign"],
            "q4jswNiMy51J5JuQV566yJat0/lQ/c+22kINzUgKsGU="
        );
        assert!(
            f.body["content"]["post"]["en_us"]["content"][0][0]["text"]
                .as_str()
                .is_some()
        );

        let s = payload(
            &hook(HookKind::Slack, None),
            Lang::En,
            None,
            "D11",
            &batch,
            now,
        );
        assert!(s.body["text"].as_str().is_some_and(|t| t.contains("50%")));
        assert_eq!(s.body["blocks"][1]["type"], "section");

        let resolve = [Msg {
            kind: "resolve",
            record: record("low_stock"),
        }];
        let a = payload(
            &hook(HookKind::Alertmanager, None),
            Lang::En,
            Some("http://wall/"),
            "D11",
            &resolve,
            now,
        );
        assert_eq!(a.body["version"], "4");
        assert_eq!(a.body["status"], "resolved");
        let alert = &a.body["alerts"][0];
        assert_eq!(alert["labels"]["alertname"], "low_stock");
        assert_eq!(alert["startsAt"], "2026-11-10T16:10:00.000Z");
        assert_eq!(alert["endsAt"], "2023-11-14T22:13:20.000Z");
        assert_eq!(alert["fingerprint"].as_str().map(str::len), Some(16));
        assert!(a.body["groupKey"].is_string());
    }

    #[test]
    fn answers_are_read_per_service() {
        assert_eq!(
            classify(HookKind::DingTalk, 200, None, br#"{"errcode":0}"#),
            Outcome::Delivered
        );
        assert!(matches!(
            classify(HookKind::DingTalk, 200, None, br#"{"errcode":130101}"#),
            Outcome::Retry { .. }
        ));
        assert!(matches!(
            classify(
                HookKind::DingTalk,
                200,
                None,
                br#"{"errcode":310000,"errmsg":"sign not match"}"#
            ),
            Outcome::Refused(_)
        ));
        assert!(matches!(
            classify(HookKind::WeCom, 200, None, br#"{"errcode":45009}"#),
            Outcome::Retry { .. }
        ));
        assert!(matches!(
            classify(HookKind::Feishu, 200, None, br#"{"code":11232}"#),
            Outcome::Retry { .. }
        ));
        assert!(matches!(
            classify(HookKind::Feishu, 200, None, br#"{"code":9499}"#),
            Outcome::Retry { .. }
        ));
        assert_eq!(
            classify(HookKind::Feishu, 200, None, br#"{"code":0}"#),
            Outcome::Delivered
        );
        assert_eq!(
            classify(HookKind::Slack, 429, Some("7"), b"rate_limited"),
            Outcome::Retry {
                after: Some(Duration::from_secs(7)),
                reason: "HTTP 429 (rate limited)".into()
            }
        );
        assert!(matches!(
            classify(HookKind::Slack, 404, None, b"no_service"),
            Outcome::Refused(_)
        ));
        assert!(matches!(
            classify(HookKind::Alertmanager, 503, None, b""),
            Outcome::Retry { .. }
        ));
        assert_eq!(
            classify(HookKind::Alertmanager, 200, None, b""),
            Outcome::Delivered
        );
    }
}
