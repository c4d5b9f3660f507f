//! A secret read from the config: a hook URL (its query carries the access
//! token), a signing key, a token.
//!
//! `Secret` is a string that does not show itself: its `Debug` prints
//! `"***"`, it has no `Display`, and it does not implement `Serialize`, so
//! neither a `{:?}` of a config, nor a log line, nor an API answer can carry
//! it by accident. Code that needs the value says so with
//! [`Secret::expose`]; a config type that must still be written out (the
//! data directory's `sale.json`, for now) opts in per field with
//! `#[serde(serialize_with = "…")]` and the two helpers below. It reads
//! from a plain string, so every existing config and data directory parses.

use std::fmt;

use serde::{Deserialize, Deserializer, Serializer};

/// A string kept out of `Debug` output, logs and serialised answers.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for the one place that must send or compare it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `serialize_with` for a `Secret` field that must be written out whole.
    pub fn serialize_exposed<S: Serializer>(s: &Secret, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(&s.0)
    }

    /// `serialize_with` for an `Option<Secret>` field that must be written out whole.
    pub fn serialize_exposed_opt<S: Serializer>(
        s: &Option<Secret>,
        ser: S,
    ) -> Result<S::Ok, S::Error> {
        match s {
            Some(s) => ser.serialize_some(&s.0),
            None => ser.serialize_none(),
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_string())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Secret, D::Error> {
        String::deserialize(de).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value_and_expose_gives_it() {
        let s = Secret::from("https://oapi.dingtalk.com/robot/send?access_token=SECRETTOKEN");
        assert_eq!(format!("{s:?}"), "\"***\"");
        assert_eq!(format!("{:?}", Some(&s)), "Some(\"***\")");
        assert!(s.expose().ends_with("SECRETTOKEN"));
    }

    #[test]
    fn reads_from_a_plain_string_and_writes_only_when_asked() {
        let s: Secret = serde_json::from_str("\"SEC123\"").expect("a string");
        assert_eq!(s.expose(), "SEC123");
        #[derive(serde::Serialize)]
        struct Out {
            #[serde(serialize_with = "Secret::serialize_exposed")]
            url: Secret,
            #[serde(serialize_with = "Secret::serialize_exposed_opt")]
            key: Option<Secret>,
        }
        let out = Out { url: s, key: None };
        assert_eq!(
            serde_json::to_string(&out).expect("json"),
            r#"{"url":"SEC123","key":null}"#
        );
    }
}
