//! The `[cluster]` section: the NATS servers whose JetStream stream is the
//! log, the stream's name and replicas, this node's name, and what the
//! cluster adds (a bus source, the screens' node list). Absent, warroom runs
//! alone on its local log.

use toml::Spanned;

use super::build::Builder;
use super::error::ConfigError;
use super::secret::Secret;

/// How long a batch may wait for the stream's acknowledgement, and then for
/// this node to apply it, before the client gets `503` (default).
pub const DEFAULT_ACK_TIMEOUT_MS: u64 = 5_000;
/// A node this far behind the stream says so in its frames (default).
pub const DEFAULT_MAX_LAG_MS: u64 = 3_000;
/// JetStream's duplicate window for batch message ids (default).
pub const DEFAULT_DUPLICATE_WINDOW_S: u64 = 120;

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCluster {
    pub nats: Option<Spanned<Vec<String>>>,
    pub stream: Option<Spanned<String>>,
    pub replicas: Option<Spanned<i64>>,
    pub node: Option<Spanned<String>>,
    pub token: Option<Spanned<String>>,
    pub user: Option<Spanned<String>>,
    pub password: Option<Spanned<String>>,
    pub source: Option<Spanned<String>>,
    pub dead_letter: Option<Spanned<String>>,
    pub screens: Option<Vec<Spanned<String>>>,
    pub ack_timeout_ms: Option<Spanned<i64>>,
    pub max_lag_ms: Option<Spanned<i64>>,
    pub duplicate_window: Option<Spanned<i64>>,
}

/// Cluster mode: the stream is the log (docs/operations.md, Cluster mode).
/// Never written to the data directory (it holds NATS credentials).
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterConfig {
    /// NATS server URLs; the client fails over between them.
    pub nats: Vec<String>,
    /// The JetStream stream that holds the sale's batches.
    pub stream: String,
    /// Stream replicas: 3 on a 3-server cluster, 1 on a single server.
    pub replicas: usize,
    /// This node's name in status, metrics and the alert lease; `None`:
    /// the host name and the listen port.
    pub node: Option<String>,
    pub auth: NatsAuth,
    /// A subject order systems already publish ingest bodies to.
    pub source: Option<String>,
    /// Where the source's rejected lines go.
    pub dead_letter: Option<String>,
    /// Node addresses the screen page may move to (sent in `hello`).
    pub screens: Vec<String>,
    pub ack_timeout_ms: u64,
    pub max_lag_ms: u64,
    pub duplicate_window_s: u64,
}

/// How a node proves itself to NATS.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum NatsAuth {
    #[default]
    None,
    Token(Secret),
    User {
        user: String,
        password: Secret,
    },
}

impl ClusterConfig {
    /// A cluster section with every default, for `--nats` on a config that
    /// has none.
    pub fn with_servers(nats: Vec<String>, sale_name: &str) -> ClusterConfig {
        ClusterConfig {
            nats,
            stream: default_stream(sale_name),
            replicas: 3,
            node: None,
            auth: NatsAuth::None,
            source: None,
            dead_letter: None,
            screens: Vec::new(),
            ack_timeout_ms: DEFAULT_ACK_TIMEOUT_MS,
            max_lag_ms: DEFAULT_MAX_LAG_MS,
            duplicate_window_s: DEFAULT_DUPLICATE_WINDOW_S,
        }
    }

    /// The dead-letter subject: configured, or `rejected.` before the
    /// source's subject with its wildcards dropped (`orders.>` →
    /// `rejected.orders`), so it never falls under the source itself.
    pub fn dead_letter_subject(&self) -> Option<String> {
        let source = self.source.as_ref()?;
        Some(self.dead_letter.clone().unwrap_or_else(|| {
            let kept: Vec<&str> = source
                .split('.')
                .filter(|t| *t != "*" && *t != ">")
                .collect();
            if kept.is_empty() {
                "rejected".to_string()
            } else {
                format!("rejected.{}", kept.join("."))
            }
        }))
    }
}

/// Whether the subject pattern `pattern` (with `*` and `>`) matches the
/// literal subject `subject`.
pub fn covers(pattern: &str, subject: &str) -> bool {
    let mut subject = subject.split('.');
    for p in pattern.split('.') {
        match (p, subject.next()) {
            (">", Some(_)) => return true,
            ("*", Some(_)) => {}
            (p, Some(s)) if p == s => {}
            _ => return false,
        }
    }
    subject.next().is_none()
}

/// `--nats URL,…` and `--node NAME`: the servers replace `[cluster] nats`
/// (turning cluster mode on if the config had no `[cluster]`).
pub fn apply_nats_flags(
    cfg: &mut super::Config,
    nats: Vec<String>,
    node: Option<String>,
) -> Result<(), String> {
    for url in &nats {
        check_url(url).map_err(|e| format!("--nats {:?}: {e}", shown_url(url)))?;
    }
    if !nats.is_empty() {
        cfg.cluster
            .get_or_insert_with(|| ClusterConfig::with_servers(Vec::new(), &cfg.sale.name))
            .nats = nats;
    }
    let Some(cluster) = cfg.cluster.as_mut() else {
        return match node {
            Some(_) => {
                Err("--node: only in cluster mode ([cluster] in the config, or --nats)".into())
            }
            None => Ok(()),
        };
    };
    if let Some(node) = node {
        if !plain_name(&node) {
            return Err(format!(
                "--node {node:?}: letters, digits, '_' and '-' only, at most 64"
            ));
        }
        cluster.node = Some(node);
    }
    Ok(())
}

/// `WARROOM_` and the sale's name in capitals, every character a stream
/// name may not hold as `_`; a name with anything but ASCII letters and
/// digits also gets a short hash, so two sales named in Chinese differ.
pub fn default_stream(sale_name: &str) -> String {
    let mut out = String::from("WARROOM_");
    let mut plain = true;
    for c in sale_name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else {
            if !(c == '_' || c == '-' || c == ' ') {
                plain = false;
            }
            out.push('_');
        }
    }
    if !plain {
        let h = xxhash_rust::xxh3::xxh3_64(sale_name.as_bytes());
        out.push_str(&format!("_{:08X}", h as u32));
    }
    out
}

/// A name JetStream takes for a stream or a node: letters, digits, `_`
/// and `-`, at most 64 characters.
fn plain_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A NATS subject: dot-separated tokens without spaces; wildcards only
/// where `wild` allows them.
fn subject(s: &str, wild: bool) -> bool {
    let tokens: Vec<&str> = s.split('.').collect();
    !s.is_empty()
        && tokens.iter().enumerate().all(|(i, t)| {
            !t.is_empty()
                && !t.chars().any(char::is_whitespace)
                && match *t {
                    "*" => wild,
                    ">" => wild && i + 1 == tokens.len(),
                    t => !t.contains('*') && !t.contains('>'),
                }
        })
}

impl Builder<'_> {
    pub(super) fn cluster(
        &self,
        raw: Option<&Spanned<RawCluster>>,
        sale_name: &str,
    ) -> Result<Option<ClusterConfig>, ConfigError> {
        let Some(section) = raw else { return Ok(None) };
        let raw = section.get_ref();
        let Some(nats) = &raw.nats else {
            return self.err(
                section.span(),
                "cluster.nats: missing; list the NATS server URLs, such as [\"nats://127.0.0.1:4222\"]",
            );
        };
        if nats.get_ref().is_empty() {
            return self.err(
                nats.span(),
                "cluster.nats: list at least one NATS server URL",
            );
        }
        for url in nats.get_ref() {
            if let Err(e) = check_url(url) {
                return self.err(
                    nats.span(),
                    format!("cluster.nats: {:?}: {e}", shown_url(url)),
                );
            }
        }
        let mut out = ClusterConfig::with_servers(nats.get_ref().clone(), sale_name);
        if let Some(s) = &raw.stream {
            if !plain_name(s.get_ref()) {
                return self.err(
                    s.span(),
                    "cluster.stream: letters, digits, '_' and '-' only, at most 64",
                );
            }
            out.stream = s.get_ref().clone();
        }
        if let Some(r) = self.ranged(&raw.replicas, "cluster.replicas", 1, 5)? {
            out.replicas = r as usize;
        }
        if let Some(n) = &raw.node {
            if !plain_name(n.get_ref()) {
                return self.err(
                    n.span(),
                    "cluster.node: letters, digits, '_' and '-' only, at most 64",
                );
            }
            out.node = Some(n.get_ref().clone());
        }
        out.auth = match (&raw.token, &raw.user, &raw.password) {
            (None, None, None) => NatsAuth::None,
            (Some(t), None, None) => NatsAuth::Token(Secret::new(t.get_ref().clone())),
            (None, Some(u), Some(p)) => NatsAuth::User {
                user: u.get_ref().clone(),
                password: Secret::new(p.get_ref().clone()),
            },
            (Some(t), _, _) => {
                return self.err(
                    t.span(),
                    "cluster.token: give either a token or user and password, not both",
                );
            }
            (None, Some(u), None) => {
                return self.err(u.span(), "cluster.user: needs cluster.password too");
            }
            (None, _, Some(p)) => {
                return self.err(p.span(), "cluster.password: needs cluster.user too");
            }
        };
        if let Some(s) = &raw.source {
            if !subject(s.get_ref(), true) {
                return self.err(
                    s.span(),
                    "cluster.source: a NATS subject such as \"orders.>\"",
                );
            }
            out.source = Some(s.get_ref().clone());
        }
        if let Some(d) = &raw.dead_letter {
            if !subject(d.get_ref(), false) {
                return self.err(
                    d.span(),
                    "cluster.dead_letter: a NATS subject without wildcards, such as \"orders.rejected\"",
                );
            }
            if out.source.is_none() {
                return self.err(d.span(), "cluster.dead_letter: only with cluster.source");
            }
            out.dead_letter = Some(d.get_ref().clone());
        }
        if let (Some(source), Some(dead)) = (&out.source, out.dead_letter_subject()) {
            // Dead letters read back as source messages would be rejected
            // again, and again.
            if covers(source, &dead) {
                let span = raw
                    .dead_letter
                    .as_ref()
                    .or(raw.source.as_ref())
                    .map_or(section.span(), |s| s.span());
                return self.err(
                    span,
                    format!(
                        "cluster.dead_letter: the dead-letter subject {dead:?} falls under cluster.source {source:?}, so dead letters would be read back; set cluster.dead_letter to a subject outside it"
                    ),
                );
            }
        }
        for s in raw.screens.iter().flatten() {
            let url = s.get_ref().trim_end_matches('/');
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return self.err(
                    s.span(),
                    "cluster.screens: node addresses such as \"http://10.0.0.2:8080\"",
                );
            }
            out.screens.push(url.to_string());
        }
        if let Some(v) = self.ranged(&raw.ack_timeout_ms, "cluster.ack_timeout_ms", 100, 60_000)? {
            out.ack_timeout_ms = v as u64;
        }
        if let Some(v) = self.ranged(&raw.max_lag_ms, "cluster.max_lag_ms", 100, 600_000)? {
            out.max_lag_ms = v as u64;
        }
        if let Some(v) = self.ranged(
            &raw.duplicate_window,
            "cluster.duplicate_window",
            10,
            86_400,
        )? {
            out.duplicate_window_s = v as u64;
        }
        Ok(Some(out))
    }
}

/// Whether `url` reads as a NATS server address (`nats://host:port`,
/// `tls://…`, or a bare `host:port`).
pub fn check_url(url: &str) -> Result<(), &'static str> {
    let rest = url
        .strip_prefix("nats://")
        .or_else(|| url.strip_prefix("tls://"))
        .unwrap_or(url);
    let host_port = rest.rsplit('@').next().unwrap_or(rest);
    match host_port.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => Ok(()),
        _ => Err("not a NATS server address such as nats://127.0.0.1:4222"),
    }
}

/// `urls` as logs, errors and status may show them: a password or token
/// in a URL (`nats://user:secret@host:4222`) replaced by `***`.
pub fn shown_urls(urls: &[String]) -> String {
    urls.iter()
        .map(|u| shown_url(u))
        .collect::<Vec<_>>()
        .join(",")
}

fn shown_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), url),
    };
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = match userinfo.split_once(':') {
                Some((user, _)) => format!("{user}:***"),
                // A bare token (`nats://TOKEN@host`) is the secret itself.
                None => "***".to_string(),
            };
            format!("{scheme}{user}@{host}")
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_come_from_the_sale() {
        assert_eq!(default_stream("d11 2026"), "WARROOM_D11_2026");
        let cn = default_stream("双11大促");
        assert!(cn.starts_with("WARROOM_") && plain_name(&cn), "{cn}");
        assert_ne!(cn, default_stream("双12大促"));
    }

    #[test]
    fn dead_letters_never_fall_under_the_source() {
        let mut c = ClusterConfig::with_servers(vec!["nats://h:1".into()], "x");
        c.source = Some("orders.>".into());
        assert_eq!(c.dead_letter_subject().as_deref(), Some("rejected.orders"));
        c.source = Some("shop.*.orders".into());
        assert_eq!(
            c.dead_letter_subject().as_deref(),
            Some("rejected.shop.orders")
        );
        c.source = Some(">".into());
        assert_eq!(c.dead_letter_subject().as_deref(), Some("rejected"));
    }

    #[test]
    fn subject_patterns_match_as_nats_matches_them() {
        assert!(covers("orders.>", "orders.a.b"));
        assert!(!covers("orders.>", "orders"));
        assert!(covers("*.orders", "rejected.orders"));
        assert!(!covers("orders.*", "orders.a.b"));
        assert!(covers("orders.*", "orders.a"));
        assert!(covers(">", "rejected"));
        assert!(!covers("orders.>", "rejected.orders"));
        assert!(covers("a.b", "a.b") && !covers("a.b", "a.b.c"));
    }

    #[test]
    fn urls_are_shown_without_their_secrets() {
        let urls = [
            "nats://ops:s3cret@10.0.0.1:4222".to_string(),
            "tls://T0KEN@10.0.0.2:4222".to_string(),
            "10.0.0.3:4222".to_string(),
        ];
        let shown = shown_urls(&urls);
        assert_eq!(
            shown,
            "nats://ops:***@10.0.0.1:4222,tls://***@10.0.0.2:4222,10.0.0.3:4222"
        );
    }

    #[test]
    fn subjects_and_urls_are_checked() {
        assert!(subject("orders.>", true));
        assert!(!subject("orders.>.x", true));
        assert!(!subject("orders.>", false));
        assert!(!subject("a..b", true));
        assert!(check_url("nats://127.0.0.1:4222").is_ok());
        assert!(check_url("127.0.0.1:4222").is_ok());
        assert!(check_url("http://x").is_err());
    }
}
