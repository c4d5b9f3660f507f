//! Traffic and spend reports: what the shop analytics and the ad platforms
//! send beside the orders (docs/api.md, Events: `traffic`, `spend`).
//!
//! Both follow the orders the model has sent, so the screen's ratios come
//! out as a real sale's do. A store's traffic line reports the visitors
//! behind the orders it took since its last report at its own conversion
//! rate (2–5 %), page views 3–5 per visitor; some lines report a product
//! page (`sku`), a slice of the store's visitors. A spend line reports what
//! a campaign (or a channel outside its campaigns) spent on the GMV its
//! channel sold since the last report, at that channel's ROI
//! (`campaigns`), times a `burst` the demo raises at midnight.
//!
//! The load test mixes these lines in by share (`TrafficOptions`); the
//! demo sends them on a clock (`write_slices`): each store every 5 s, each
//! spend source every 10 s.

use std::io::Write;

use super::campaigns::{CAMPAIGN_SLOTS, CAMPAIGNS, campaign_share, channel_roi};
use super::catalog::DemoCatalog;
use super::rng::Rng;
use super::traffic::{NO_SLOT, Traffic};

/// Demo ticks (100 ms) between a store's traffic reports.
pub const VISIT_TICKS: u64 = 50;
/// Demo ticks between a spend source's reports.
pub const SPEND_TICKS: u64 = 100;
/// Share of a store's visitors a product-page line reports.
const PAGE_SHARE: (f64, f64) = (0.1, 0.3);

/// What the traffic and spend lines follow.
#[derive(Debug, Clone)]
pub(super) struct Reach {
    channel_ids: Vec<String>,
    /// Each store's channel (index into `channel_ids`) or `NO_SLOT`.
    store_channel: Vec<u8>,
    /// Each store's conversion rate, orders ÷ visitors.
    store_conv: Vec<f64>,
    /// Orders each store took since its last traffic line.
    pending: Vec<u32>,
    /// GMV sold per channel, cumulative.
    channel_gmv: Vec<i64>,
    /// Spend sources: `CAMPAIGNS`, then each channel outside its campaigns;
    /// each one's channel and the channel GMV it last reported up to.
    source_channel: Vec<u8>,
    seen: Vec<i64>,
    next_visit: u64,
    next_spend: u64,
}

impl Reach {
    pub(super) fn new(catalog: &DemoCatalog, seed: u64) -> Reach {
        let mut rng = Rng::new(seed ^ 0x00C0_4EE5);
        let channel_ids: Vec<String> = catalog.channels.iter().map(|c| c.id.clone()).collect();
        let index = |id: Option<&str>| {
            id.and_then(|id| channel_ids.iter().position(|c| c == id))
                .map_or(NO_SLOT, |i| i as u8)
        };
        let store_channel = catalog
            .stores
            .iter()
            .map(|s| index(s.channel.as_deref()))
            .collect();
        let source_channel: Vec<u8> = CAMPAIGNS
            .iter()
            .map(|c| index(Some(c.channel)))
            .chain((0..channel_ids.len()).map(|i| i as u8))
            .collect();
        Reach {
            store_conv: (0..catalog.stores.len())
                .map(|_| 0.02 + 0.03 * rng.f64())
                .collect(),
            pending: vec![0; catalog.stores.len()],
            channel_gmv: vec![0; channel_ids.len()],
            seen: vec![0; source_channel.len()],
            source_channel,
            store_channel,
            channel_ids,
            next_visit: 0,
            next_spend: 0,
        }
    }

    /// Spend sources (`write_spend`'s `source` is below this).
    pub(super) fn sources(&self) -> usize {
        self.source_channel.len()
    }

    /// An order of `gmv` at `store` was sent.
    pub(super) fn sold(&mut self, store: usize, gmv: i64) {
        self.pending[store] += 1;
        if let Some(g) = self
            .channel_gmv
            .get_mut(usize::from(self.store_channel[store]))
        {
            *g += gmv;
        }
    }

    /// A campaign of `store`'s channel, by the campaigns' shares; `NO_SLOT`
    /// when its channel has none.
    pub(super) fn pick_campaign(&self, store: usize, rng: &mut Rng) -> u8 {
        let ch = self.store_channel[store];
        let mine = || (0..CAMPAIGN_SLOTS).filter(move |&c| self.source_channel[c] == ch);
        let total: f64 = mine().map(|c| CAMPAIGNS[c].share).sum();
        let mut u = rng.f64() * total;
        for c in mine() {
            u -= CAMPAIGNS[c].share;
            if u < 0.0 {
                return c as u8;
            }
        }
        mine().next_back().map_or(NO_SLOT, |c| c as u8)
    }
}

impl Traffic {
    /// One traffic line for `store`: the visitors behind its orders since
    /// its last line (which it clears), or with `page` a product page's
    /// slice of them (which leaves them for the store's line).
    pub(super) fn write_visits(&mut self, out: &mut Vec<u8>, store: usize, page: bool, ts: i64) {
        let r = &mut self.reach;
        let orders = f64::from(r.pending[store]);
        let noise = 0.85 + 0.3 * self.rng.f64();
        let mut visitors = orders / r.store_conv[store] * noise + self.rng.below(25) as f64;
        if page {
            visitors *= PAGE_SHARE.0 + (PAGE_SHARE.1 - PAGE_SHARE.0) * self.rng.f64();
        } else {
            r.pending[store] = 0;
        }
        let visitors = visitors.round() as u64;
        let page_views = (visitors as f64 * (3.0 + 2.0 * self.rng.f64())).round() as u64;
        r.next_visit += 1;
        let _ = write!(
            out,
            r#"{{"type":"traffic","id":"{}V{:0w$}","ts":{ts},"store":"{}""#,
            self.opts.id_prefix,
            r.next_visit,
            self.stores[store],
            w = self.opts.id_width
        );
        if let Some(ch) = r.channel_ids.get(usize::from(r.store_channel[store])) {
            let _ = write!(out, r#","channel":"{ch}""#);
        }
        if page {
            let sku = self.sku_pick.sample(&mut self.rng);
            let _ = write!(out, r#","sku":"{}""#, self.skus[sku]);
        }
        let _ = writeln!(out, r#","visitors":{visitors},"page_views":{page_views}}}"#);
        self.sent.traffic_events += 1;
        self.sent.visitors += visitors;
        self.sent.page_views += page_views;
    }

    /// One spend line for `source` (a campaign, or a channel outside its
    /// campaigns): its share of the channel's GMV since its last line at
    /// the channel's ROI, times `burst`.
    pub(super) fn write_spend(&mut self, out: &mut Vec<u8>, source: usize, ts: i64, burst: f64) {
        let r = &mut self.reach;
        let ch = usize::from(r.source_channel[source]);
        let Some(channel) = r.channel_ids.get(ch) else {
            return self.write_spend(out, CAMPAIGN_SLOTS, ts, burst);
        };
        let campaign = CAMPAIGNS.get(source);
        let share = campaign.map_or_else(|| 1.0 - campaign_share(channel), |c| c.share);
        let sold = r.channel_gmv[ch] - r.seen[source];
        r.seen[source] = r.channel_gmv[ch];
        let noise = 0.85 + 0.3 * self.rng.f64();
        let amount = ((sold as f64 * share.max(0.0) / channel_roi(channel) * noise * burst).round()
            as i64)
            .max(0);
        r.next_spend += 1;
        let _ = write!(
            out,
            r#"{{"type":"spend","id":"{}A{:0w$}","ts":{ts},"channel":"{channel}""#,
            self.opts.id_prefix,
            r.next_spend,
            w = self.opts.id_width
        );
        if let Some(c) = campaign {
            let _ = write!(out, r#","campaign":"{}""#, c.id);
            self.sent.places.campaigns[source].spend += amount;
        }
        let _ = writeln!(
            out,
            r#","amount":"{}"}}"#,
            self.currency.format_major(amount)
        );
        self.sent.spend_events += 1;
        self.sent.spend += amount;
    }

    /// The demo's clock-driven reports for 100-ms tick `tick`: the stores
    /// due for a traffic line (each every `VISIT_TICKS`, a product page
    /// now and then) and the spend sources due (each every `SPEND_TICKS`).
    pub fn write_slices(&mut self, out: &mut Vec<u8>, tick: u64, ts: i64, burst: f64) {
        for store in 0..self.stores.len() {
            if store as u64 % VISIT_TICKS == tick % VISIT_TICKS {
                // The product page first: its slice is of the visitors the
                // store's line then reports (and clears).
                if self.rng.chance(0.3) {
                    self.write_visits(out, store, true, ts);
                    self.sent.lines += 1;
                }
                self.write_visits(out, store, false, ts);
                self.sent.lines += 1;
            }
        }
        let n = self.reach.sources() as u64;
        for source in 0..n {
            if source * SPEND_TICKS / n == tick % SPEND_TICKS {
                self.write_spend(out, source as usize, ts, burst);
                self.sent.lines += 1;
            }
        }
    }
}
