//! warroom's integration tests: one binary, one module per area, shared
//! helpers in `support`.

#[path = "it/support.rs"]
mod support;

#[path = "it/alerts.rs"]
mod alerts;
#[path = "it/api.rs"]
mod api;
#[path = "it/auth.rs"]
mod auth;
#[path = "it/browser.rs"]
mod browser;
#[path = "it/cdp.rs"]
mod cdp;
#[path = "it/config.rs"]
mod config;
#[path = "it/crash.rs"]
mod crash;
#[path = "it/export.rs"]
mod export;
#[path = "it/limits.rs"]
mod limits;
#[path = "it/live.rs"]
mod live;
#[path = "it/metrics.rs"]
mod metrics;
#[path = "it/props.rs"]
mod props;
#[path = "it/rules.rs"]
mod rules;
#[path = "it/upgrade.rs"]
mod upgrade;
#[path = "it/windows.rs"]
mod windows;
