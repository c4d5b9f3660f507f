//! Alerts: rules over the engine's figures, a book of what fired, delivery
//! to chat groups, and notices for the screens (see docs/api.md, Alerts).
//!
//! Once a second `rules` lists the conditions that hold; `book` turns them
//! into fire / repeat / resolve notices (with `for`, repeat intervals,
//! one-shot milestones and silences); `screen` picks what the screens are
//! told (typed notices the live hub turns into frames: at most
//! `SCREEN_ALERTS_PER_EVAL` an evaluation, the rest in one digest) and,
//! unless silenced, each notice goes to every hook's queue, whose `worker`
//! batches, rate-limits and retries, while `hooks` knows each chat service
//! (one file per kind). `record` and `delivery` are the alert and attempt
//! records the API, the export and `alerts.json` show; `handle` ties it
//! together behind the cloneable [`Alerts`]. In cluster mode `cluster`
//! joins the alert lease and starts the `keeper`, which follows the alert
//! journal (`entry`) on every node; only the lease holder decides and
//! delivers. `log` turns the book's history into war-room log entries.

mod book;
mod cluster;
mod delivery;
mod efficiency;
#[cfg(test)]
mod efficiency_tests;
mod entry;
mod handle;
mod hooks;
mod keeper;
mod log;
mod metrics;
mod record;
mod rules;
mod screen;
mod worker;

pub use book::Book;
pub use cluster::JoinError;
pub use delivery::{Delivery, DeliveryKind, DeliveryResult};
pub use entry::{Entry, Outbox};
pub use handle::{Alerts, FILE, load_book};
pub use hooks::{Msg, Outcome, Outgoing, classify, dingtalk_sign, feishu_sign, limits, payload};
pub use log::log_entries;
pub use record::{AlertRecord, AlertScope, Notice, NoticeKind, Severity, Status};
pub use rules::{Condition, evaluate};
pub use screen::{RuleCount, SCREEN_ALERTS_PER_EVAL, ScreenNotice, screen_notices};
pub use worker::Limiter;
