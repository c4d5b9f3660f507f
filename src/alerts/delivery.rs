//! One delivery attempt as an alert's log records it, and its result.
//!
//! The result is an enum inside warroom (the metrics count by its kind, the
//! worker asks whether it is final) and one line of text outside: the
//! `result` of `/api/v1/alerts` and of `alerts.json`, written exactly as
//! earlier builds wrote it, so existing books load and API clients that
//! read the text keep working.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One attempt to deliver an alert to one hook.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Delivery {
    pub hook: String,
    pub at: String,
    /// 1 for the first try; 0 when it never left the queue.
    pub attempt: u32,
    pub result: DeliveryResult,
}

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryResult {
    Delivered,
    /// Failed in a way worth retrying (timeout, 5xx, throttled); why.
    Retrying(String),
    /// The service said no for good (bad token, other 4xx, error code); why.
    Refused(String),
    /// The last retry failed too.
    GaveUp {
        attempts: u32,
        reason: String,
    },
    /// The hook's queue was full: never sent.
    Dropped,
    /// A result this build does not recognise, kept as read from a book.
    Other(String),
}

/// The kind of a result, as `/metrics` labels it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeliveryKind {
    Delivered,
    Retrying,
    Refused,
    GaveUp,
    Dropped,
    Other,
}

impl DeliveryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryKind::Delivered => "delivered",
            DeliveryKind::Retrying => "retrying",
            DeliveryKind::Refused => "refused",
            DeliveryKind::GaveUp => "gave up",
            DeliveryKind::Dropped => "dropped",
            DeliveryKind::Other => "other",
        }
    }
}

const DROPPED: &str = "dropped: the hook's queue is full";

impl DeliveryResult {
    pub fn kind(&self) -> DeliveryKind {
        match self {
            DeliveryResult::Delivered => DeliveryKind::Delivered,
            DeliveryResult::Retrying(_) => DeliveryKind::Retrying,
            DeliveryResult::Refused(_) => DeliveryKind::Refused,
            DeliveryResult::GaveUp { .. } => DeliveryKind::GaveUp,
            DeliveryResult::Dropped => DeliveryKind::Dropped,
            DeliveryResult::Other(_) => DeliveryKind::Other,
        }
    }

    /// Whether the alert is done with this hook (nothing more will be tried).
    pub fn is_final(&self) -> bool {
        !matches!(self, DeliveryResult::Retrying(_))
    }

    /// Reads the text form back. Books hold only text, so this is the one
    /// place that tells results apart by their wording.
    fn parse(text: String) -> DeliveryResult {
        if text == "delivered" {
            return DeliveryResult::Delivered;
        }
        if text == DROPPED {
            return DeliveryResult::Dropped;
        }
        if let Some(why) = text.strip_prefix("retrying: ") {
            return DeliveryResult::Retrying(why.to_string());
        }
        if let Some(why) = text.strip_prefix("refused: ") {
            return DeliveryResult::Refused(why.to_string());
        }
        let gave_up = text
            .strip_prefix("gave up after ")
            .and_then(|rest| rest.split_once(" attempts: "))
            .and_then(|(n, why)| Some((n.parse().ok()?, why)));
        match gave_up {
            Some((attempts, why)) => DeliveryResult::GaveUp {
                attempts,
                reason: why.to_string(),
            },
            None => DeliveryResult::Other(text),
        }
    }
}

impl fmt::Display for DeliveryResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeliveryResult::Delivered => f.write_str("delivered"),
            DeliveryResult::Retrying(why) => write!(f, "retrying: {why}"),
            DeliveryResult::Refused(why) => write!(f, "refused: {why}"),
            DeliveryResult::GaveUp { attempts, reason } => {
                write!(f, "gave up after {attempts} attempts: {reason}")
            }
            DeliveryResult::Dropped => f.write_str(DROPPED),
            DeliveryResult::Other(text) => f.write_str(text),
        }
    }
}

impl Serialize for DeliveryResult {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DeliveryResult {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<DeliveryResult, D::Error> {
        String::deserialize(de).map(DeliveryResult::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_in_the_old_wording() {
        let cases = [
            ("delivered", DeliveryKind::Delivered),
            ("retrying: HTTP 500", DeliveryKind::Retrying),
            (
                "refused: code 310000: sign not match",
                DeliveryKind::Refused,
            ),
            (
                "gave up after 6 attempts: cannot connect: error sending request",
                DeliveryKind::GaveUp,
            ),
            ("dropped: the hook's queue is full", DeliveryKind::Dropped),
            ("something newer", DeliveryKind::Other),
        ];
        for (text, kind) in cases {
            let r: DeliveryResult = serde_json::from_str(&format!("\"{text}\"")).expect("a string");
            assert_eq!(r.kind(), kind, "{text}");
            assert_eq!(r.to_string(), text);
        }
        assert_eq!(
            DeliveryResult::parse("gave up after 6 attempts: timeout".into()),
            DeliveryResult::GaveUp {
                attempts: 6,
                reason: "timeout".into()
            }
        );
        assert!(!DeliveryResult::Retrying("x".into()).is_final());
        assert!(DeliveryResult::Dropped.is_final());
    }
}
