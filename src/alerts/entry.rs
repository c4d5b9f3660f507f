//! What the alert journal holds (cluster mode), and how a book follows it.
//!
//! An [`Entry`] is one thing that happened to the alert history: a notice
//! the lease holder decided (fire, repeat, resolve, with the record as it
//! then stood), one delivery attempt, a silence. Every node applies the
//! journal in order with [`Book::apply`], so every node's history is the
//! same; the holder's own book got there first, by the same `step` whose
//! notices it appended. [`Outbox`] is what is still owed to the hooks:
//! each notice not silenced, per hook, until a final delivery result is
//! in the journal; a new holder sends what it finds there.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::book::{Active, Book, HISTORY};
use super::delivery::Delivery;
use super::record::{AlertRecord, Notice, NoticeKind, Status};
use crate::config::Silence;

/// One entry of the alert journal, as JSON.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "entry", rename_all = "snake_case")]
pub enum Entry {
    Notice {
        kind: NoticeKind,
        /// The evaluation's time (a repeat's "last sent").
        at_ms: i64,
        record: AlertRecord,
    },
    /// One attempt to deliver the notice at journal sequence `seq`.
    Delivery {
        seq: u64,
        id: u64,
        delivery: Delivery,
    },
    Silence {
        silence: Silence,
    },
}

impl Entry {
    pub fn notice(n: &Notice, at_ms: i64) -> Entry {
        Entry::Notice {
            kind: n.kind(),
            at_ms,
            record: n.record().clone(),
        }
    }
}

impl Book {
    /// Applies one journal entry (idempotent: a record already there is
    /// replaced by the entry's copy).
    pub fn apply(&mut self, entry: &Entry) {
        match entry {
            Entry::Notice {
                kind,
                at_ms,
                record,
            } => self.apply_notice(*kind, *at_ms, record),
            Entry::Delivery { id, delivery, .. } => self.record_delivery(*id, delivery.clone()),
            Entry::Silence { silence } => {
                if !self.silences.contains(silence) {
                    self.silences.push(silence.clone());
                }
            }
        }
    }

    fn apply_notice(&mut self, kind: NoticeKind, at_ms: i64, r: &AlertRecord) {
        self.next_id = self.next_id.max(r.id);
        match self.history.iter_mut().find(|h| h.id == r.id) {
            Some(h) => {
                // Deliveries arrive as their own entries: keep those seen.
                let deliveries = std::mem::take(&mut h.deliveries);
                *h = AlertRecord {
                    deliveries,
                    ..r.clone()
                };
            }
            None => {
                self.history.push_front(r.clone());
                self.history.truncate(HISTORY);
            }
        }
        match (kind, r.status) {
            (_, Status::Fired) => {
                self.fired_once.insert(r.key.clone());
            }
            (NoticeKind::Resolve, _) => {
                if self.active.get(&r.key).is_some_and(|a| a.id == Some(r.id)) {
                    self.active.remove(&r.key);
                }
            }
            (NoticeKind::Fire | NoticeKind::Repeat, _) => {
                let a = self.active.entry(r.key.clone()).or_insert(Active {
                    since_ms: r.fired_at_ms,
                    id: Some(r.id),
                    last_sent_ms: at_ms,
                    gone_since_ms: None,
                });
                a.id = Some(r.id);
                a.last_sent_ms = at_ms;
            }
        }
    }
}

/// Notices owed to hooks, by journal sequence.
#[derive(Debug, Default)]
pub struct Outbox {
    owed: BTreeMap<u64, (Notice, BTreeSet<String>)>,
}

impl Outbox {
    /// Follows one applied entry.
    pub fn apply(&mut self, seq: u64, entry: &Entry, hooks: &[String]) {
        match entry {
            Entry::Notice { kind, record, .. } if !record.silenced && !hooks.is_empty() => {
                let notice = Notice::new(*kind, record.clone());
                self.owed
                    .insert(seq, (notice, hooks.iter().cloned().collect()));
            }
            Entry::Delivery { seq, delivery, .. } if delivery.result.is_final() => {
                if let Some((_, left)) = self.owed.get_mut(seq) {
                    left.remove(&delivery.hook);
                    if left.is_empty() {
                        self.owed.remove(seq);
                    }
                }
            }
            _ => {}
        }
    }

    /// Every (sequence, notice, hook) still owed, oldest first.
    pub fn owed(&self) -> impl Iterator<Item = (u64, &Notice, &str)> {
        self.owed
            .iter()
            .flat_map(|(seq, (n, hooks))| hooks.iter().map(move |h| (*seq, n, h.as_str())))
    }

    pub fn len(&self) -> usize {
        self.owed.values().map(|(_, h)| h.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.owed.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::delivery::DeliveryResult;
    use crate::alerts::record::{AlertScope, Severity};
    use crate::alerts::rules::Condition;
    use crate::config::{Rule, RulesConfig};

    fn cond(key: &str, once: bool) -> Condition {
        Condition {
            key: key.into(),
            rule: if once {
                Rule::Milestone
            } else {
                Rule::LowStock
            },
            scope: AlertScope::Sale,
            severity: Severity::Info,
            once,
            pending: false,
            title: "t".into(),
            summary: "s".into(),
        }
    }

    /// A follower that applies the holder's notices ends with the holder's
    /// history, and goes on from it as the holder would.
    #[test]
    fn a_follower_applying_the_notices_has_the_holders_book() {
        let rules = RulesConfig {
            resolve_after_s: 0,
            ..RulesConfig::defaults(100)
        };
        let at = |ms: i64| ms.to_string();
        let (mut holder, mut follower) = (Book::default(), Book::default());
        let steps: [(&[Condition], i64); 3] = [
            (
                &[cond("milestone:sale:0.5", true), cond("low:k1", false)],
                0,
            ),
            (&[cond("milestone:sale:0.5", true)], 1_000),
            (&[cond("milestone:sale:0.8", true)], 2_000),
        ];
        for (conds, now) in steps {
            for n in holder.step(conds, now, &rules, at) {
                let entry = serde_json::to_vec(&Entry::notice(&n, now)).expect("json");
                let entry: Entry = serde_json::from_slice(&entry).expect("reads back");
                follower.apply(&entry);
            }
        }
        assert_eq!(follower.recent(10), holder.recent(10));
        assert_eq!(follower.next_id, holder.next_id);
        // The follower, holding now, fires nothing already fired.
        let again = [cond("milestone:sale:0.5", true), cond("low:k1", false)];
        let n = follower.step(&again, 3_000, &rules, at);
        assert_eq!(n.len(), 1, "only the low-stock alert, anew: {n:?}");
        assert_eq!(n[0].record().id, holder.next_id + 1);
    }

    #[test]
    fn the_outbox_owes_each_hook_until_a_final_result() {
        let hooks = ["a".to_string(), "b".to_string()];
        let mut book = Book::default();
        let n = book.step(
            &[cond("milestone:sale:0.5", true)],
            0,
            &RulesConfig::defaults(100),
            |ms| ms.to_string(),
        );
        let mut out = Outbox::default();
        out.apply(7, &Entry::notice(&n[0], 0), &hooks);
        assert_eq!(out.len(), 2);
        let delivery = |hook: &str, result| Entry::Delivery {
            seq: 7,
            id: 1,
            delivery: Delivery {
                hook: hook.into(),
                at: "t".into(),
                attempt: 1,
                result,
            },
        };
        out.apply(
            8,
            &delivery("a", DeliveryResult::Retrying("x".into())),
            &hooks,
        );
        assert_eq!(out.len(), 2, "a retry is not the end");
        out.apply(9, &delivery("a", DeliveryResult::Delivered), &hooks);
        assert_eq!(
            out.owed().map(|(s, _, h)| (s, h)).collect::<Vec<_>>(),
            [(7, "b")]
        );
        out.apply(10, &delivery("b", DeliveryResult::Dropped), &hooks);
        assert!(out.is_empty());
    }
}
