//! An alert as the API, the screens, the export and `alerts.json` show it,
//! and the closed sets its fields take: severity, status, scope, and what
//! a notice about it says (fire, repeat, resolve).
//!
//! Each set is an enum whose serde spelling is the one `alerts.json` and
//! `/api/v1/alerts` have always used, so a book written by an earlier
//! build loads unchanged (see docs/api.md, Alerts).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::delivery::Delivery;
use crate::config::Rule;

/// How urgent an alert is. Declared most urgent first: the order is the
/// screens' order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Where a recorded alert stands. A condition still inside its `for`
/// period (pending) has no record yet: the book tracks it until it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Holding now; resolves when its condition has been gone a while.
    Firing,
    /// A one-shot alert (milestone, GMV mark): sent once, never resolves.
    Fired,
    Resolved,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Firing => "firing",
            Status::Fired => "fired",
            Status::Resolved => "resolved",
        }
    }
}

/// What an alert is about. On the wire and on disk it is one string:
/// `sale`, `channel:ID`, `store:ID`, `sku:ID` or `campaign:ID` (a campaign
/// id may itself hold a colon: everything after the first is the id).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AlertScope {
    Sale,
    Channel(String),
    Store(String),
    Sku(String),
    Campaign(String),
}

impl AlertScope {
    pub fn parse(s: &str) -> Option<AlertScope> {
        if s == "sale" {
            return Some(AlertScope::Sale);
        }
        let (kind, id) = s.split_once(':')?;
        let id = id.to_string();
        match kind {
            "channel" => Some(AlertScope::Channel(id)),
            "store" => Some(AlertScope::Store(id)),
            "sku" => Some(AlertScope::Sku(id)),
            "campaign" => Some(AlertScope::Campaign(id)),
            _ => None,
        }
    }
}

impl fmt::Display for AlertScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AlertScope::Sale => f.write_str("sale"),
            AlertScope::Channel(id) => write!(f, "channel:{id}"),
            AlertScope::Store(id) => write!(f, "store:{id}"),
            AlertScope::Sku(id) => write!(f, "sku:{id}"),
            AlertScope::Campaign(id) => write!(f, "campaign:{id}"),
        }
    }
}

impl Serialize for AlertScope {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for AlertScope {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<AlertScope, D::Error> {
        let s = String::deserialize(de)?;
        AlertScope::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "alert scope {s:?}: must be sale, channel:ID, store:ID, sku:ID or campaign:ID"
            ))
        })
    }
}

/// An alert as the API, the screens and the export show it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AlertRecord {
    pub id: u64,
    /// Rule and scope (and the mark, for one-shot rules): the book's key.
    pub key: String,
    pub rule: Rule,
    pub scope: AlertScope,
    pub severity: Severity,
    pub status: Status,
    /// The rule's title in the sale's message language.
    pub title: String,
    pub summary: String,
    pub fired_at: String,
    pub fired_at_ms: i64,
    pub resolved_at: Option<String>,
    pub silenced: bool,
    pub deliveries: Vec<Delivery>,
}

/// What a notice says about its alert; the `event` of an `alert` frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    Fire,
    Repeat,
    Resolve,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Fire => "fire",
            NoticeKind::Repeat => "repeat",
            NoticeKind::Resolve => "resolve",
        }
    }
}

/// What to send, to the screens and the hooks.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    Fire(AlertRecord),
    Repeat(AlertRecord),
    Resolve(AlertRecord),
}

impl Notice {
    pub fn new(kind: NoticeKind, record: AlertRecord) -> Notice {
        match kind {
            NoticeKind::Fire => Notice::Fire(record),
            NoticeKind::Repeat => Notice::Repeat(record),
            NoticeKind::Resolve => Notice::Resolve(record),
        }
    }

    pub fn record(&self) -> &AlertRecord {
        match self {
            Notice::Fire(r) | Notice::Repeat(r) | Notice::Resolve(r) => r,
        }
    }

    pub fn kind(&self) -> NoticeKind {
        match self {
            Notice::Fire(_) => NoticeKind::Fire,
            Notice::Repeat(_) => NoticeKind::Repeat,
            Notice::Resolve(_) => NoticeKind::Resolve,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_read_and_write_one_string() {
        for (text, scope) in [
            ("sale", AlertScope::Sale),
            ("channel:tmall", AlertScope::Channel("tmall".into())),
            ("store:s:1", AlertScope::Store("s:1".into())),
            ("sku:k000042", AlertScope::Sku("k000042".into())),
            ("campaign:直通车", AlertScope::Campaign("直通车".into())),
        ] {
            assert_eq!(AlertScope::parse(text).as_ref(), Some(&scope));
            assert_eq!(scope.to_string(), text);
            let json = serde_json::to_string(&scope).expect("json");
            assert_eq!(json, format!("\"{text}\""));
        }
        assert_eq!(AlertScope::parse("region:north"), None);
        assert!(serde_json::from_str::<AlertScope>("\"region:north\"").is_err());
    }

    #[test]
    fn severities_and_statuses_keep_their_spelling() {
        for s in [Severity::Critical, Severity::Warning, Severity::Info] {
            let json = serde_json::to_string(&s).expect("json");
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        for s in [Status::Firing, Status::Fired, Status::Resolved] {
            let json = serde_json::to_string(&s).expect("json");
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        assert!(Severity::Critical < Severity::Warning && Severity::Warning < Severity::Info);
    }
}
