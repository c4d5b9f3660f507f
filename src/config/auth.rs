//! `[auth]` (docs/api.md, Auth): token lists per role, resolved at load time.
//!
//! A token is written literally, or as `env:NAME` (read from the
//! environment) or `file:PATH` (read from a file, trimmed), so secrets stay
//! out of a config kept in version control. Errors name the entry, never
//! the token; `Debug` never shows one, raw or resolved.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::error::ConfigError;
use super::secret::Secret;

/// `[auth]` as written. An entry is a literal token or where to find one;
/// all are [`Secret`]s, so a `{:?}` of the raw file shows none.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAuth {
    #[serde(default)]
    pub ingest: Vec<Spanned<Secret>>,
    #[serde(default)]
    pub view: Vec<Spanned<Secret>>,
    #[serde(default)]
    pub admin: Vec<Spanned<Secret>>,
    /// Browser origins allowed to call the API and open the socket from
    /// another site (CORS); same-origin pages are always allowed.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
}

/// Resolved tokens. Debug output shows how many, never which.
///
/// The lists stay plain strings because the HTTP edge compares them as
/// such (through digests); the hand-written `Debug` below is what keeps
/// them out of logs.
#[derive(Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AuthConfig {
    pub ingest: Vec<String>,
    pub view: Vec<String>,
    pub admin: Vec<String>,
    pub allowed_origins: Vec<String>,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("ingest", &self.ingest.len())
            .field("view", &self.view.len())
            .field("admin", &self.admin.len())
            .field("allowed_origins", &self.allowed_origins)
            .finish()
    }
}

/// Reads one token entry; the error says which source failed.
pub fn resolve(entry: &str, base: &Path) -> Result<String, String> {
    let token = if let Some(name) = entry.strip_prefix("env:") {
        std::env::var(name).map_err(|_| format!("environment variable {name} is not set"))?
    } else if let Some(path) = entry.strip_prefix("file:") {
        let p = base.join(path);
        std::fs::read_to_string(&p)
            .map_err(|e| format!("cannot read token file {}: {e}", p.display()))?
            .trim()
            .to_string()
    } else {
        entry.to_string()
    };
    if token.len() < 8 {
        return Err("a token must be at least 8 characters".into());
    }
    Ok(token)
}

impl super::build::Builder<'_> {
    /// `[auth]`: every entry resolved; at least one token somewhere.
    /// An empty `[auth]` is refused at its header's line: it would turn
    /// auth on with no token to get in.
    pub(super) fn auth(&self, spanned: &Spanned<RawAuth>) -> Result<AuthConfig, ConfigError> {
        let raw = spanned.get_ref();
        let list = |entries: &[Spanned<Secret>], role: &str| -> Result<Vec<String>, ConfigError> {
            entries
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    resolve(e.get_ref().expose(), self.base)
                        .or_else(|why| self.err(e.span(), format!("auth.{role}[{i}]: {why}")))
                })
                .collect()
        };
        let out = AuthConfig {
            ingest: list(&raw.ingest, "ingest")?,
            view: list(&raw.view, "view")?,
            admin: list(&raw.admin, "admin")?,
            allowed_origins: raw.allowed_origins.clone(),
        };
        if out.admin.is_empty() && out.ingest.is_empty() && out.view.is_empty() {
            return self.err(
                spanned.span(),
                "[auth] lists no tokens: remove it, or add ingest, view or admin tokens",
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_token_raw_or_resolved() {
        let raw: RawAuth = toml::from_str(
            "ingest = [\"LITERALTOKEN1\"]\nadmin = [\"env:ADMIN_TOKEN_VAR\"]\nallowed_origins = [\"https://wall\"]",
        )
        .expect("raw auth");
        let shown = format!("{raw:?}");
        assert!(!shown.contains("LITERALTOKEN1"), "{shown}");
        assert!(!shown.contains("ADMIN_TOKEN_VAR"), "{shown}");

        let auth = AuthConfig {
            ingest: vec!["LITERALTOKEN1".into()],
            view: vec!["VIEWTOKEN22".into(), "VIEWTOKEN33".into()],
            admin: vec![],
            allowed_origins: vec!["https://wall".into()],
        };
        let shown = format!("{auth:?}");
        assert!(
            !shown.contains("LITERALTOKEN1") && !shown.contains("VIEWTOKEN"),
            "{shown}"
        );
        assert!(shown.contains("view: 2") && shown.contains("https://wall"));
    }
}
