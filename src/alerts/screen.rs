//! What the screens are told after one evaluation: typed notices, at most
//! [`SCREEN_ALERTS_PER_EVAL`] of them, the rest counted in one digest.
//!
//! The alert side publishes these on a broadcast channel and knows nothing
//! of frames or sockets; the live hub turns each into an `alert` frame
//! (see `live::Frame`), serialised once for every screen.

use std::collections::BTreeMap;

use serde::Serialize;

use super::record::{AlertRecord, AlertScope, Notice, NoticeKind, Severity};
use crate::config::Rule;

/// Alert notices the screens get from one evaluation; the rest go into one
/// digest. When 2,000 SKUs run low in the same second, 10,000 screens must
/// not get 2,000 frames each (the feed shows 20; the stock panel lists the
/// SKUs anyway): that storm once cut ingest to a tenth.
pub const SCREEN_ALERTS_PER_EVAL: usize = 5;

/// One thing to tell every screen.
#[derive(Debug, Clone, PartialEq)]
pub enum ScreenNotice {
    /// An alert fired, repeated or resolved.
    Alert {
        event: NoticeKind,
        at_ms: i64,
        alert: AlertRecord,
    },
    /// How many more alerts this evaluation produced, per rule.
    Digest {
        at_ms: i64,
        more: usize,
        by_rule: BTreeMap<Rule, RuleCount>,
    },
}

/// One rule's share of a digest: how many, and its title in the sale's
/// language (the feed draws "+N" and these).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleCount {
    pub count: usize,
    pub title: String,
}

/// What a screen most needs to see first: the sale before channels,
/// stores and SKUs; critical before warnings; a fire before a resolve.
fn screen_rank(n: &Notice) -> (u8, Severity, u8) {
    let r = n.record();
    let scope = match r.scope {
        AlertScope::Sale => 0,
        AlertScope::Channel(_) | AlertScope::Campaign(_) => 1,
        AlertScope::Store(_) => 2,
        AlertScope::Sku(_) => 3,
    };
    let event = match n.kind() {
        NoticeKind::Fire => 0,
        NoticeKind::Resolve => 1,
        NoticeKind::Repeat => 2,
    };
    (scope, r.severity, event)
}

/// The screen notices for one evaluation's notices, made at `at_ms`.
pub fn screen_notices(notices: &[Notice], at_ms: i64) -> Vec<ScreenNotice> {
    let mut order: Vec<&Notice> = notices.iter().collect();
    order.sort_by_key(|n| screen_rank(n));
    let (shown, rest) = order.split_at(order.len().min(SCREEN_ALERTS_PER_EVAL));
    let mut out: Vec<ScreenNotice> = shown
        .iter()
        .map(|n| ScreenNotice::Alert {
            event: n.kind(),
            at_ms,
            alert: n.record().clone(),
        })
        .collect();
    if !rest.is_empty() {
        let mut by_rule: BTreeMap<Rule, RuleCount> = BTreeMap::new();
        for n in rest {
            let r = n.record();
            by_rule
                .entry(r.rule)
                .or_insert_with(|| RuleCount {
                    count: 0,
                    title: r.title.clone(),
                })
                .count += 1;
        }
        out.push(ScreenNotice::Digest {
            at_ms,
            more: rest.len(),
            by_rule,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::Status;

    fn notice(id: u64, rule: Rule, scope: AlertScope, severity: Severity) -> Notice {
        Notice::Fire(AlertRecord {
            id,
            key: format!("{}:{scope}", rule.as_str()),
            rule,
            scope,
            severity,
            status: Status::Firing,
            title: format!("{} title", rule.as_str()),
            summary: String::new(),
            fired_at: String::new(),
            fired_at_ms: 0,
            resolved_at: None,
            silenced: false,
            deliveries: Vec::new(),
        })
    }

    fn id(n: &ScreenNotice) -> Option<u64> {
        match n {
            ScreenNotice::Alert { alert, .. } => Some(alert.id),
            ScreenNotice::Digest { .. } => None,
        }
    }

    #[test]
    fn a_storm_reaches_screens_as_five_notices_and_a_digest() {
        let mut notices: Vec<Notice> = (0..11)
            .map(|i| {
                let sku = AlertScope::Sku(format!("k{i}"));
                notice(i, Rule::LowStock, sku, Severity::Warning)
            })
            .collect();
        let k99 = AlertScope::Sku("k99".into());
        notices.push(notice(20, Rule::SoldOut, k99, Severity::Critical));
        notices.push(notice(
            21,
            Rule::Milestone,
            AlertScope::Sale,
            Severity::Info,
        ));
        let out = screen_notices(&notices, 5);
        assert_eq!(out.len(), SCREEN_ALERTS_PER_EVAL + 1);
        assert_eq!(id(&out[0]), Some(21), "the sale first");
        assert_eq!(id(&out[1]), Some(20), "then critical");
        let ScreenNotice::Digest { more, by_rule, .. } = &out[SCREEN_ALERTS_PER_EVAL] else {
            panic!("a digest last: {out:?}");
        };
        assert_eq!(*more, 8);
        assert_eq!(
            by_rule.get(&Rule::LowStock),
            Some(&RuleCount {
                count: 8,
                title: "low_stock title".into()
            })
        );

        let few = screen_notices(&notices[..3], 5);
        assert_eq!(few.len(), 3, "no digest when all fit");
        assert!(few.iter().all(|n| matches!(
            n,
            ScreenNotice::Alert {
                event: NoticeKind::Fire,
                ..
            }
        )));
    }
}
