//! DingTalk (钉钉) custom robots: markdown with @mentions, signed in the
//! query string, 20 messages a minute.

use std::time::Duration;

use serde_json::{Value, json};

use super::markup::Markup;
use super::text::cut;
use super::{Outgoing, Request, Verdict, hmac_b64};

/// Exceeding 20 a minute blocks a DingTalk robot for 10 minutes.
pub(super) const LIMITS: &[(usize, Duration)] = &[(20, Duration::from_secs(60))];

/// "Sending too fast": try later.
const THROTTLED: &[i64] = &[130_101];

/// Base64(HMAC-SHA256(key = secret, message = timestamp "\n" secret)).
pub fn sign(timestamp_ms: i64, secret: &str) -> String {
    hmac_b64(
        secret.as_bytes(),
        format!("{timestamp_ms}\n{secret}").as_bytes(),
    )
}

/// Percent-encodes a query value (Base64's `+`, `/`, `=` included).
fn url_encode(s: &str) -> String {
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

pub(super) fn request(r: &Request) -> Outgoing {
    let hook = r.hook;
    // The title shows as plain text in notifications; the text is markdown.
    let (title, t) = (r.text(Markup::Plain).head, r.text(Markup::Markdown));
    let mut text = format!("### {}\n\n", t.head);
    for l in &t.lines {
        text.push_str(&format!("- {l}\n"));
    }
    if let Some((label, u)) = &t.link {
        text.push_str(&format!("\n[{label}]({u})\n"));
    }
    for mobile in &hook.mobiles {
        text.push_str(&format!(" @{mobile}"));
    }
    let mut url = hook.url.expose().to_string();
    if let Some(secret) = &hook.secret {
        let sep = if url.contains('?') { '&' } else { '?' };
        let sign = url_encode(&sign(r.now_ms, secret.expose()));
        url = format!("{url}{sep}timestamp={}&sign={sign}", r.now_ms);
    }
    let body = json!({
        "msgtype": "markdown",
        "markdown": { "title": cut(&title, 64), "text": text },
        "at": { "atMobiles": hook.mobiles, "isAtAll": hook.at_all },
    });
    Outgoing {
        url: url.into(),
        body,
    }
}

/// `errcode` 0 is success.
pub(super) fn verdict(answer: &Value) -> Verdict {
    Verdict::of_code(answer.get("errcode").and_then(Value::as_i64), THROTTLED)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn signing_matches_the_services_vector() {
        assert_eq!(
            sign(1_700_000_000_000, "secret"),
            "OuzzJR5+xZ4/EYwqtNt6sMYZQMTa/HEGvc9miJe7XzY="
        );
        assert_eq!(url_encode("a+b/c="), "a%2Bb%2Fc%3D");
    }

    #[test]
    fn markdown_with_mentions_and_a_signed_url() {
        let batch = batch(NoticeKind::Fire, Rule::Milestone);
        let hook = hook(HookKind::DingTalk, Some("secret"));
        let d = payload(
            &hook,
            Lang::Zh,
            Some("http://wall/"),
            "D11",
            &batch,
            1_700_000_000_000,
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
        let url = d.url.expose();
        assert!(
            url.starts_with("https://example.invalid/hook?access_token=t&")
                && url.ends_with(
                    "&timestamp=1700000000000&sign=OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D"
                ),
            "{url}"
        );
        assert!(!format!("{d:?}").contains("access_token"));
    }

    #[test]
    fn answers() {
        let read = |body: &[u8]| classify(HookKind::DingTalk, 200, None, body);
        assert_eq!(read(br#"{"errcode":0}"#), Outcome::Delivered);
        assert!(matches!(
            read(br#"{"errcode":130101}"#),
            Outcome::Retry { .. }
        ));
        assert!(matches!(
            read(br#"{"errcode":310000,"errmsg":"sign not match"}"#),
            Outcome::Refused(_)
        ));
    }
}
