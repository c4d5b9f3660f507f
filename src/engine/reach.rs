//! Traffic and promotion spend of one scope: what the sale's efficiency
//! figures divide by (docs/api.md, Efficiency). Conversion is orders ÷
//! visitors, ROI is GMV ÷ spend; both numerators are the scope's order
//! counters, so only the denominators are kept here, as totals and per
//! minute of the sale (for the timeline and the efficiency alerts, which
//! look at the last N minutes).

use super::ring::Bucket;
use super::timeline::Timeline;

/// Visitors and spend of one minute.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReachMinute {
    pub visitors: u64,
    /// Minor units.
    pub spend: i64,
}

impl Bucket for ReachMinute {
    fn add(&mut self, o: ReachMinute) {
        self.visitors = self.visitors.saturating_add(o.visitors);
        self.spend = self.spend.saturating_add(o.spend);
    }
}

/// Traffic and spend of one scope (the sale, a channel, a store, a
/// campaign).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reach {
    pub visitors: u64,
    pub page_views: u64,
    /// Minor units.
    pub spend: i64,
    /// Per minute of the sale; events outside it count only in the totals.
    pub minutes: Timeline<ReachMinute>,
}

impl Reach {
    pub fn add_visits(&mut self, visitors: u64, page_views: u64, minute: Option<u32>) {
        self.visitors = self.visitors.saturating_add(visitors);
        self.page_views = self.page_views.saturating_add(page_views);
        if let Some(m) = minute {
            self.minutes.add(m, ReachMinute { visitors, spend: 0 });
        }
    }

    pub fn add_spend(&mut self, amount: i64, minute: Option<u32>) {
        self.spend = self.spend.saturating_add(amount);
        if let Some(m) = minute {
            self.minutes.add(
                m,
                ReachMinute {
                    visitors: 0,
                    spend: amount,
                },
            );
        }
    }

    /// Whether anything was counted (rows without traffic or spend leave
    /// the efficiency fields out).
    pub fn is_empty(&self) -> bool {
        self.visitors == 0 && self.page_views == 0 && self.spend == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visits_and_spend_add_up_per_minute_and_in_total() {
        let mut r = Reach::default();
        r.add_visits(10, 40, Some(3));
        r.add_visits(5, 0, Some(3));
        r.add_spend(1200, Some(4));
        r.add_spend(300, None);
        assert_eq!((r.visitors, r.page_views, r.spend), (15, 40, 1500));
        assert_eq!(r.minutes.get(3).visitors, 15);
        assert_eq!(r.minutes.get(4).spend, 1200);
        assert_eq!(
            r.minutes.sum(0, 10).spend,
            1200,
            "outside the sale: totals only"
        );
    }
}
