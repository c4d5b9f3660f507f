//! `warroom demo`: a built-in Double 11 sale and a simulated midnight spike.
//!
//! The sale starts the moment the demo starts (that moment is "midnight")
//! and lasts 24 hours. Orders arrive at `--rate` events/s and decay to 15 %
//! of it over the first minutes, as a real midnight rush does. Targets are
//! sized from the rate so the screen shows a sale roughly on plan, a few best
//! sellers sell out within minutes, and everything goes through
//! [`Ingest::submit`], the same path as `POST /api/v1/events`. The three
//! hours before midnight are watched (`observe_before`) and backfilled at
//! start at a usual pace that sags towards midnight (`sim::eve`), so the
//! review shows the dip before, the burst and its half-life.
//!
//! Beside the orders (which keep that rate and shape), each store reports
//! its traffic every 5 s and each campaign its spend every 10 s
//! (`sim::write_slices`); orders name the buyer's region (95 %, weighted by
//! population) and often a campaign. Ad platforms bid hard at midnight, so
//! spend runs ahead of the GMV it buys then (`MIDNIGHT_BID`) and settles
//! as the spike does. Budgets (sale, channels, campaigns) are sized from
//! the targets at each channel's ROI, with 10 % to spare.

use std::time::Duration;

use crate::config::{AlertsConfig, CampaignDef, Config, Plan, Sale, ServerConfig, StorageConfig};
use crate::ingest::Ingest;
use crate::money::Currency;
use crate::sim::{CAMPAIGNS, DemoCatalog, Traffic, TrafficOptions, channel_roi, demo_catalog};

pub const DEMO_STORES: usize = 50;
pub const DEMO_SKUS: usize = 2_000;
/// Seconds over which the midnight spike decays (time constant).
const SPIKE_DECAY_S: f64 = 300.0;
/// The rate the spike settles to, as a share of the peak.
const BASE_SHARE: f64 = 0.15;
const DAY_MS: i64 = 24 * 3600 * 1000;
/// Extra spend per yuan of GMV at midnight (decaying with the spike):
/// 0.8 spends 1.8× the settled rate at the start.
const MIDNIGHT_BID: f64 = 0.8;
/// Budgets leave this much room over the spend the targets imply.
const BUDGET_ROOM: f64 = 1.10;

#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Peak events per second, at the start.
    pub rate: u32,
    pub seed: u64,
}

/// Events per second `t` seconds after the start.
pub fn rate_at(peak: f64, t: f64) -> f64 {
    peak * (BASE_SHARE + (1.0 - BASE_SHARE) * (-t.max(0.0) / SPIKE_DECAY_S).exp())
}

/// Spend per yuan of GMV `t` seconds after the start, relative to later.
pub fn spend_burst(t: f64) -> f64 {
    1.0 + MIDNIGHT_BID * (-t.max(0.0) / SPIKE_DECAY_S).exp()
}

/// Events sent in the first `t` seconds (the integral of [`rate_at`]).
fn events_until(peak: f64, t: f64) -> f64 {
    peak * (BASE_SHARE * t
        + (1.0 - BASE_SHARE) * SPIKE_DECAY_S * (1.0 - (-t / SPIKE_DECAY_S).exp()))
}

/// The demo sale's config and catalog, starting at `now_ms`.
pub fn demo_config(now_ms: i64, opts: &DemoOptions, server: ServerConfig) -> (Config, DemoCatalog) {
    let mut cat = demo_catalog(opts.seed, DEMO_STORES, DEMO_SKUS);
    let peak = f64::from(opts.rate.max(1));
    let store_p = crate::sim::Zipf::new(DEMO_STORES, 1.0);
    let sku_p = crate::sim::Zipf::new(DEMO_SKUS, 1.1);
    // Items per order 1.6, units per item 1.2, ~97.7 % of events are orders.
    let units_per_event = 0.977 * 1.6 * 1.2;
    let mean_price: f64 = (0..DEMO_SKUS)
        .map(|i| sku_p.p(i) * cat.prices[i] as f64)
        .sum();
    let first_hour_gmv = events_until(peak, 3600.0) * units_per_event * mean_price;
    let target = ((first_hour_gmv / 0.30) / 1_000_000.0).round().max(1.0) as i64 * 1_000_000;
    let day_events = events_until(peak, 86_400.0);

    for (i, s) in cat.stores.iter_mut().enumerate() {
        s.target = Some((target as f64 * store_p.p(i) / 10_000.0).round() as i64 * 10_000);
    }
    for ch in &mut cat.channels {
        let share: f64 = (0..DEMO_STORES)
            .filter(|&i| cat.stores[i].channel.as_deref() == Some(ch.id.as_str()))
            .map(|i| store_p.p(i))
            .sum();
        ch.target = Some((target as f64 * share / 10_000.0).round() as i64 * 10_000);
        ch.profit_target = ch.target.map(|t| t * 18 / 100);
        ch.budget = ch.target.map(|t| {
            (t as f64 / channel_roi(&ch.id) * BUDGET_ROOM / 10_000.0).round() as i64 * 10_000
        });
    }
    let campaigns: Vec<CampaignDef> = CAMPAIGNS
        .iter()
        .map(|c| {
            let channel = cat.channels.iter().find(|ch| ch.id == c.channel);
            CampaignDef {
                id: c.id.into(),
                channel: channel.map(|ch| ch.id.clone()),
                budget: channel
                    .and_then(|ch| ch.budget)
                    .map(|b| (b as f64 * c.share / 10_000.0).round() as i64 * 10_000),
            }
        })
        .collect();
    let budget: i64 = cat.channels.iter().filter_map(|ch| ch.budget).sum();
    for (i, k) in cat.skus.iter_mut().enumerate() {
        let per_s = sku_p.p(i) * units_per_event;
        let day_units = (day_events * per_s).round() as i64;
        k.target_units = Some(day_units.max(1));
        k.stock = Some(if i < 12 {
            // Best sellers: enough for 3 to 25 minutes of the spike.
            (events_until(peak, 180.0 + 120.0 * i as f64) * per_s).round() as i64 + 20
        } else {
            day_units * 3 / 2 + 100
        });
    }
    let currency = Currency::from_code("CNY").unwrap_or(Currency {
        code: "CNY".into(),
        exponent: 2,
    });
    let starts_ms = now_ms - now_ms.rem_euclid(1000);
    let plan = Plan::new(vec![(0.0, 0.0), (0.04, 0.30), (1.0, 1.0)]).unwrap_or_default();
    let config = Config {
        sale: Sale {
            name: "双11 演示 Double 11 Demo".into(),
            currency,
            timezone: chrono_tz::Asia::Shanghai,
            starts_ms,
            ends_ms: starts_ms + DAY_MS,
            target: Some(target),
            profit_target: Some(target * 18 / 100),
            plan,
            baseline: None,
            budget: Some(budget),
            // The eve is backfilled at start (`sim::eve`); the hour after
            // fills if the demo runs past its end.
            observe_before_ms: Some(crate::sim::EVE_HOURS * 3_600_000),
            observe_after_ms: Some(3_600_000),
        },
        campaigns,
        channels: cat.channels.clone(),
        stores: cat.stores.clone(),
        skus: cat.skus.clone(),
        server,
        storage: StorageConfig::default(),
        alerts: AlertsConfig::defaults(100),
        auth: None,
        cluster: None,
    };
    (config, cat)
}

/// The demo's orders: the buyer's region on 95 %, a campaign on 60 %;
/// traffic and spend come on a clock (`Traffic::write_slices`), not by share.
fn traffic_options(seed: u64, id_prefix: String) -> TrafficOptions {
    TrafficOptions {
        seed,
        id_prefix,
        region_rate: 0.95,
        campaign_rate: 0.6,
        ..TrafficOptions::default()
    }
}

/// Feeds the simulated sale into `ingest` until the task is dropped.
pub async fn feed(ingest: Ingest, catalog: DemoCatalog, opts: DemoOptions) {
    let engine = ingest.engine().clone();
    let sale_start = engine.sale().starts_ms;
    let traffic_opts = traffic_options(opts.seed, format!("demo{}-", engine.now_ms()));
    let mut traffic = Traffic::new(&catalog, engine.sale().currency.clone(), traffic_opts);
    let peak = f64::from(opts.rate.max(1));
    let mut tick = tokio::time::interval(Duration::from_millis(TICK_MS as u64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    submit_eve(&ingest, &mut traffic, peak, sale_start).await;
    let mut sent_until = engine.now_ms();
    let mut carry = 0.0;
    let mut body = Vec::with_capacity(1 << 20);
    for n_tick in 0u64.. {
        tick.tick().await;
        let now = engine.now_ms();
        let t0 = (sent_until - sale_start) as f64 / 1000.0;
        let t1 = (now - sale_start) as f64 / 1000.0;
        // Never more than a second's worth at once (after a pause, say).
        let want = (events_until(peak, t1) - events_until(peak, t0)).min(peak) + carry;
        let n = want.floor();
        carry = want - n;
        sent_until = now;
        body.clear();
        if n >= 1.0 {
            traffic.write_batch(&mut body, n as usize, now);
        }
        traffic.write_slices(&mut body, n_tick, now, spend_burst(t1));
        if body.is_empty() {
            continue;
        }
        match ingest
            .submit_durable(&body, Some("application/x-ndjson"))
            .await
        {
            Ok(reply) if reply.rejected > 0 => {
                tracing::warn!(rejected = reply.rejected, first = ?reply.errors.first(), "demo events rejected");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "demo batch refused"),
        }
    }
}

/// The demo's clock: a batch of orders, and the traffic and spend lines
/// due, every tick.
const TICK_MS: i64 = 100;
/// Ticks in one backfilled slice of the eve.
const SLICE_TICKS: u64 = (crate::sim::EVE_SLICE_S * 1000 / TICK_MS) as u64;

/// The hours before midnight, stamped in the past (`sim::eve`).
async fn submit_eve(ingest: &Ingest, traffic: &mut Traffic, peak: f64, sale_start: i64) {
    let mut body = Vec::new();
    for (at, n) in crate::sim::eve_slices(peak, sale_start) {
        if n == 0 {
            continue;
        }
        body.clear();
        write_eve_slice(traffic, &mut body, at, n);
        if let Err(e) = ingest
            .submit_durable(&body, Some("application/x-ndjson"))
            .await
        {
            tracing::warn!(error = %e, "demo eve batch refused");
            return;
        }
    }
}

/// One slice of the eve: its orders, and its traffic and spend stamped in
/// it too — they belong to the eve; left for the first live lines, they
/// would land in the sale as hours of visitors and spend behind no sale
/// order.
fn write_eve_slice(traffic: &mut Traffic, body: &mut Vec<u8>, at: i64, n: usize) {
    traffic.write_batch(body, n, at);
    for tick in 0..SLICE_TICKS {
        traffic.write_slices(body, tick, at + tick as i64 * TICK_MS, 1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spike_integral_matches_rate() {
        let peak = 1000.0;
        let numeric: f64 = (0..3600).map(|s| rate_at(peak, s as f64 + 0.5)).sum();
        let exact = events_until(peak, 3600.0);
        assert!(
            (numeric - exact).abs() / exact < 1e-3,
            "{numeric} vs {exact}"
        );
        assert!(rate_at(peak, 0.0) > rate_at(peak, 600.0));
    }

    #[test]
    fn demo_config_is_complete() {
        let (cfg, cat) = demo_config(
            1_794_326_400_000,
            &DemoOptions {
                rate: 2000,
                seed: 1,
            },
            ServerConfig::default(),
        );
        assert_eq!(cfg.stores.len(), DEMO_STORES);
        assert_eq!(cfg.skus.len(), DEMO_SKUS);
        assert_eq!(cat.prices.len(), DEMO_SKUS);
        assert!(cfg.sale.target.is_some_and(|t| t > 0));
        assert!(cfg.skus.iter().all(|k| k.stock.is_some()));
        assert!(cfg.skus.iter().any(|k| k.name.contains("保温杯")));
        assert!(cfg.sale.budget.is_some_and(|b| b > 0));
        assert_eq!(cfg.sale.pre_span().map(|(a, b)| b - a), Some(3 * 3_600_000));
        assert!(cfg.sale.post_span().is_some());
        assert!(cfg.channels.iter().all(|c| c.budget.is_some_and(|b| b > 0)));
        assert_eq!(cfg.campaigns.len(), CAMPAIGNS.len());
        assert!(
            cfg.campaigns
                .iter()
                .all(|c| c.channel.is_some() && c.budget.is_some_and(|b| b > 0))
        );
    }

    /// Thirty seconds of the demo from midnight, through ingest: every
    /// store and channel has traffic at a few percent conversion and spend,
    /// every campaign spends and sells, PDD is the one channel losing money
    /// on its ads, and the buyers come from nearly every division and abroad.
    #[test]
    fn thirty_seconds_fill_every_efficiency_and_region_figure() {
        use std::sync::Arc;

        use crate::clock::ManualClock;
        use crate::engine::Engine;
        use crate::metrics::HttpMetrics;

        const NOW: i64 = 1_794_326_400_000;
        let opts = DemoOptions {
            rate: 2000,
            seed: 1,
        };
        let (cfg, cat) = demo_config(NOW, &opts, ServerConfig::default());
        let currency = cfg.sale.currency.clone();
        let engine = Engine::new(Arc::new(cfg), Arc::new(ManualClock::new(NOW + 60_000)));
        let ingest = Ingest::new(engine.clone(), Arc::new(HttpMetrics::default()));
        let mut traffic = Traffic::new(&cat, currency, traffic_options(1, "t-".into()));
        let mut body = Vec::new();
        // The last ten minutes of the eve first, as the demo backfills it.
        for (at, n) in crate::sim::eve_slices(2000.0, NOW)
            .into_iter()
            .rev()
            .take(60)
        {
            body.clear();
            write_eve_slice(&mut traffic, &mut body, at, n);
            let reply = ingest
                .submit(&body, Some("application/x-ndjson"))
                .expect("a batch")
                .reply;
            assert_eq!(reply.rejected, 0, "{:?}", reply.errors.first());
        }
        for tick in 0..300u64 {
            let t = tick as f64 / 10.0;
            let n = (events_until(2000.0, t + 0.1) - events_until(2000.0, t)).round();
            let ts = NOW + tick as i64 * 100;
            body.clear();
            traffic.write_batch(&mut body, n as usize, ts);
            traffic.write_slices(&mut body, tick, ts, spend_burst(t));
            let reply = ingest
                .submit(&body, Some("application/x-ndjson"))
                .expect("a batch")
                .reply;
            assert_eq!(reply.rejected, 0, "{:?}", reply.errors.first());
        }
        let sent = traffic.sent();
        assert!(
            sent.traffic_events >= 300 && sent.spend_events >= 45,
            "{sent:?}"
        );
        engine.read(|st, _| {
            // The eve's visitors and spend are the eve's, not the sale's.
            let pre = &st.periods.pre;
            assert!(
                pre.visitors > 0 && pre.spend > 0,
                "the eve's traffic and spend"
            );
            assert_eq!(st.sale.reach.visitors + pre.visitors, sent.visitors);
            assert_eq!(st.sale.reach.spend + pre.spend, sent.spend);
            let conv = st.sale.counters.orders as f64 / st.sale.reach.visitors as f64;
            assert!((0.02..0.05).contains(&conv), "the sale's conversion {conv}");
            for s in &st.stores {
                assert!(s.scope.reach.visitors > 0, "store {} has traffic", s.id);
            }
            let roi = |c: &crate::engine::Channel| {
                let conv = c.scope.counters.orders as f64 / c.scope.reach.visitors as f64;
                assert!((0.015..0.06).contains(&conv), "{}: conversion {conv}", c.id);
                c.scope.counters.gmv as f64 / c.scope.reach.spend as f64
            };
            let mut rois: Vec<(f64, &str)> = st.channels.iter().map(|c| (roi(c), &*c.id)).collect();
            rois.sort_by(|a, b| a.0.total_cmp(&b.0));
            assert_eq!(rois[0].1, "pdd", "{rois:?}");
            assert!(rois[0].0 < 1.0 && rois[1].0 > 1.5, "{rois:?}");
            assert_eq!(st.campaigns.len(), CAMPAIGNS.len());
            for c in &st.campaigns {
                assert!(c.reach.spend > 0 && c.orders > 0, "campaign {}", c.id);
            }
            let divisions = st
                .regions
                .iter()
                .filter(|r| crate::geo::division(&r.id).is_some())
                .count();
            assert!(divisions >= 30, "{divisions} divisions");
            assert!(
                st.regions
                    .iter()
                    .any(|r| &*r.id == "Singapore" || &*r.id == "US")
            );
            let pages: u64 = st.skus.iter().map(|k| k.visitors).sum();
            assert!(
                pages * 50 > sent.visitors && pages * 3 < sent.visitors,
                "product pages: {pages} of {} visitors",
                sent.visitors
            );
        });
    }
}
