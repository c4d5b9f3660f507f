//! The ledger of what the traffic model sent, to compare with what the
//! server counted: totals, and per region and per campaign.
//!
//! Everything is `Copy` and fixed-size (regions and campaigns are the
//! model's own fixed lists), so a driver can keep one per batch and add
//! them up without allocating. Region figures are gross, as the server
//! keeps them: refunds carry no region or campaign.

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::campaigns::{CAMPAIGN_SLOTS, CAMPAIGNS};
use super::regions::{REGION_SLOTS, region_id};

/// Orders and GMV sent for one region or campaign; spend for a campaign.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Slot {
    pub orders: u64,
    pub gmv: i64,
    pub spend: i64,
}

impl Slot {
    fn add(&mut self, o: &Slot) {
        self.orders += o.orders;
        self.gmv += o.gmv;
        self.spend += o.spend;
    }

    fn minus(&self, o: &Slot) -> Slot {
        Slot {
            orders: self.orders - o.orders,
            gmv: self.gmv - o.gmv,
            spend: self.spend - o.spend,
        }
    }
}

/// Per region (slots of `sim::region_id`) and per campaign (`CAMPAIGNS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Places {
    pub regions: [Slot; REGION_SLOTS],
    pub campaigns: [Slot; CAMPAIGN_SLOTS],
}

impl Default for Places {
    fn default() -> Places {
        Places {
            regions: [Slot::default(); REGION_SLOTS],
            campaigns: [Slot::default(); CAMPAIGN_SLOTS],
        }
    }
}

impl Places {
    pub fn add(&mut self, o: &Places) {
        for (a, b) in self.regions.iter_mut().zip(&o.regions) {
            a.add(b);
        }
        for (a, b) in self.campaigns.iter_mut().zip(&o.campaigns) {
            a.add(b);
        }
    }

    /// `self - earlier`, slot by slot (`earlier` is a prefix of `self`).
    pub fn since(&self, earlier: &Places) -> Places {
        let mut d = *self;
        for (a, b) in d.regions.iter_mut().zip(&earlier.regions) {
            *a = a.minus(b);
        }
        for (a, b) in d.campaigns.iter_mut().zip(&earlier.campaigns) {
            *a = a.minus(b);
        }
        d
    }

    /// (region id, slot) for every region.
    pub fn regions(&self) -> impl Iterator<Item = (&'static str, &Slot)> + Clone {
        self.regions
            .iter()
            .enumerate()
            .map(|(i, s)| (region_id(i), s))
    }

    /// (campaign id, slot) for every campaign.
    pub fn campaigns(&self) -> impl Iterator<Item = (&'static str, &Slot)> + Clone {
        CAMPAIGNS.iter().map(|c| c.id).zip(self.campaigns.iter())
    }
}

/// As `{"regions": {id: slot}, "campaigns": {id: slot}}`, leaving out
/// empty slots (a report reads better without 38 zero rows).
impl Serialize for Places {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Slots<I>(I);
        impl<'a, I: Iterator<Item = (&'static str, &'a Slot)> + Clone> Serialize for Slots<I> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(None)?;
                for (id, slot) in self.0.clone().filter(|(_, v)| **v != Slot::default()) {
                    m.serialize_entry(id, slot)?;
                }
                m.end()
            }
        }
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("regions", &Slots(self.regions()))?;
        m.serialize_entry("campaigns", &Slots(self.campaigns()))?;
        m.end()
    }
}

/// Totals of what was sent, to compare with what the server counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Sent {
    pub lines: u64,
    pub orders: u64,
    pub gmv: i64,
    pub units: u64,
    pub refund_count: u64,
    pub refunds: i64,
    pub refund_units: u64,
    pub duplicates: u64,
    pub stock_events: u64,
    pub traffic_events: u64,
    pub visitors: u64,
    pub page_views: u64,
    pub spend_events: u64,
    pub spend: i64,
    pub places: Places,
}
