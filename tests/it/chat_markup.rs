//! docs/api.md, Payloads: ids and names from outside reach the chat groups
//! as text, never as markup. A stock event for a SKU whose id carries bold,
//! a disguised link, a Slack channel mention and a Slack link sells out at
//! level 0; each hook kind's receiver gets exactly the payload below, with
//! nothing in it a client would render as a link, a mention or emphasis.

use serde_json::{Value, json};
use warroom::config::HookKind;

use crate::alerts::{Receiver, with_hook};
use crate::support::{MIN, START, spawn_app_manual_alerts};

const EVIL: &str =
    "X **URGENT** [Login to fix](http://evil.example/x) <!channel> <http://evil.example|click>";

/// Zero width space, which Slack and plain-text fields get after `:` and
/// `.` and around emphasis marks.
const Z: &str = "\u{200B}";

/// The one request a hook of `kind` sends when the evil SKU sells out.
async fn sent(kind: HookKind) -> (String, Value) {
    let rx = Receiver::default();
    let url = rx.start().await;
    let now = START + 60 * MIN;
    let mut cfg = with_hook(kind, url, None);
    cfg.alerts.public_url = None;
    let app = spawn_app_manual_alerts(cfg, now).await;
    let event = json!({"type": "stock", "ts": now - 1000, "sku": EVIL, "level": 0});
    let r = app
        .post_events(event.to_string(), "application/x-ndjson")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.alerts.evaluate().len(), 1, "the SKU sold out");
    rx.wait_for(1).await;
    let reqs = rx.requests();
    assert_eq!(reqs.len(), 1);
    let (_, uri, body) = reqs.into_iter().next().expect("one request");
    (uri, body)
}

/// `EVIL` as plain-text fields carry it.
fn plain() -> String {
    EVIL.replace(':', &format!(":{Z}"))
        .replace('.', &format!(".{Z}"))
}

/// `EVIL` as markdown carries it: a backslash before each mark.
const MARKDOWN: &str = r"X \*\*URGENT\*\* \[Login to fix\]\(http\://evil\.example/x\) \<\!channel\> \<http\://evil\.example\|click\>";

/// `s` cut to `max` bytes on a character boundary, as the services' limits
/// cut titles.
fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max - 3;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

#[tokio::test]
async fn dingtalk_markdown_has_no_link_or_emphasis_from_an_id() {
    let (_, body) = sent(HookKind::DingTalk).await;
    let line = format!("【已售罄】{MARKDOWN} 已售罄");
    assert_eq!(
        body,
        json!({
            "msgtype": "markdown",
            "markdown": {
                "title": cut(&format!("【已售罄】{} 已售罄", plain()), 64),
                "text": format!("### {line}\n\n- {line}\n"),
            },
            "at": { "atMobiles": [], "isAtAll": false },
        })
    );
}

#[tokio::test]
async fn wecom_markdown_has_no_link_or_emphasis_from_an_id() {
    let (_, body) = sent(HookKind::WeCom).await;
    let line = format!("【已售罄】{MARKDOWN} 已售罄");
    assert_eq!(
        body,
        json!({
            "msgtype": "markdown",
            "markdown": { "content": format!("**{line}**\n> {line}\n") },
        })
    );
}

#[tokio::test]
async fn feishu_text_elements_carry_the_id_with_its_urls_broken() {
    let (_, body) = sent(HookKind::Feishu).await;
    let line = format!("【已售罄】{} 已售罄", plain());
    assert_eq!(
        body,
        json!({
            "msg_type": "post",
            "content": { "post": { "zh_cn": {
                "title": line,
                "content": [[{ "tag": "text", "text": line }]],
            } } },
        })
    );
}

#[tokio::test]
async fn slack_mrkdwn_has_no_mention_link_or_emphasis_from_an_id() {
    let (_, body) = sent(HookKind::Slack).await;
    let mrkdwn = format!(
        "X {Z}*{Z}{Z}*{Z}URGENT{Z}*{Z}{Z}*{Z} [Login to fix](http:{Z}//evil.{Z}example/x) \
         &lt;!channel&gt; &lt;http:{Z}//evil.{Z}example|click&gt;"
    );
    let line = format!("【已售罄】{mrkdwn} 已售罄");
    assert_eq!(
        body,
        json!({
            "text": format!("{line}\n{line}"),
            "blocks": [
                { "type": "header", "text": {
                    "type": "plain_text",
                    "text": cut(&line, 150),
                } },
                { "type": "section", "text": { "type": "mrkdwn", "text": format!("• {line}") } },
            ],
        })
    );
    let text = body.to_string();
    assert!(
        !text.contains("<!channel>") && !text.contains("<http"),
        "{text}"
    );
}

#[tokio::test]
async fn alertmanager_labels_are_json_and_carry_the_id_unchanged() {
    let (_, body) = sent(HookKind::Alertmanager).await;
    let alert = &body["alerts"][0];
    assert_eq!(alert["labels"]["scope"], format!("sku:{EVIL}"));
    assert_eq!(alert["annotations"]["summary"], "已售罄");
    assert_eq!(
        alert["annotations"]["description"],
        format!("{EVIL} 已售罄")
    );
    // JSON's own escaping is all it needs: the receiver reads the labels
    // back exactly as sent.
    let wire = serde_json::to_string(&body).expect("json");
    assert!(wire.contains(&format!(r#""scope":"sku:{EVIL}""#)), "{wire}");
    let back: Value = serde_json::from_str(&wire).expect("parse");
    assert_eq!(back, body);
}
