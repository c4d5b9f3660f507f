//! The efficiency and region side of `State::apply`: traffic and spend
//! events, and an order's region and campaign (docs/api.md, Efficiency
//! and Regions).
//!
//! Traffic and spend may name a store, a channel, both or neither: a
//! store counts in its home channel unless the event names another, as
//! orders do; an event naming neither counts for the sale alone. An
//! order's region and campaign get the figures the order already counted
//! (`Counted`), so the order's items are summed once.

use super::admit::{NONE, UNKNOWN};
use super::orders::{Counted, sale_minute};
use super::ring::Bucket;
use super::state::{NO_BUYER, State};
use crate::config::Sale;
use crate::event::Event;

impl State {
    /// The store and channel a traffic or spend event counts in.
    fn optional_scopes(
        &mut self,
        e: &Event<'_>,
        (store, channel): (u32, u32),
    ) -> (Option<usize>, Option<usize>) {
        let store = match store {
            NONE => None,
            _ => Some(self.scopes_of(e, (store, channel)).0),
        };
        let channel = match (store, &e.channel) {
            (Some(s), _) => Some(self.scopes_of(e, (s as u32, channel)).1),
            (None, Some(c)) => Some(match channel {
                UNKNOWN => self.channel(c) as usize,
                c => c as usize,
            }),
            (None, None) => None,
        };
        (store, channel)
    }

    pub(super) fn traffic(&mut self, e: &Event<'_>, at: (u32, u32), page: u32, sale: &Sale) {
        let minute = sale_minute(sale, e.ts_ms);
        let (visitors, views) = (e.visitors, e.page_views);
        self.sale.reach.add_visits(visitors, views, minute);
        let (store, channel) = self.optional_scopes(e, at);
        if let Some(s) = store {
            self.stores[s]
                .scope
                .reach
                .add_visits(visitors, views, minute);
        }
        if let Some(c) = channel {
            self.channels[c]
                .scope
                .reach
                .add_visits(visitors, views, minute);
        }
        if page != NONE {
            let k = self.sku_at(page, &e.sku);
            let sku = &mut self.skus[k];
            sku.visitors = sku.visitors.saturating_add(visitors);
            sku.page_views = sku.page_views.saturating_add(views);
        }
    }

    pub(super) fn spend(&mut self, e: &Event<'_>, at: (u32, u32), campaign: u32, sale: &Sale) {
        let minute = sale_minute(sale, e.ts_ms);
        self.sale.reach.add_spend(e.amount, minute);
        let (store, channel) = self.optional_scopes(e, at);
        if let Some(s) = store {
            self.stores[s].scope.reach.add_spend(e.amount, minute);
        }
        if let Some(c) = channel {
            self.channels[c].scope.reach.add_spend(e.amount, minute);
        }
        if let Some(id) = e.campaign.as_deref() {
            let k = match campaign {
                UNKNOWN | NONE => self.campaign(id),
                k => k,
            } as usize;
            self.campaigns[k].reach.add_spend(e.amount, minute);
            if let Some(c) = channel {
                self.offer_channel(k, c, e.ts_ms);
            }
        }
    }

    /// An order's region and campaign, after the order itself counted.
    pub(super) fn attribute(
        &mut self,
        e: &Event<'_>,
        (region, campaign): (u32, u32),
        counted: Counted,
        buyer: u32,
    ) {
        let Counted {
            v,
            minute,
            channel,
            store,
        } = counted;
        if let Some(id) = e.region.as_deref() {
            let r = match region {
                UNKNOWN | NONE => self.region(id),
                r => r,
            };
            let row = &mut self.regions[r as usize];
            row.gmv = row.gmv.saturating_add(v.gmv);
            row.orders += 1;
            row.units = row.units.saturating_add(v.units);
            if buyer != NO_BUYER
                && self
                    .region_buyers
                    .insert(u64::from(r) << 32 | u64::from(buyer))
            {
                self.regions[r as usize].buyers += 1;
            }
            let by = |scope: usize| (scope as u64) << 32 | u64::from(r);
            self.channel_regions.entry(by(channel)).or_default().add(v);
            self.store_regions.entry(by(store)).or_default().add(v);
        }
        if let Some(id) = e.campaign.as_deref() {
            let k = match campaign {
                UNKNOWN | NONE => self.campaign(id),
                k => k,
            };
            let row = &mut self.campaigns[k as usize];
            row.gmv = row.gmv.saturating_add(v.gmv);
            row.orders += 1;
            row.units = row.units.saturating_add(v.units);
            if let Some(m) = minute {
                row.timeline.add(m, v);
            }
            self.offer_channel(k as usize, channel, e.ts_ms);
        }
    }

    /// A campaign's channel, as its event at `ts_ms` names it: taken when
    /// that event is its earliest (see `Campaign::channel`).
    fn offer_channel(&mut self, k: usize, channel: usize, ts_ms: i64) {
        let row = &self.campaigns[k];
        let earlier = match row.channel {
            None => true,
            Some(c) => {
                ts_ms < row.channel_ts
                    || (ts_ms == row.channel_ts
                        && self.channels[channel].id < self.channels[c as usize].id)
            }
        };
        if earlier {
            let row = &mut self.campaigns[k];
            row.channel = Some(channel as u32);
            row.channel_ts = ts_ms;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::engine::State;
    use crate::ingest::{Rules, parse};

    const SALE: &str = r#"
[sale]
name = "eff"
currency = "CNY"
timezone = "Asia/Shanghai"
starts = "2026-11-11T00:00:00+08:00"
ends = "2026-11-12T00:00:00+08:00"

[[stores]]
id = "s1"
channel = "tmall"

[[campaigns]]
id = "直通车"
channel = "tmall"
"#;
    /// 2026-11-11T00:10:00+08:00: minute 10 of the sale.
    const AT: i64 = 1_794_326_400_000 + 600_000;

    fn applied(lines: &[String]) -> State {
        let cfg = crate::config::parse_str(SALE, "eff.toml", Path::new(".")).expect("valid");
        let mut st = State::new(&cfg);
        let body = lines.join("\n");
        let rules = Rules::new(&cfg.sale.currency, AT + 60_000);
        let parsed = parse(body.as_bytes(), false, &rules).expect("parse");
        assert_eq!(parsed.batch.len(), lines.len(), "every line accepted");
        st.apply(&parsed.batch, &cfg.sale, AT, None);
        st
    }

    #[test]
    fn traffic_spend_regions_and_campaigns_count_where_they_name() {
        let st = applied(&[
            format!(
                r#"{{"type":"traffic","id":"t1","ts":{AT},"store":"s1","sku":"k1","visitors":100,"page_views":400}}"#
            ),
            format!(r#"{{"type":"traffic","id":"t2","ts":{AT},"channel":"jd","visitors":50}}"#),
            format!(r#"{{"type":"traffic","id":"t3","ts":{AT},"visitors":7}}"#),
            format!(r#"{{"type":"traffic","id":"t3","ts":{AT},"visitors":7}}"#),
            format!(
                r#"{{"type":"spend","id":"a1","ts":{AT},"campaign":"直通车","amount":"120.00"}}"#
            ),
            format!(r#"{{"type":"spend","id":"a2","ts":{AT},"store":"s1","amount":30}}"#),
            format!(
                r#"{{"type":"spend","id":"a3","ts":{AT},"channel":"jd","campaign":"京准通","amount":10}}"#
            ),
            format!(
                r#"{{"type":"order","id":"o1","ts":{AT},"store":"s1","buyer":"b1","region":"上海市","campaign":"直通车","items":[{{"sku":"k1","qty":2,"price":50}}]}}"#
            ),
            format!(
                r#"{{"type":"order","id":"o2","ts":{AT},"store":"s1","buyer":"b1","region":"31","items":[{{"sku":"k1","qty":1,"price":20}}]}}"#
            ),
            format!(
                r#"{{"type":"order","id":"o3","ts":{AT},"store":"s2","buyer":"b2","region":"Singapore","items":[{{"sku":"k2","qty":1,"price":5}}]}}"#
            ),
        ]);
        assert_eq!(
            st.sale.reach.visitors, 157,
            "the duplicate traffic line counts once"
        );
        assert_eq!(st.sale.reach.page_views, 400);
        assert_eq!(st.sale.reach.spend, 16_000);
        assert_eq!(st.sale.reach.minutes.get(10).visitors, 157);
        let s1 = &st.stores[st.store_index("s1").expect("s1")];
        assert_eq!(
            (s1.scope.reach.visitors, s1.scope.reach.spend),
            (100, 3_000)
        );
        let tmall = &st.channels[st.channel_index("tmall").expect("tmall")];
        assert_eq!(tmall.scope.reach.visitors, 100, "a store's home channel");
        assert_eq!(
            tmall.scope.reach.spend, 3_000,
            "the campaign's spend names no channel"
        );
        let jd = &st.channels[st.channel_index("jd").expect("jd")];
        assert_eq!((jd.scope.reach.visitors, jd.scope.reach.spend), (50, 1_000));
        let k1 = &st.skus[st.sku_index("k1").expect("k1")];
        assert_eq!((k1.visitors, k1.page_views), (100, 400));

        let ztc = &st.campaigns[st.campaign_index("直通车").expect("campaign")];
        assert_eq!((ztc.gmv, ztc.orders, ztc.reach.spend), (10_000, 1, 12_000));
        assert_eq!(ztc.channel, st.channel_index("tmall").map(|c| c as u32));
        let jzt = &st.campaigns[st.campaign_index("京准通").expect("campaign")];
        assert_eq!(jzt.channel, st.channel_index("jd").map(|c| c as u32));

        assert_eq!(st.regions.len(), 2);
        let sh = &st.regions[0];
        assert_eq!((sh.gmv, sh.orders, sh.units, sh.buyers), (12_000, 2, 3, 1));
        let sg = &st.regions[1];
        assert_eq!((&*sg.id, sg.gmv, sg.buyers), ("Singapore", 500, 1));
        let s1 = st.store_index("s1").expect("s1") as u64;
        assert_eq!(st.store_regions[&(s1 << 32)].gmv, 12_000);
        let other = st.channel_index("other").expect("s2's channel") as u64;
        assert_eq!(st.channel_regions[&(other << 32 | 1)].orders, 1);
        let s1 = st.store_index("s1").expect("s1") as u64;
        assert_eq!(st.store_regions[&(s1 << 32)].gmv, 12_000);
        let other = st.channel_index("other").expect("s2's channel") as u64;
        assert_eq!(st.channel_regions[&(other << 32 | 1)].orders, 1);
    }
}
