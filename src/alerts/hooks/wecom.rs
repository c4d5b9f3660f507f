//! WeCom (企业微信) group robots: markdown cut to 4,096 bytes, 20 messages
//! a minute; the token is in the URL, there is no signing.

use std::time::Duration;

use serde_json::{Value, json};

use super::markup::Markup;
use super::text::cut;
use super::{Outgoing, Request, Verdict};

/// WeCom refuses markdown longer than this many bytes.
pub const MAX_BYTES: usize = 4096;

pub(super) const LIMITS: &[(usize, Duration)] = &[(20, Duration::from_secs(60))];

/// "API frequency out of limit": try later.
const THROTTLED: &[i64] = &[45_009];

pub(super) fn request(r: &Request) -> Outgoing {
    let t = r.text(Markup::Markdown);
    let mut text = format!("**{}**\n", t.head);
    for l in &t.lines {
        text.push_str(&format!("> {l}\n"));
    }
    if let Some((label, u)) = &t.link {
        text.push_str(&format!("[{label}]({u})"));
    }
    r.post(json!({ "msgtype": "markdown", "markdown": { "content": cut(&text, MAX_BYTES) } }))
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
    fn a_long_digest_is_cut_to_the_limit() {
        let one = batch(NoticeKind::Fire, Rule::Milestone);
        let many = vec![one[0].clone(); 400];
        let w = payload(
            &hook(HookKind::WeCom, None),
            Lang::Zh,
            None,
            "D11",
            &many,
            0,
        );
        let content = w.body["markdown"]["content"].as_str().expect("content");
        assert!(content.len() <= MAX_BYTES, "{} bytes", content.len());
        assert!(content.starts_with("**告警汇总：400 条**"));
    }

    #[test]
    fn answers() {
        let read = |body: &[u8]| classify(HookKind::WeCom, 200, None, body);
        assert_eq!(read(br#"{"errcode":0}"#), Outcome::Delivered);
        assert!(matches!(
            read(br#"{"errcode":45009}"#),
            Outcome::Retry { .. }
        ));
        assert!(matches!(read(br#"{"errcode":93000}"#), Outcome::Refused(_)));
    }
}
