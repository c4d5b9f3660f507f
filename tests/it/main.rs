//! warroom's integration tests: one binary, one module per area, shared
//! helpers in `support`.

mod support;

mod alerts;
mod alerts_cluster;
mod api;
mod auth;
mod bounds;
mod browser;
mod catch_up;
mod cdp;
mod chat_markup;
mod checkpoint_size;
mod cluster;
mod config;
mod crash;
mod damage;
mod deflate;
mod export;
mod export_cells;
mod failover;
mod fake_node;
mod full_disk;
mod fuzz_recovery;
mod identity;
mod isolation;
mod lease;
mod limits;
mod live;
mod memory;
mod metrics;
mod nats;
mod nats_harness;
mod process;
mod props;
mod replay;
mod restart;
mod rules;
mod screen_memory;
mod screens;
mod secrets;
mod source;
mod unstored;
mod upgrade;
mod upgrade_v2;
mod windows;
