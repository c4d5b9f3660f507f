//! Slack incoming webhooks: `text` for notifications plus header and
//! section blocks, one message a second. Slack answers `ok` in plain text
//! and refuses with HTTP statuses, which `classify` reads for every service.

use std::time::Duration;

use serde_json::json;

use super::markup::Markup;
use super::text::cut;
use super::{Outgoing, Request};

pub(super) const LIMITS: &[(usize, Duration)] = &[(1, Duration::from_secs(1))];

pub(super) fn request(r: &Request) -> Outgoing {
    // The section and the notification text are mrkdwn. The header is
    // `plain_text`, where Slack still decodes `&lt;` and friends: it gets
    // the same escaping (the zero-width spaces are invisible there).
    let t = r.text(Markup::Mrkdwn);
    let mut text = t
        .lines
        .iter()
        .map(|l| format!("• {l}"))
        .collect::<Vec<_>>()
        .join("\n");
    if let Some((label, u)) = &t.link {
        text.push_str(&format!("\n<{u}|{label}>"));
    }
    let body = json!({
        "text": format!("{}\n{}", t.head, t.lines.join("\n")),
        "blocks": [
            { "type": "header", "text": { "type": "plain_text", "text": cut(&t.head, 150) } },
            { "type": "section", "text": { "type": "mrkdwn", "text": cut(&text, 3000) } },
        ],
    });
    r.post(body)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;

    #[test]
    fn text_and_blocks() {
        let batch = batch(NoticeKind::Fire, Rule::Milestone);
        let s = payload(
            &hook(HookKind::Slack, None),
            Lang::En,
            None,
            "D11",
            &batch,
            0,
        );
        assert!(s.body["text"].as_str().is_some_and(|t| t.contains("50%")));
        assert_eq!(s.body["blocks"][0]["type"], "header");
        assert_eq!(s.body["blocks"][1]["type"], "section");
    }
}
