//! The screen protocol: every frame a screen is sent, as one enum.
//!
//! [`Frame`] is serialised with its `type` tag (`hello`, `snapshot`,
//! `tick`, `alert`), so the JSON the screens read is defined here and
//! nowhere else; `web/app.js` reads these fields and `docs/api.md` (Live
//! frames) describes them. Snapshots and ticks share their opening
//! ([`Stamp`]) and their scope's figures (`ScopeView`), each defined once
//! and flattened in; rows are the views' row types — full rows in a
//! snapshot, the compact tick rows of `views::pushed` in a tick — with
//! every ratio rounded for the screen (`views::round_ratio`, docs/api.md,
//! Tick rows) while the API keeps them exact. Alert frames come from
//! the alert side's typed notices: a digest is an `alert` frame too, with
//! `event: "digest"`, as the feed has always read it.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use serde::Serialize;

use super::filter::Filter;
use super::scope::ScopeView;
use super::stored::StorageNote;
use super::stream::StreamNote;
use crate::alerts::{AlertRecord, NoticeKind, RuleCount, ScreenNotice};
use crate::config::Rule;
use crate::views::{
    CampaignPush, ChannelDelta, ChannelRow, NoteEntry, RegionPush, SaleInfo, SkuRow, StoreDeltas,
    StoreRow, fmt_time, rounded_rows, tick_skus,
};

/// One per-second point: `[epoch second, orders, gmv]`.
pub type SeriesPoint = [i64; 3];

/// Everything a screen is sent.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Frame<'a> {
    Hello(&'a Hello),
    Snapshot(&'a Snapshot),
    Tick(&'a Tick),
    /// An alert fired, repeated or resolved.
    Alert(AlertFrame<'a>),
    /// The alerts of one evaluation beyond what screens are sent one by one.
    #[serde(rename = "alert")]
    Digest(DigestFrame<'a>),
}

/// The first frame on a socket: the sale, its plan, the screen's filter.
#[derive(Debug, Clone, Serialize)]
pub struct Hello {
    pub sale: SaleInfo,
    /// The plan curve: (share of sale time, share of target) points.
    pub plan: Vec<(f64, f64)>,
    /// With a baseline: its cumulative GMV at the end of each minute since start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Vec<i64>>,
    pub tick_ms: u64,
    pub filter: Filter,
    pub server_time: String,
    pub server_time_ms: i64,
    pub version: &'static str,
    /// In cluster mode: the node addresses a screen may move to
    /// (`[cluster] screens`), possibly empty; absent on a single node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub servers: Option<Vec<String>>,
}

/// How snapshots and ticks open: which tick, when, how many events in.
#[derive(Debug, Clone, Serialize)]
pub struct Stamp {
    pub seq: u64,
    pub server_time: String,
    pub server_time_ms: i64,
    pub events_applied: u64,
    /// In cluster mode: the stream sequence these figures reflect, and
    /// whether this node is behind (see `stream`); absent on a single node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<StreamNote>,
}

/// What a screen needs to draw at once.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    #[serde(flatten)]
    pub stamp: Stamp,
    /// Totals, windows, rates, the last 5 minutes' seconds, the timeline
    /// (at most `views::SCREEN_ROWS` rows).
    #[serde(flatten)]
    pub view: ScopeView,
    /// Full rows, ratios rounded for the screen (`views::round_ratio`) as
    /// in every live frame; the API keeps them exact.
    #[serde(serialize_with = "rounded_rows")]
    pub channels: Vec<ChannelRow>,
    #[serde(serialize_with = "rounded_rows")]
    pub stores: Vec<StoreRow>,
    #[serde(serialize_with = "rounded_rows")]
    pub top_skus: Vec<SkuRow>,
    #[serde(serialize_with = "rounded_rows")]
    pub stock_warnings: Vec<SkuRow>,
    pub alerts: Vec<AlertRecord>,
    /// Every region with sales in the scope, `[id, gmv, orders, buyers]`,
    /// highest GMV first (`breakdown`).
    pub regions: Vec<RegionPush>,
    /// The scope's campaigns, highest spend first.
    pub campaigns: Vec<CampaignPush>,
    /// Present only while the log is failing (see `stored`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageNote>,
    /// The war-room log's notes, oldest first: the newest
    /// `notes::SNAPSHOT_NOTES` (alerts come as alert frames, not here).
    pub notes: Vec<NoteEntry>,
}

/// A topic's frame: absolute totals, and what changed after tick `since`
/// (the topic's previous frame, or for a catch-up the screen's last one).
#[derive(Debug, Clone, Serialize)]
pub struct Tick {
    #[serde(flatten)]
    pub stamp: Stamp,
    /// The tick this frame's changes are relative to.
    pub since: u64,
    /// How often this topic is published now, in ms (a multiple of
    /// `tick_ms`; see `rate`).
    pub every_ms: u64,
    /// Totals, windows, rates, the last few seconds (the newest still
    /// filling), the previous and the current minute.
    #[serde(flatten)]
    pub view: ScopeView,
    /// Only the channels that changed, as deltas (`views::pushed`).
    pub channels: Vec<ChannelDelta>,
    /// Only the stores that changed: `stores` as arrays and, for stores
    /// first seen, `store_names` (two fields on the wire).
    #[serde(flatten)]
    pub stores: StoreDeltas,
    /// Stores and channels the screen holds that left the top list it is
    /// shown since `since` (to drop; absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stores_left: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub channels_left: Vec<String>,
    /// Present only when the list changed; rows as the screen draws them.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "tick_skus")]
    pub top_skus: Option<Vec<SkuRow>>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "tick_skus")]
    pub stock_warnings: Option<Vec<SkuRow>>,
    /// Only the regions and campaigns that changed after `since` (absent
    /// when none did).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<RegionPush>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub campaigns: Vec<CampaignPush>,
    /// Every tick while the log is failing, one `{"ok":true}` when it
    /// recovers, otherwise absent (see `stored`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageNote>,
    /// The recent alerts, as a snapshot has them: only when the alert
    /// frames of the ticks since `since` are no longer all kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alerts: Option<Vec<AlertRecord>>,
    /// Notes added after `since`, oldest first, and the ids of notes
    /// deleted after it (each absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<NoteEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes_deleted: Vec<String>,
}

/// `{"type":"alert","event":"fire"|"repeat"|"resolve",…,"alert":{…}}`.
#[derive(Debug, Serialize)]
pub struct AlertFrame<'a> {
    pub event: NoticeKind,
    pub server_time: String,
    pub server_time_ms: i64,
    pub alert: &'a AlertRecord,
}

/// `{"type":"alert","event":"digest",…,"more":N,"by_rule":{rule:{count,title}}}`.
#[derive(Debug, Serialize)]
pub struct DigestFrame<'a> {
    pub event: DigestEvent,
    pub server_time: String,
    pub server_time_ms: i64,
    pub more: usize,
    pub by_rule: &'a BTreeMap<Rule, RuleCount>,
}

/// The `event` of a digest frame: always `"digest"`.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DigestEvent {
    Digest,
}

impl<'a> Frame<'a> {
    /// The frame for an alert notice, its time shown in the sale's zone.
    pub fn notice(n: &'a ScreenNotice, tz: Tz) -> Frame<'a> {
        match n {
            ScreenNotice::Alert {
                event,
                at_ms,
                alert,
            } => Frame::Alert(AlertFrame {
                event: *event,
                server_time: fmt_time(*at_ms, tz),
                server_time_ms: *at_ms,
                alert,
            }),
            ScreenNotice::Digest {
                at_ms,
                more,
                by_rule,
            } => Frame::Digest(DigestFrame {
                event: DigestEvent::Digest,
                server_time: fmt_time(*at_ms, tz),
                server_time_ms: *at_ms,
                more: *more,
                by_rule,
            }),
        }
    }

    /// The JSON text sent on the socket.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| {
            // Plain structs of numbers and strings cannot fail to
            // serialise; log rather than panic if one ever does.
            tracing::error!(error = %e, "cannot serialise a live frame");
            "{}".to_string()
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::alerts::{AlertScope, Severity, Status};

    fn record() -> AlertRecord {
        AlertRecord {
            id: 7,
            key: "low_stock:sku:k1".into(),
            rule: Rule::LowStock,
            scope: AlertScope::Sku("k1".into()),
            severity: Severity::Warning,
            status: Status::Firing,
            title: "库存不足".into(),
            summary: "保温杯 库存不足：剩余 8".into(),
            fired_at: "2026-11-11T00:10:00+08:00".into(),
            fired_at_ms: 1_794_327_000_000,
            resolved_at: None,
            silenced: false,
            deliveries: vec![],
        }
    }

    fn wire(n: &ScreenNotice) -> Value {
        let text = Frame::notice(n, chrono_tz::Asia::Shanghai).to_json();
        serde_json::from_str(&text).expect("json")
    }

    #[test]
    fn an_alert_frame_keeps_its_shape() {
        let n = ScreenNotice::Alert {
            event: NoticeKind::Resolve,
            at_ms: 1_794_327_000_000,
            alert: record(),
        };
        assert_eq!(
            wire(&n),
            json!({
                "type": "alert",
                "event": "resolve",
                "server_time": "2026-11-11T00:10:00+08:00",
                "server_time_ms": 1_794_327_000_000_i64,
                "alert": {
                    "id": 7, "key": "low_stock:sku:k1", "rule": "low_stock",
                    "scope": "sku:k1", "severity": "warning", "status": "firing",
                    "title": "库存不足", "summary": "保温杯 库存不足：剩余 8",
                    "fired_at": "2026-11-11T00:10:00+08:00",
                    "fired_at_ms": 1_794_327_000_000_i64, "resolved_at": null,
                    "silenced": false, "deliveries": [],
                },
            })
        );
    }

    #[test]
    fn a_digest_is_an_alert_frame_with_counts_per_rule() {
        let mut by_rule = BTreeMap::new();
        let count = |count, title: &str| RuleCount {
            count,
            title: title.into(),
        };
        by_rule.insert(Rule::LowStock, count(8, "库存不足"));
        by_rule.insert(Rule::SoldOut, count(2, "已售罄"));
        let n = ScreenNotice::Digest {
            at_ms: 1_794_327_000_500,
            more: 10,
            by_rule,
        };
        assert_eq!(
            wire(&n),
            json!({
                "type": "alert",
                "event": "digest",
                "server_time": "2026-11-11T00:10:00.500+08:00",
                "server_time_ms": 1_794_327_000_500_i64,
                "more": 10,
                "by_rule": {
                    "low_stock": { "count": 8, "title": "库存不足" },
                    "sold_out": { "count": 2, "title": "已售罄" },
                },
            })
        );
    }
}
