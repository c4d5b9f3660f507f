//! How a value from outside (a store, SKU or channel id or name, the sale's
//! name, a figure) is written into a chat message so that it shows as the
//! text it is and never as the service's markup: no link, no mention, no
//! bold, no heading.
//!
//! Every alert's title and summary pass through [`Markup::escape`] for the
//! format of the field they land in; the template's own markup (headings,
//! list bullets, the screen link) is added around the escaped text by each
//! service's file. The rules, as docs/api.md (Alerts, Payloads) states them:
//!
//! - **Markdown** (DingTalk, WeCom): each of ``\ ` * _ { } [ ] ( ) < > # + - . ! | ~ :``
//!   gets a backslash (CommonMark's escape). That covers emphasis, code,
//!   links and images, headings, lists, quotes, tables, HTML and autolinks,
//!   and bare URLs too: `http\://evil\.example` has neither a scheme nor a
//!   domain a linkifier recognises. Other punctuation (`% , ¥ @`) is left as
//!   it is, so figures read as they do on the screen.
//! - **Slack mrkdwn**: `&`, `<`, `>` become `&amp;`, `&lt;`, `&gt;` (Slack's
//!   own rule, which kills `<!channel>` and `<url|text>`). Slack has no
//!   escape character, so a zero-width space (U+200B) goes on both sides of
//!   `* _ ~ ``` and after every `:` and `.`, which breaks emphasis, code and
//!   Slack's automatic links.
//!   Slack's `plain_text` header gets the same: Slack decodes the three
//!   entities in every text field.
//! - **Plain** (Feishu's `text` elements and titles, DingTalk's
//!   notification title): no markup is read there, but
//!   clients still turn URLs into links, so `:` and `.` get the zero-width
//!   space as in Slack.
//!
//! In every format a line break, tab or other control character becomes a
//! space: a value must not start a new line (a heading, a quote, a list
//! item) of its own.

/// The markup a message field is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Markup {
    /// CommonMark-like markdown: DingTalk, WeCom.
    Markdown,
    /// Slack's mrkdwn.
    Mrkdwn,
    /// Plain text that clients may still linkify.
    Plain,
}

/// Zero width space: invisible, but no word, emphasis run or URL goes
/// across it.
const ZWSP: char = '\u{200B}';

/// What markdown may read as markup, in a line or across it.
const MARKDOWN_SPECIAL: &str = "\\`*_{}[]()<>#+-.!|~:";

impl Markup {
    /// `s` written so that it shows as itself in this format.
    pub fn escape(self, s: &str) -> String {
        let mut out = String::with_capacity(s.len() + s.len() / 4);
        for c in s.chars() {
            if c.is_control() {
                out.push(' ');
                continue;
            }
            match self {
                Markup::Markdown => {
                    if MARKDOWN_SPECIAL.contains(c) {
                        out.push('\\');
                    }
                    out.push(c);
                }
                Markup::Mrkdwn => match c {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    '*' | '_' | '~' | '`' => {
                        out.push(ZWSP);
                        out.push(c);
                        out.push(ZWSP);
                    }
                    ':' | '.' => {
                        out.push(c);
                        out.push(ZWSP);
                    }
                    _ => out.push(c),
                },
                Markup::Plain => {
                    out.push(c);
                    if matches!(c, ':' | '.') {
                        out.push(ZWSP);
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVIL: &str =
        "X **URGENT** [Login to fix](http://evil.example/x) <!channel> <http://evil.example|click>";

    #[test]
    fn markdown_escapes_what_markdown_reads() {
        assert_eq!(
            Markup::Markdown.escape(EVIL),
            r"X \*\*URGENT\*\* \[Login to fix\]\(http\://evil\.example/x\) \<\!channel\> \<http\://evil\.example\|click\>"
        );
        assert_eq!(Markup::Markdown.escape("# a\n> b"), r"\# a \> b");
        assert_eq!(
            Markup::Markdown.escape("天猫旗舰店 50%：¥1,600.00"),
            r"天猫旗舰店 50%：¥1,600\.00"
        );
    }

    #[test]
    fn mrkdwn_escapes_slacks_three_and_breaks_emphasis_and_links() {
        let z = ZWSP;
        assert_eq!(
            Markup::Mrkdwn.escape("<!channel> & <http://e.x|click>"),
            format!("&lt;!channel&gt; &amp; &lt;http:{z}//e.{z}x|click&gt;")
        );
        assert_eq!(
            Markup::Mrkdwn.escape("*b* _i_"),
            format!("{z}*{z}b{z}*{z} {z}_{z}i{z}_{z}")
        );
    }

    #[test]
    fn plain_breaks_links_and_lines_only() {
        let z = ZWSP;
        assert_eq!(
            Markup::Plain.escape("[a](http://e.x)\n**b**"),
            format!("[a](http:{z}//e.{z}x) **b**")
        );
    }
}
