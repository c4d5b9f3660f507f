//! Batches generated once, re-sent with fresh ids and timestamps.
//!
//! Generating realistic NDJSON costs about a microsecond an event, which on
//! a 2-core machine would take a core from the server under test. So a few
//! dozen batches are generated up front with warroom's traffic model (ids
//! zero-padded to a fixed width), and every send copies one and rewrites
//! the digits of its ids (a new "round" per pass over the templates) and
//! timestamps in place. Each template keeps the ledger of what it holds, so
//! the totals the server must reach are known exactly.

use std::ops::AddAssign;

use warroom::money::Currency;
use warroom::sim::{Places, Sent, Traffic, TrafficOptions, demo_catalog};

use crate::args::Args;

const ID_WIDTH: usize = 14;
/// Ids of round `r` are `r × ROUND_BASE + n`; template ids stay below it.
const ROUND_BASE: u64 = 100_000_000;
const TS_WIDTH: usize = 13;
const TEMPLATES: usize = 32;
/// A placeholder timestamp of 13 digits, overwritten at every send.
const TS_PLACEHOLDER: i64 = 1_700_000_000_000;

/// What a batch adds to the server's totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Expected {
    /// Events the server applies (lines minus duplicates).
    pub events: u64,
    pub lines: u64,
    pub duplicates: u64,
    pub orders: u64,
    pub gmv: i64,
    pub units: u64,
    pub refund_count: u64,
    pub refunds: i64,
    pub refund_units: u64,
    pub visitors: u64,
    pub page_views: u64,
    pub spend: i64,
    /// Per region and per campaign.
    pub places: Places,
}

impl Expected {
    fn between(a: Sent, b: Sent) -> Expected {
        Expected {
            events: (b.lines - a.lines) - (b.duplicates - a.duplicates),
            lines: b.lines - a.lines,
            duplicates: b.duplicates - a.duplicates,
            orders: b.orders - a.orders,
            gmv: b.gmv - a.gmv,
            units: b.units - a.units,
            refund_count: b.refund_count - a.refund_count,
            refunds: b.refunds - a.refunds,
            refund_units: b.refund_units - a.refund_units,
            visitors: b.visitors - a.visitors,
            page_views: b.page_views - a.page_views,
            spend: b.spend - a.spend,
            places: b.places.since(&a.places),
        }
    }
}

impl AddAssign for Expected {
    fn add_assign(&mut self, o: Expected) {
        self.events += o.events;
        self.lines += o.lines;
        self.duplicates += o.duplicates;
        self.orders += o.orders;
        self.gmv += o.gmv;
        self.units += o.units;
        self.refund_count += o.refund_count;
        self.refunds += o.refunds;
        self.refund_units += o.refund_units;
        self.visitors += o.visitors;
        self.page_views += o.page_views;
        self.spend += o.spend;
        self.places.add(&o.places);
    }
}

pub struct Template {
    body: Vec<u8>,
    ids: Vec<usize>,
    ts: Vec<usize>,
    pub expected: Expected,
    /// Stock events in it: they have no id, so they apply again if the
    /// body does.
    pub stock: u64,
}

impl Template {
    /// What the server may hold beyond the ledger for one body of this
    /// template after `uncertain` attempts that may each have applied it
    /// (see `retry`), `acked` or not. An acknowledged body is in the
    /// ledger once; each extra application adds only duplicates (its
    /// orders and refunds) and stock events. A body never acknowledged
    /// may be in whole, once, plus those extras.
    pub fn slack(&self, uncertain: u64, acked: bool) -> Expected {
        let mut s = Expected::default();
        if uncertain == 0 {
            return s;
        }
        let extra = if acked { uncertain } else { uncertain - 1 };
        if !acked {
            s = self.expected;
        }
        s.events += extra * self.stock;
        s.duplicates += extra * (self.expected.lines - self.stock);
        s
    }
}

pub struct Templates {
    list: Vec<Template>,
}

/// Offsets just after each occurrence of `needle` in `hay`.
fn after_each(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    hay.windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i + needle.len())
        .collect()
}

fn write_digits(out: &mut [u8], mut v: u64) {
    for b in out.iter_mut().rev() {
        *b = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

impl Templates {
    pub fn build(args: &Args) -> Templates {
        let catalog = demo_catalog(args.seed, args.stores.max(1), args.skus.max(1));
        let currency = Currency::from_code("CNY").unwrap_or(Currency {
            code: "CNY".into(),
            exponent: 2,
        });
        let run = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() % 10_000_000_000);
        let prefix = format!("lt{run}-");
        let opts = TrafficOptions {
            seed: args.seed,
            duplicate_rate: args.duplicates,
            id_prefix: prefix.clone(),
            id_width: ID_WIDTH,
            traffic_rate: args.traffic_share,
            spend_rate: args.spend_share,
            region_rate: args.region_share,
            campaign_rate: args.campaign_share,
            ..TrafficOptions::default()
        };
        let mut traffic = Traffic::new(&catalog, currency, opts);
        let mut list = Vec::with_capacity(TEMPLATES);
        for _ in 0..TEMPLATES {
            let before = traffic.sent();
            let mut body = Vec::with_capacity(args.batch * 240);
            traffic.write_batch(&mut body, args.batch, TS_PLACEHOLDER);
            let after = traffic.sent();
            let expected = Expected::between(before, after);
            let stock = after.stock_events - before.stock_events;
            // Orders, refunds, traffic (visits) and spend (ads).
            let mut ids = Vec::new();
            for kind in ["T", "R", "V", "A"] {
                ids.extend(after_each(&body, format!("{prefix}{kind}").as_bytes()));
            }
            let ts = after_each(&body, b"\"ts\":");
            list.push(Template {
                body,
                ids,
                ts,
                expected,
                stock,
            });
        }
        Templates { list }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn mean_bytes(&self) -> usize {
        self.list.iter().map(|t| t.body.len()).sum::<usize>() / self.list.len().max(1)
    }

    /// The template batch `i` is made from.
    pub fn get(&self, i: u64) -> &Template {
        &self.list[(i % self.list.len() as u64) as usize]
    }

    /// Batch `i`'s body: its template with ids of round `i / len` and `now_ms`.
    pub fn render(&self, i: u64, now_ms: i64, out: &mut Vec<u8>) {
        let t = self.get(i);
        let round = i / self.list.len() as u64;
        out.clear();
        out.extend_from_slice(&t.body);
        for &at in &t.ids {
            let digits = &mut out[at..at + ID_WIDTH];
            let local = digits
                .iter()
                .fold(0u64, |v, d| v * 10 + u64::from(d - b'0'));
            write_digits(digits, round * ROUND_BASE + local);
        }
        for &at in &t.ts {
            write_digits(&mut out[at..at + TS_WIDTH], now_ms.max(0) as u64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn rounds_get_fresh_ids_and_the_ledger_adds_up() {
        let args = Args::parse_from(["loadtest", "--batch", "200"]);
        let t = Templates::build(&args);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        t.render(0, 1_794_326_400_123, &mut a);
        t.render(t.len() as u64, 1_794_326_400_456, &mut b);
        assert_eq!(a.len(), b.len());
        assert_ne!(a, b, "the next round has other ids");
        let text = String::from_utf8(b).expect("utf-8");
        assert!(text.contains("\"ts\":1794326400456"));
        assert!(
            text.lines()
                .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())
        );
        let e = t.get(0).expected;
        assert_eq!(e.lines, 200);
        assert_eq!(e.events + e.duplicates, 200);
    }

    /// The default mix: traffic and spend lines, orders with regions and
    /// campaigns; every id (traffic and spend too) is new in the next
    /// round, and the ledger holds what the lines say.
    #[test]
    fn the_war_room_mix_is_in_the_ledger_and_every_kind_gets_fresh_ids() {
        let args = Args::parse_from(["loadtest", "--batch", "2000"]);
        let t = Templates::build(&args);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        t.render(1, 1_794_326_400_123, &mut a);
        t.render(1 + t.len() as u64, 1_794_326_400_123, &mut b);
        let lines = |body: &[u8]| -> Vec<serde_json::Value> {
            body.split(|&c| c == b'\n')
                .filter(|l| !l.is_empty())
                .map(|l| serde_json::from_slice(l).expect("JSON"))
                .collect()
        };
        let (a, b) = (lines(&a), lines(&b));
        let e = t.get(1).expected;
        let of = |kind: &'static str| a.iter().filter(move |v| v["type"] == kind);
        assert!(of("traffic").count() > 40 && of("spend").count() > 0);
        let visitors: u64 = of("traffic").filter_map(|v| v["visitors"].as_u64()).sum();
        assert_eq!(visitors, e.visitors);
        let orders = of("order").count();
        let with_region = of("order").filter(|v| v["region"].is_string()).count();
        assert!(with_region * 100 > orders * 90, "{with_region} of {orders}");
        assert!(of("order").any(|v| v["campaign"].is_string()));
        let in_regions: u64 = e.places.regions.iter().map(|s| s.orders).sum();
        assert!(in_regions > 0 && in_regions < e.orders);
        assert!(e.spend > 0 && e.places.campaigns.iter().any(|c| c.spend > 0));
        for (x, y) in a.iter().zip(&b) {
            if x["id"].is_string() && x != y {
                assert_ne!(x["id"], y["id"], "{x} / {y}");
            }
        }
        let ids = |v: &[serde_json::Value], kind: &str| {
            v.iter()
                .filter(|l| l["type"] == kind)
                .map(|l| l["id"].to_string())
                .collect::<Vec<_>>()
        };
        for kind in ["traffic", "spend"] {
            let (x, y) = (ids(&a, kind), ids(&b, kind));
            assert!(x.iter().all(|id| !y.contains(id)), "{kind} ids repeat");
        }
    }

    #[test]
    fn a_body_applied_again_adds_only_duplicates_and_stock() {
        let args = Args::parse_from(["loadtest", "--batch", "500"]);
        let t = Templates::build(&args);
        let one = (0..t.len() as u64)
            .map(|i| t.get(i))
            .find(|t| t.stock > 0)
            .expect("a template with stock events");
        let e = one.expected;
        assert_eq!(
            one.slack(0, true),
            Expected::default(),
            "delivered once: exact"
        );
        assert_eq!(
            one.slack(0, false),
            Expected::default(),
            "never sent: nothing"
        );
        let twice = one.slack(1, true);
        assert_eq!(twice.events, one.stock);
        assert_eq!(twice.duplicates, e.lines - one.stock);
        assert_eq!(
            (twice.orders, twice.gmv, twice.refunds),
            (0, 0, 0),
            "money stays exact"
        );
        let lost = one.slack(1, false);
        assert_eq!(lost, e, "unacknowledged: maybe in whole, once");
        let lost_twice = one.slack(2, false);
        assert_eq!(lost_twice.orders, e.orders);
        assert_eq!(lost_twice.events, e.events + one.stock);
    }
}
