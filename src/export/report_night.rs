//! Step 2 of the review, "The night 过程回顾" (docs/api.md, Export): one
//! chronological log of the sale — milestones reached, the peak minute
//! and the orders-per-second peak, sell-outs, alerts that fired and
//! resolved, and the notes the war room wrote — each at its clock time in
//! the sale's zone. The full time is kept in each row's `<time datetime>`.

use std::fmt::Write;

use super::clock;
use super::facts::Facts;
use super::report::esc;
use crate::money::money_label;
use crate::views::NoteKind;

/// What a line of the night is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Milestone,
    Peak,
    SoldOut,
    AlertFired,
    AlertResolved,
    Note,
}

impl Entry {
    fn label(self) -> &'static str {
        match self {
            Entry::Milestone => "milestone 里程碑",
            Entry::Peak => "peak 峰值",
            Entry::SoldOut => "sold out 售罄",
            Entry::AlertFired => "alert 告警",
            Entry::AlertResolved => "resolved 告警恢复",
            Entry::Note => "note 记录",
        }
    }

    fn class(self) -> &'static str {
        match self {
            Entry::Milestone => "k-ms",
            Entry::Peak => "k-peak",
            Entry::SoldOut => "k-out",
            Entry::AlertFired => "k-alert",
            Entry::AlertResolved => "k-ok",
            Entry::Note => "k-note",
        }
    }
}

/// One line: when (epoch ms and RFC 3339), what, and its text.
pub struct Line {
    pub ms: i64,
    pub at: String,
    pub kind: Entry,
    pub text: String,
}

/// Every line of the night, in time order (ties in the order listed).
pub fn lines(f: &Facts) -> Vec<Line> {
    let m = |v: i64| money_label(&f.currency, v);
    let mut out = Vec::new();
    let mut push = |at: &str, kind: Entry, text: String| {
        if let Some(ms) = clock::parse_ms(at) {
            out.push(Line {
                ms,
                at: at.to_string(),
                kind,
                text,
            });
        }
    };
    for ms in &f.milestones {
        if let Some(at) = &ms.reached_at {
            push(at, Entry::Milestone, format!("{} reached 达成", ms.label));
        }
    }
    if let Some(p) = &f.peak_minute {
        push(
            &p.minute_start,
            Entry::Peak,
            format!(
                "Peak minute 峰值分钟: {} in one minute 每分钟, {} orders 单",
                m(p.gmv),
                p.orders
            ),
        );
    }
    if let Some(p) = &f.peak_second {
        push(
            &p.at,
            Entry::Peak,
            format!("Peak second 峰值秒: {} orders/s 单/秒", p.orders),
        );
    }
    for s in &f.sold_out {
        push(&s.at, Entry::SoldOut, format!("{} sold out 售罄", s.name));
    }
    for n in &f.notes {
        let (kind, text) = match n.kind {
            NoteKind::Note => (
                Entry::Note,
                match &n.author {
                    Some(a) => format!("{} — {a}", n.text),
                    None => n.text.clone(),
                },
            ),
            NoteKind::AlertFired => (Entry::AlertFired, n.text.clone()),
            NoteKind::AlertResolved => (Entry::AlertResolved, n.text.clone()),
        };
        let scope = if n.scope == "sale" {
            String::new()
        } else {
            format!(" [{}]", n.scope)
        };
        push(&n.at, kind, format!("{text}{scope}"));
    }
    out.sort_by_key(|l| l.ms);
    out
}

pub fn night(h: &mut String, f: &Facts) {
    let lines = lines(f);
    if lines.is_empty() {
        h.push_str("<p class=muted>Nothing happened worth a line: no milestone, peak, sell-out, alert or note. 无里程碑、峰值、售罄、告警或记录。</p>");
        return;
    }
    h.push_str(
        "<table class=night><tr><th>time 时间</th><th>what 类型</th><th>entry 内容</th></tr>",
    );
    for l in &lines {
        let _ = write!(
            h,
            "<tr class={}><td class=t><time datetime=\"{}\">{}</time></td><td>{}</td><td>{}</td></tr>",
            l.kind.class(),
            esc(&l.at),
            esc(&clock::label(l.ms, f.tz, f.starts_ms, f.ends_ms)),
            l.kind.label(),
            esc(&l.text)
        );
    }
    h.push_str("</table>");
}
