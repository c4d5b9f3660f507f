//! `[[alerts.hooks]]`: one chat hook — the service it posts to and where.
//!
//! The kind is a closed set, so an enum; its URL and signing key are
//! [`Secret`]s (the URL of DingTalk, WeCom and Feishu robots carries the
//! access token), shown to logs only as the hook's name, kind and host.

use super::secret::Secret;

/// The chat service a hook posts to. `as_str` is the config's spelling;
/// serde keeps the variant names, as existing `sale.json` files hold them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum HookKind {
    DingTalk,
    WeCom,
    Feishu,
    Slack,
    Alertmanager,
}

impl HookKind {
    pub const ALL: [HookKind; 5] = [
        HookKind::DingTalk,
        HookKind::WeCom,
        HookKind::Feishu,
        HookKind::Slack,
        HookKind::Alertmanager,
    ];

    pub fn parse(s: &str) -> Option<HookKind> {
        HookKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HookKind::DingTalk => "dingtalk",
            HookKind::WeCom => "wecom",
            HookKind::Feishu => "feishu",
            HookKind::Slack => "slack",
            HookKind::Alertmanager => "alertmanager",
        }
    }
}

/// One chat hook. The URL is a secret too: DingTalk, WeCom and Feishu put
/// the robot's access token in it. Both are written out only because the
/// data directory still records the config (`sale.json`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HookConfig {
    pub name: String,
    pub kind: HookKind,
    #[serde(serialize_with = "Secret::serialize_exposed")]
    pub url: Secret,
    #[serde(serialize_with = "Secret::serialize_exposed_opt")]
    pub secret: Option<Secret>,
    pub mobiles: Vec<String>,
    pub at_all: bool,
}

impl HookConfig {
    /// The URL's host, for logs: the rest of the URL may hold a token.
    pub fn host(&self) -> String {
        reqwest::Url::parse(self.url.expose())
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_and_logs_see_only_the_host() {
        for kind in HookKind::ALL {
            assert_eq!(HookKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(HookKind::parse("pager"), None);
        let hook = HookConfig {
            name: "war-room".into(),
            kind: HookKind::DingTalk,
            url: "https://oapi.dingtalk.com/robot/send?access_token=SECRETTOKEN".into(),
            secret: Some("SECkey".into()),
            mobiles: vec![],
            at_all: false,
        };
        assert_eq!(hook.host(), "oapi.dingtalk.com");
        let shown = format!("{hook:?}");
        assert!(
            !shown.contains("SECRETTOKEN") && !shown.contains("SECkey"),
            "{shown}"
        );
    }
}
