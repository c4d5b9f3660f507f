//! The `[server]` and `[storage]` sections: listen address, limits and
//! caps, allowed host names; the data directory and its durability. Kept
//! apart from `build` (the sale and catalog) so each file reads as one
//! section's rules.

use toml::Spanned;

use super::build::Builder;
use super::error::ConfigError;
use super::model::*;
use super::raw::*;

impl Builder<'_> {
    pub(super) fn server(&self, raw: Option<&RawServer>) -> Result<ServerConfig, ConfigError> {
        let mut out = ServerConfig::default();
        let Some(raw) = raw else { return Ok(out) };
        if let Some(l) = &raw.listen {
            match l.get_ref().parse() {
                Ok(addr) => out.listen = addr,
                Err(_) => {
                    return self.err(
                        l.span(),
                        "server.listen: must be an address such as \"127.0.0.1:8080\"",
                    );
                }
            }
        }
        if let Some(t) = &raw.tick_ms {
            if !(20..=60_000).contains(t.get_ref()) {
                return self.err(t.span(), "server.tick_ms: must be from 20 to 60000");
            }
            out.tick_ms = *t.get_ref() as u64;
        }
        if let Some(b) = &raw.max_body_bytes {
            if !(1024..=1 << 30).contains(b.get_ref()) {
                return self.err(
                    b.span(),
                    "server.max_body_bytes: must be from 1024 to 1073741824",
                );
            }
            out.max_body_bytes = *b.get_ref() as usize;
        }
        if let Some(v) = self.ranged(&raw.max_line_bytes, "server.max_line_bytes", 256, 1 << 30)? {
            out.max_line_bytes = v as usize;
        }
        if let Some(v) = self.ranged(
            &raw.max_ingest_requests,
            "server.max_ingest_requests",
            1,
            100_000,
        )? {
            out.max_ingest_requests = v as usize;
        }
        if let Some(v) = self.ranged(&raw.max_screens, "server.max_screens", 1, 10_000_000)? {
            out.max_screens = v as usize;
        }
        if let Some(v) = self.ranged(
            &raw.header_timeout_ms,
            "server.header_timeout_ms",
            100,
            600_000,
        )? {
            out.header_timeout_ms = v as u64;
        }
        for h in raw.allowed_hosts.iter().flatten() {
            let Some(name) = host_name(h.get_ref()) else {
                return self.err(
                    h.span(),
                    format!(
                        "server.allowed_hosts: {:?} must be a host name such as \"warroom.example.com\" (no scheme, port or path)",
                        h.get_ref()
                    ),
                );
            };
            out.allowed_hosts.push(name);
        }
        let caps = [
            &raw.max_unlisted_channels,
            &raw.max_unlisted_stores,
            &raw.max_unlisted_skus,
            &raw.max_unlisted_regions,
            &raw.max_unlisted_campaigns,
        ];
        for (kind, v) in super::EntityKind::ALL.into_iter().zip(caps) {
            if let Some(v) = self.ranged(v, kind.key(), 0, kind.max_cap() as i64)? {
                out.entities.unlisted[kind.index()] = v as usize;
            }
        }
        let per_request = super::PER_REQUEST_MAX as i64;
        let key = super::PER_REQUEST_KEY;
        if let Some(v) = self.ranged(&raw.max_unlisted_per_request, key, 0, per_request)? {
            out.entities.per_request = v as usize;
        }
        Ok(out)
    }

    /// An optional whole number that must lie in `lo..=hi`.
    pub(super) fn ranged(
        &self,
        v: &Option<Spanned<i64>>,
        field: &str,
        lo: i64,
        hi: i64,
    ) -> Result<Option<i64>, ConfigError> {
        match v {
            Some(v) if !(lo..=hi).contains(v.get_ref()) => {
                self.err(v.span(), format!("{field}: must be from {lo} to {hi}"))
            }
            Some(v) => Ok(Some(*v.get_ref())),
            None => Ok(None),
        }
    }

    pub(super) fn storage(&self, raw: Option<&RawStorage>) -> Result<StorageConfig, ConfigError> {
        let mut out = StorageConfig::default();
        let Some(raw) = raw else { return Ok(out) };
        out.dir = raw.dir.as_deref().map(|d| self.resolve(d));
        if let Some(f) = &raw.fsync {
            out.fsync = match f.get_ref().as_str() {
                "always" => FsyncMode::Always,
                "interval" => FsyncMode::Interval,
                _ => {
                    return self.err(
                        f.span(),
                        "storage.fsync: must be \"always\" or \"interval\"",
                    );
                }
            };
        }
        if let Some(n) = &raw.checkpoint_every {
            if !(1..=86_400).contains(n.get_ref()) {
                return self.err(
                    n.span(),
                    "storage.checkpoint_every: seconds, from 1 to 86400",
                );
            }
            out.checkpoint_every_s = *n.get_ref() as u64;
        }
        if let Some(n) = &raw.checkpoint_events {
            if *n.get_ref() < 1000 {
                return self.err(n.span(), "storage.checkpoint_events: at least 1000");
            }
            out.checkpoint_events = *n.get_ref() as u64;
        }
        if let Some(n) = &raw.snapshot_every {
            if !(10..=86_400).contains(n.get_ref()) {
                return self.err(
                    n.span(),
                    "storage.snapshot_every: seconds, from 10 to 86400",
                );
            }
            out.snapshot_every_s = *n.get_ref() as u64;
        }
        Ok(out)
    }
}

/// A name for `[server] allowed_hosts` (or `--allowed-host`) as the Host
/// check compares it: trimmed, lowercase, without a trailing dot; `None`
/// if it is not a plain host name (a scheme, port or path in it).
pub fn host_name(raw: &str) -> Option<String> {
    let name = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    let plain = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    plain.then_some(name)
}
