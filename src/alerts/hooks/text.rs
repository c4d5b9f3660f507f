//! The words every chat service shows: one line per alert, a heading for
//! the batch, the link to the screen — made per request in the sale's
//! language with the alert's own words escaped for the field's markup,
//! then laid out by each service's file.

use super::markup::Markup;
use crate::alerts::record::{AlertRecord, Notice, NoticeKind};
use crate::config::Lang;

/// One message in a hook's queue.
#[derive(Debug, Clone)]
pub struct Msg {
    pub kind: NoticeKind,
    pub record: AlertRecord,
    /// In cluster mode, the notice's sequence in the alert journal, which
    /// the delivery's report names; 0 alone.
    pub seq: u64,
}

impl Msg {
    pub fn of(n: &Notice) -> Msg {
        Msg {
            kind: n.kind(),
            record: n.record().clone(),
            seq: 0,
        }
    }

    pub(super) fn resolved(&self) -> bool {
        self.kind == NoticeKind::Resolve
    }

    /// `【title】summary`, or marked as resolved. The title and summary
    /// carry ids and names from outside: they are escaped as a whole (they
    /// hold no markup of their own); the brackets around them are ours.
    fn line(&self, lang: Lang, markup: Markup) -> String {
        let (title, summary) = (
            markup.escape(&self.record.title),
            markup.escape(&self.record.summary),
        );
        match (self.resolved(), lang) {
            (true, Lang::Zh) => format!("【已恢复】{title}：{summary}"),
            (true, Lang::En) => format!("[Resolved] {title}: {summary}"),
            (false, Lang::Zh) => format!("【{title}】{summary}"),
            (false, Lang::En) => format!("[{title}] {summary}"),
        }
    }
}

/// What one request says, before a service lays it out.
pub struct Text {
    pub lang: Lang,
    /// One per alert.
    pub lines: Vec<String>,
    /// The single alert's line, or "N alerts".
    pub head: String,
    /// The screen's label and URL, when `public_url` is set.
    pub link: Option<(&'static str, String)>,
}

impl Text {
    /// The words for `batch`, escaped for `markup`.
    pub fn new(lang: Lang, public_url: Option<&str>, batch: &[Msg], markup: Markup) -> Text {
        let lines: Vec<String> = batch.iter().map(|m| m.line(lang, markup)).collect();
        let head = match (batch, lang) {
            ([one], _) => one.line(lang, markup),
            (_, Lang::Zh) => format!("告警汇总：{} 条", batch.len()),
            (_, Lang::En) => format!("warroom: {} alerts", batch.len()),
        };
        let label = match lang {
            Lang::Zh => "打开大屏",
            Lang::En => "Open the war-room screen",
        };
        Text {
            lang,
            lines,
            head,
            link: public_url.map(|u| (label, u.to_string())),
        }
    }
}

/// Cuts `s` to at most `max` bytes on a character boundary, marked `...`.
pub fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max.saturating_sub(3);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_on_a_character_boundary() {
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("告警汇总", 8), "告...");
        assert!(cut(&"告".repeat(100), 64).len() <= 64);
    }
}
