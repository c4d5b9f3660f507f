//! Feishu / Lark (飞书) custom bots: a `post` message, signed in the body,
//! 5 messages a second and 100 a minute.

use std::time::Duration;

use serde_json::{Value, json};

use super::markup::Markup;
use super::{Outgoing, Request, Verdict, hmac_b64};
use crate::config::Lang;

pub(super) const LIMITS: &[(usize, Duration)] =
    &[(5, Duration::from_secs(1)), (100, Duration::from_secs(60))];

/// Rate-limited answers: try later.
const THROTTLED: &[i64] = &[11_232, 9_499];

/// Base64(HMAC-SHA256(key = timestamp "\n" secret, message = empty)).
pub fn sign(timestamp_s: i64, secret: &str) -> String {
    hmac_b64(format!("{timestamp_s}\n{secret}").as_bytes(), b"")
}

pub(super) fn request(r: &Request) -> Outgoing {
    // `post` text elements and titles are plain text: no markup is read,
    // but clients still link URLs.
    let t = r.text(Markup::Plain);
    let mut content: Vec<Value> = t
        .lines
        .iter()
        .map(|l| json!([{ "tag": "text", "text": l }]))
        .collect();
    if let Some((label, u)) = &t.link {
        content.push(json!([{ "tag": "a", "text": label, "href": u }]));
    }
    let locale = match t.lang {
        Lang::Zh => "zh_cn",
        Lang::En => "en_us",
    };
    let mut body = json!({
        "msg_type": "post",
        "content": { "post": { locale: { "title": t.head, "content": content } } },
    });
    if let Some(secret) = &r.hook.secret {
        let ts = r.now_ms.div_euclid(1000);
        body["timestamp"] = json!(ts.to_string());
        body["sign"] = json!(sign(ts, secret.expose()));
    }
    r.post(body)
}

/// `code` (or, from older gateways, `StatusCode`) 0 is success.
pub(super) fn verdict(answer: &Value) -> Verdict {
    let code = |k: &str| answer.get(k).and_then(Value::as_i64);
    Verdict::of_code(code("code").or(code("StatusCode")), THROTTLED)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn signing_matches_the_services_vector() {
        assert_eq!(
            sign(1_599_360_473, "secret"),
            "q4jswNiMy51J5JuQV566yJat0/lQ/c+22kINzUgKsGU="
        );
    }

    #[test]
    fn a_signed_post() {
        let batch = batch(NoticeKind::Fire, Rule::Milestone);
        let hook = hook(HookKind::Feishu, Some("secret"));
        let f = payload(&hook, Lang::En, None, "D11", &batch, 1_599_360_473_000);
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
    }

    #[test]
    fn answers() {
        let read = |body: &[u8]| classify(HookKind::Feishu, 200, None, body);
        assert_eq!(read(br#"{"code":0}"#), Outcome::Delivered);
        assert!(matches!(read(br#"{"code":11232}"#), Outcome::Retry { .. }));
        assert!(matches!(read(br#"{"code":9499}"#), Outcome::Retry { .. }));
        assert!(matches!(
            read(br#"{"StatusCode":19021}"#),
            Outcome::Refused(_)
        ));
    }
}
