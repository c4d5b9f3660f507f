//! The alert book: what is pending, firing, resolved; the recent history;
//! silences. `step` turns one evaluation's conditions into notices.
//!
//! A condition becomes an alert when it has held for `for` (rate and
//! refund rules) or at once (the others); it is sent once when it fires,
//! again every `repeat_every_s` while it holds, and once when it resolves:
//! after its condition has been gone for `resolve_after_s`. A condition
//! that comes back within that time continues the same alert, so a SKU
//! whose stock hovers around its threshold (restocked, sold down, restocked)
//! is one alert, not a storm of fire/resolve pairs on every screen.
//! Milestones and GMV marks fire once and never resolve — also across
//! restarts, as the book is saved in the data directory.

use std::collections::{HashMap, HashSet, VecDeque};

use serde::{Deserialize, Serialize};

use super::delivery::Delivery;
use super::record::{AlertRecord, AlertScope, Notice, Status};
use super::rules::Condition;
use crate::config::{Rule, RulesConfig, Silence};

pub(super) const HISTORY: usize = 1000;

/// A condition the book follows: pending while `id` is `None` (held less
/// than its `for`), firing once it has a record. The field names are
/// `alerts.json`'s.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Active {
    pub(super) since_ms: i64,
    pub(super) id: Option<u64>,
    pub(super) last_sent_ms: i64,
    /// When the condition stopped holding (a fired alert waiting to resolve).
    #[serde(default)]
    pub(super) gone_since_ms: Option<i64>,
}

/// Everything the alert side remembers; saved as `alerts.json`, whose
/// shape this is (see `tests/data/alerts-0.1.0.json` for a book an earlier
/// build wrote, which must keep loading).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Book {
    pub(super) next_id: u64,
    pub(super) fired_once: HashSet<String>,
    pub(super) active: HashMap<String, Active>,
    pub(super) history: VecDeque<AlertRecord>,
    pub silences: Vec<Silence>,
}

impl Book {
    /// Whether a silence covers `rule` in `scope` at `now_ms`.
    pub fn silenced(&self, rule: Rule, scope: &AlertScope, now_ms: i64) -> bool {
        self.silences.iter().any(|s| {
            s.until_ms > now_ms
                && s.rule == rule
                && s.scope
                    .as_deref()
                    .is_none_or(|x| AlertScope::parse(x).as_ref() == Some(scope))
        })
    }

    /// Newest first.
    pub fn recent(&self, n: usize) -> Vec<AlertRecord> {
        self.history.iter().take(n).cloned().collect()
    }

    pub fn record_delivery(&mut self, id: u64, d: Delivery) {
        if let Some(r) = self.history.iter_mut().find(|r| r.id == id) {
            r.deliveries.push(d);
        }
    }

    fn new_record(
        &mut self,
        c: &Condition,
        now_ms: i64,
        at: String,
        silenced: bool,
    ) -> AlertRecord {
        self.next_id += 1;
        let r = AlertRecord {
            id: self.next_id,
            key: c.key.clone(),
            rule: c.rule,
            scope: c.scope.clone(),
            severity: c.severity,
            status: if c.once {
                Status::Fired
            } else {
                Status::Firing
            },
            title: c.title.clone(),
            summary: c.summary.clone(),
            fired_at: at,
            fired_at_ms: now_ms,
            resolved_at: None,
            silenced,
            deliveries: Vec::new(),
        };
        self.history.push_front(r.clone());
        self.history.truncate(HISTORY);
        r
    }

    /// Moves the book on by one evaluation. `at` formats a time for messages.
    pub fn step(
        &mut self,
        conds: &[Condition],
        now_ms: i64,
        rules: &RulesConfig,
        at: impl Fn(i64) -> String,
    ) -> Vec<Notice> {
        let mut out = Vec::new();
        let mut holding = HashSet::with_capacity(conds.len());
        for c in conds {
            if c.once {
                if self.fired_once.insert(c.key.clone()) {
                    let silenced = self.silenced(c.rule, &c.scope, now_ms);
                    out.push(Notice::Fire(self.new_record(
                        c,
                        now_ms,
                        at(now_ms),
                        silenced,
                    )));
                }
                continue;
            }
            holding.insert(c.key.as_str());
            let a = self.active.entry(c.key.clone()).or_insert(Active {
                since_ms: now_ms,
                id: None,
                last_sent_ms: now_ms,
                gone_since_ms: None,
            });
            a.gone_since_ms = None;
            let pending_for = if c.pending { rules.pending_s * 1000 } else { 0 };
            match a.id {
                None if now_ms - a.since_ms >= pending_for => {
                    a.last_sent_ms = now_ms;
                    let silenced = self.silenced(c.rule, &c.scope, now_ms);
                    let r = self.new_record(c, now_ms, at(now_ms), silenced);
                    if let Some(a) = self.active.get_mut(&c.key) {
                        a.id = Some(r.id);
                    }
                    out.push(Notice::Fire(r));
                }
                Some(id)
                    if rules.repeat_every_s > 0
                        && now_ms - a.last_sent_ms >= rules.repeat_every_s * 1000 =>
                {
                    a.last_sent_ms = now_ms;
                    let silenced = self.silenced(c.rule, &c.scope, now_ms);
                    if let Some(r) = self.history.iter_mut().find(|r| r.id == id) {
                        r.summary = c.summary.clone();
                        r.silenced = silenced;
                        out.push(Notice::Repeat(r.clone()));
                    }
                }
                _ => {}
            }
        }
        // Conditions that stopped holding: a blip that never fired is just
        // forgotten; what had fired resolves once gone for `resolve_after_s`.
        let mut ended = Vec::new();
        for (key, a) in self.active.iter_mut() {
            if holding.contains(key.as_str()) {
                continue;
            }
            let gone = *a.gone_since_ms.get_or_insert(now_ms);
            if a.id.is_none() || now_ms - gone >= rules.resolve_after_s * 1000 {
                ended.push(key.clone());
            }
        }
        for key in ended {
            let Some(a) = self.active.remove(&key) else {
                continue;
            };
            let Some(id) = a.id else { continue };
            let when = at(now_ms);
            let silenced_now = |r: &AlertRecord| self.silenced(r.rule, &r.scope, now_ms);
            let Some(pos) = self.history.iter().position(|r| r.id == id) else {
                continue;
            };
            let silenced = silenced_now(&self.history[pos]);
            let r = &mut self.history[pos];
            r.status = Status::Resolved;
            r.resolved_at = Some(when);
            r.silenced = silenced;
            out.push(Notice::Resolve(r.clone()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::record::{NoticeKind, Severity};

    fn cond(key: &str, once: bool, pending: bool) -> Condition {
        Condition {
            key: key.into(),
            rule: if once {
                Rule::Milestone
            } else {
                Rule::RateDrop
            },
            scope: AlertScope::Sale,
            severity: Severity::Info,
            once,
            pending,
            title: "t".into(),
            summary: "s".into(),
        }
    }

    fn kinds(n: &[Notice]) -> Vec<&'static str> {
        n.iter().map(|n| NoticeKind::as_str(n.kind())).collect()
    }

    #[test]
    fn pending_fire_repeat_resolve_and_once() {
        let rules = RulesConfig {
            pending_s: 60,
            repeat_every_s: 600,
            resolve_after_s: 0,
            ..RulesConfig::defaults(100)
        };
        let mut b = Book::default();
        let at = |ms: i64| ms.to_string();
        let drop = [cond("rate_drop:sale", false, true)];
        assert!(b.step(&drop, 0, &rules, at).is_empty(), "pending");
        assert!(
            b.step(&[], 30_000, &rules, at).is_empty(),
            "a blip is forgotten"
        );
        assert!(b.step(&drop, 40_000, &rules, at).is_empty());
        assert_eq!(kinds(&b.step(&drop, 100_000, &rules, at)), ["fire"]);
        assert!(b.step(&drop, 200_000, &rules, at).is_empty());
        assert_eq!(kinds(&b.step(&drop, 700_000, &rules, at)), ["repeat"]);
        assert_eq!(kinds(&b.step(&[], 710_000, &rules, at)), ["resolve"]);
        assert!(b.step(&[], 720_000, &rules, at).is_empty());

        let m = [cond("milestone:sale:0.5", true, false)];
        assert_eq!(kinds(&b.step(&m, 0, &rules, at)), ["fire"]);
        assert!(b.step(&m, 1_000_000, &rules, at).is_empty(), "once, ever");
        assert!(
            b.step(&[], 2_000_000, &rules, at).is_empty(),
            "never resolves"
        );
        assert_eq!(b.recent(10).len(), 2);
    }

    #[test]
    fn a_flapping_condition_is_one_alert_until_gone_for_resolve_after() {
        let rules = RulesConfig {
            resolve_after_s: 60,
            ..RulesConfig::defaults(100)
        };
        let mut b = Book::default();
        let at = |ms: i64| ms.to_string();
        let low = [cond("low_stock:sku:k1", false, false)];
        assert_eq!(kinds(&b.step(&low, 0, &rules, at)), ["fire"]);
        // Restocked, sold down, restocked again: the same alert throughout.
        for t in 1..20 {
            let conds: &[Condition] = if t % 2 == 0 { &low } else { &[] };
            assert!(b.step(conds, t * 10_000, &rules, at).is_empty(), "t={t}");
        }
        // Gone since t = 190 s.
        assert!(b.step(&[], 240_000, &rules, at).is_empty(), "gone 50 s");
        assert_eq!(kinds(&b.step(&[], 250_000, &rules, at)), ["resolve"]);
        assert_eq!(kinds(&b.step(&low, 310_000, &rules, at)), ["fire"]);
        assert_eq!(b.recent(10).len(), 2, "two alerts in all");
    }

    #[test]
    fn silences_mark_but_keep_the_record() {
        let rules = RulesConfig::defaults(100);
        let mut b = Book::default();
        b.silences.push(Silence {
            rule: Rule::Milestone,
            scope: None,
            until_ms: 10_000,
            comment: None,
        });
        let n = b.step(
            &[cond("milestone:sale:0.5", true, false)],
            5_000,
            &rules,
            |ms| ms.to_string(),
        );
        assert!(n[0].record().silenced);
        let n = b.step(
            &[cond("milestone:sale:0.8", true, false)],
            20_000,
            &rules,
            |ms| ms.to_string(),
        );
        assert!(!n[0].record().silenced, "the silence expired");
    }

    /// A book as the build before typed alerts wrote it (a real run: a
    /// DingTalk hook that could not connect, a silence, milestones, a
    /// firing low-stock alert; plus the other delivery results by hand).
    const OLD_BOOK: &str = include_str!("../../tests/data/alerts-0.1.0.json");

    #[test]
    fn a_book_written_by_an_earlier_build_loads_and_writes_back_the_same() {
        let book: Book = serde_json::from_str(OLD_BOOK).expect("the old book loads");
        let recent = book.recent(10);
        assert_eq!(recent.len(), 5);
        let low = &recent[0];
        assert_eq!(
            (low.rule, &low.scope, low.severity, low.status),
            (
                Rule::LowStock,
                &AlertScope::Sku("k000042".into()),
                Severity::Warning,
                Status::Firing
            )
        );
        assert_eq!(recent[2].status, Status::Resolved);
        assert_eq!(recent[2].severity, Severity::Critical);
        let results: Vec<_> = recent
            .iter()
            .flat_map(|r| r.deliveries.iter().map(|d| d.result.kind()))
            .collect();
        use crate::alerts::delivery::DeliveryKind as K;
        for kind in [K::Delivered, K::Retrying, K::Refused, K::GaveUp, K::Dropped] {
            assert!(results.contains(&kind), "{kind:?} in {results:?}");
        }
        assert!(!results.contains(&K::Other), "{results:?}");
        assert_eq!(book.silences[0].rule, Rule::LowStock);

        // Written back, it is the same document (key order aside).
        let mut old: serde_json::Value = serde_json::from_str(OLD_BOOK).expect("json");
        let mut new = serde_json::to_value(&book).expect("json");
        for doc in [&mut old, &mut new] {
            if let Some(keys) = doc["fired_once"].as_array_mut() {
                keys.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            }
        }
        assert_eq!(old, new);
    }

    #[test]
    fn an_old_book_goes_on_where_it_stopped() {
        let mut book: Book = serde_json::from_str(OLD_BOOK).expect("the old book loads");
        let rules = RulesConfig::defaults(100);
        let now = 1_796_002_470_000;
        let low = Condition {
            key: "low_stock:sku:k000042".into(),
            rule: Rule::LowStock,
            scope: AlertScope::Sku("k000042".into()),
            severity: Severity::Warning,
            once: false,
            pending: false,
            title: "库存不足".into(),
            summary: "s".into(),
        };
        let half = cond("milestone:sale:0.5", true, false);
        let n = book.step(&[low, half], now, &rules, |ms| ms.to_string());
        assert!(n.is_empty(), "still firing, milestone already sent: {n:?}");
        assert!(
            book.step(&[], now + 1_000, &rules, |ms| ms.to_string())
                .is_empty()
        );
        let n = book.step(&[], now + 61_000, &rules, |ms| ms.to_string());
        assert_eq!(kinds(&n), ["resolve"]);
        assert_eq!(n[0].record().id, 11, "the alert the old build fired");
    }
}
