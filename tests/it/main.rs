//! warroom's integration tests: one binary, one module per area, shared
//! helpers in `support`.

mod support;

mod alerts;
mod api;
mod auth;
mod browser;
mod cdp;
mod config;
mod crash;
mod damage;
mod export;
mod fuzz_recovery;
mod limits;
mod live;
mod metrics;
mod process;
mod props;
mod rules;
mod secrets;
mod upgrade;
mod windows;
