//! Time-dependent figures on a manual clock: sliding windows, rates, the
//! timeline, stock countdown and sell-out ETA, pace and projection.

use warroom::views;

use crate::support::{MIN, START, ingest_at, post, test_config};

fn order(id: &str, ts: i64, store: &str, sku: &str, qty: u32, price: &str) -> String {
    format!(
        r#"{{"type":"order","id":"{id}","ts":{ts},"store":"{store}","items":[{{"sku":"{sku}","qty":{qty},"price":"{price}"}}]}}"#
    )
}

#[test]
fn windows_follow_event_time_and_slide_with_the_clock() {
    let now = START + 60 * MIN + 5_000; // 01:00:05
    let (ingest, clock) = ingest_at(now);
    let body = [
        order("a", now - 30_000, "s1", "k2", 1, "1"), // in 1m, 5m, 15m
        order("b", now - 90_000, "s1", "k2", 1, "10"), // in 5m, 15m
        order("c", now - 7 * MIN, "s2", "k2", 1, "100"), // in 15m
        order("d", now - 20 * MIN, "s2", "k2", 1, "1000"), // totals only
        order("e", now + 2 * MIN, "s1", "k2", 1, "10000"), // future (allowed): counted as now
    ]
    .join("\n");
    assert_eq!(post(&ingest, &body).accepted, 5);
    let cfg = test_config();
    let s = ingest
        .engine()
        .read(|st, now| views::summary(st, &cfg, now));
    assert_eq!(s.totals.gmv, 1_111_100);
    assert_eq!(s.windows.m1.gmv, 1_000_100);
    assert_eq!(s.windows.m5.gmv, 1_001_100);
    assert_eq!(s.windows.m15.gmv, 1_011_100);
    assert_eq!(s.windows.m15.orders, 4);

    clock.advance(31_000); // "a" is now 61 s old
    let s = ingest
        .engine()
        .read(|st, now| views::summary(st, &cfg, now));
    assert_eq!(s.windows.m1.gmv, 1_000_000, "a left the last minute");
    assert_eq!(s.windows.m5.gmv, 1_001_100);

    clock.advance(20 * MIN);
    let s = ingest
        .engine()
        .read(|st, now| views::summary(st, &cfg, now));
    assert_eq!(
        (s.windows.m1.gmv, s.windows.m5.gmv, s.windows.m15.gmv),
        (0, 0, 0)
    );
    assert_eq!(s.totals.gmv, 1_111_100, "totals never slide");

    let stores = ingest
        .engine()
        .read(|st, now| views::store_rows(st, now, views::RowSort::Gmv, 10));
    assert_eq!(stores[0].id, "s1");
    assert_eq!(stores[0].figures.gmv, 1_001_100);
}

#[test]
fn rates_cover_the_last_ten_whole_seconds() {
    let now = START + 10 * MIN + 500;
    let (ingest, _clock) = ingest_at(now);
    let mut lines = Vec::new();
    for i in 0..20 {
        // Two orders per second over the last 10 whole seconds, plus some
        // in the current (partial) second, which the rate leaves out.
        lines.push(order(
            &format!("r{i}"),
            now - 10_000 + (i / 2) * 1000,
            "s1",
            "k2",
            1,
            "2",
        ));
    }
    lines.push(order("now", now, "s1", "k2", 1, "2"));
    post(&ingest, &lines.join("\n"));
    let cfg = test_config();
    let s = ingest
        .engine()
        .read(|st, now| views::summary(st, &cfg, now));
    assert_eq!(s.rates.orders_per_s, 2.0);
    assert_eq!(s.rates.gmv_per_s, 400.0);
}

#[test]
fn timeline_has_one_row_per_minute_inside_the_sale() {
    let (ingest, _clock) = ingest_at(START + 3 * MIN + 10_000);
    let body = [
        order("pre", START - 1, "s1", "k2", 1, "5"), // before the start: totals only
        order("m0", START, "s1", "k2", 1, "1"),
        order("m0b", START + 59_999, "s2", "k2", 2, "1"),
        order("m2", START + 2 * MIN + 1, "s1", "k2", 1, "3"),
    ]
    .join("\n");
    post(&ingest, &body);
    let cfg = test_config();
    let rows = ingest
        .engine()
        .read(|st, now| {
            views::timeline(
                st,
                &cfg,
                now,
                &views::TimelineScope::Sale,
                &Default::default(),
            )
        })
        .expect("sale timeline");
    assert_eq!(rows.len(), 4, "minutes 0..=3");
    assert_eq!(rows[0].minute_start, "2026-11-11T00:00:00+08:00");
    assert_eq!((rows[0].gmv, rows[0].orders, rows[0].units), (300, 2, 3));
    assert_eq!(rows[1].gmv, 0);
    assert_eq!(rows[2].gmv, 300);
    assert_eq!(rows[3].cumulative_gmv, 600);
    let store = ingest
        .engine()
        .read(|st, now| {
            views::timeline(
                st,
                &cfg,
                now,
                &views::TimelineScope::Store("s2".into()),
                &Default::default(),
            )
        })
        .expect("store timeline");
    assert_eq!(store[0].gmv, 200);
    let missing = ingest.engine().read(|st, now| {
        views::timeline(
            st,
            &cfg,
            now,
            &views::TimelineScope::Store("nope".into()),
            &Default::default(),
        )
    });
    assert!(matches!(
        missing,
        Err(views::TimelineError::UnknownScope(_))
    ));
    let total = ingest.engine().read(|st, _| st.sale.counters.gmv);
    assert_eq!(total, 1100, "the pre-sale order counts in totals");
}

#[test]
fn stock_counts_down_warns_and_estimates_sell_out() {
    let now = START + 30 * MIN;
    let (ingest, clock) = ingest_at(now);
    // k1: stock 100, low at 10. Sell 60 units over the last 5 minutes.
    let mut lines = Vec::new();
    for i in 0..6 {
        lines.push(order(
            &format!("k{i}"),
            now - 290_000 + i * 50_000,
            "s1",
            "k1",
            10,
            "99",
        ));
    }
    post(&ingest, &lines.join("\n"));
    let row = |ingest: &warroom::ingest::Ingest| {
        ingest
            .engine()
            .read(|st, now| views::sku_row(st, st.sku_index("k1").expect("k1"), now))
    };
    let r = row(&ingest);
    assert_eq!(
        (r.stock, r.stock_left, r.warning),
        (Some(100), Some(40), None)
    );
    // 40 left at 60 units per 300 s → 200 s.
    assert_eq!(r.sellout_eta_s, Some(200.0));
    assert_eq!(r.completion, Some(60.0 / 50.0));

    post(&ingest, &order("low", now, "s1", "k1", 30, "99"));
    let r = row(&ingest);
    assert_eq!(
        (r.stock_left, r.warning),
        (Some(10), Some(views::StockWarning::Low))
    );

    post(&ingest, &order("out", now, "s1", "k1", 25, "99"));
    let r = row(&ingest);
    assert_eq!(
        (r.stock_left, r.warning, r.sellout_eta_s),
        (Some(0), Some(views::StockWarning::Out), Some(0.0))
    );

    post(
        &ingest,
        &format!(r#"{{"type":"stock","ts":{now},"sku":"k1","level":500}}"#),
    );
    clock.advance(10 * MIN);
    let r = row(&ingest);
    assert_eq!(
        (r.stock, r.stock_left, r.warning),
        (Some(500), Some(500), None)
    );
    assert_eq!(r.sellout_eta_s, None, "nothing sold in the last 5 minutes");

    // An unknown SKU seen only in a stock event is created with that level.
    post(
        &ingest,
        &format!(r#"{{"type":"stock","ts":{now},"sku":"new","level":0}}"#),
    );
    let sellout = ingest
        .engine()
        .read(|st, now| views::sku_rows(st, now, views::SkuSort::Sellout, 1));
    assert_eq!(sellout[0].id, "new");
    assert_eq!(sellout[0].warning, Some(views::StockWarning::Out));
}

#[test]
fn completion_pace_and_projection_follow_the_plan() {
    // 30 % of the target is planned for the first 4 % of the day (57.6 min).
    let now = START + 28 * MIN + 48_000; // 2 % of the day: plan expects 15 %
    let (ingest, _clock) = ingest_at(now);
    // Target 1,000,000 yuan; sell 75,000 yuan (7.5 %), all in the last 15 minutes.
    let body = (0..75)
        .map(|i| {
            order(
                &format!("o{i}"),
                now - 10 * MIN + i * 1000,
                "s1",
                "k2",
                1,
                "1000",
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    post(&ingest, &body);
    let cfg = test_config();
    let s = ingest
        .engine()
        .read(|st, now| views::summary(st, &cfg, now));
    let t = &s.totals;
    assert_eq!(t.completion, Some(0.075));
    let pace = t.pace.expect("pace");
    assert!((pace - 0.5).abs() < 1e-9, "half the planned share: {pace}");
    // The last 15 min planned 15 min / 57.6 min × 30 % = 7.8125 % of the target;
    // 75,000 in them means a whole sale of 960,000 at this strength; 85 % of
    // that remains: 75,000 + 816,000.
    let projected = t.projected_gmv.expect("projection");
    assert!((projected - 89_100_000).abs() <= 1, "{projected}");
}

#[test]
fn buyers_are_exact_per_scope_and_new_buyers_count_once() {
    let (ingest, _clock) = ingest_at(START + MIN);
    let o = |id: &str, store: &str, channel: &str, buyer: &str, new: bool| {
        format!(
            r#"{{"type":"order","id":"{id}","store":"{store}","channel":"{channel}","buyer":"{buyer}","new_buyer":{new},"items":[{{"sku":"k2","qty":1,"price":"10"}}]}}"#
        )
    };
    let body = [
        o("1", "s1", "tmall", "u1", true),
        o("2", "s1", "tmall", "u1", true),
        o("3", "s2", "jd", "u1", false),
        o("4", "s2", "jd", "u2", false),
        o("5", "s1", "jd", "u2", true),
    ]
    .join("\n");
    post(&ingest, &body);
    let cfg = test_config();
    let s = ingest
        .engine()
        .read(|st, now| views::summary(st, &cfg, now));
    assert_eq!((s.totals.buyers, s.totals.new_buyers), (2, 2));
    assert_eq!(s.totals.aov, Some(2500), "5 × 10 yuan over 2 buyers");
    let stores = ingest
        .engine()
        .read(|st, now| views::store_rows(st, now, views::RowSort::Orders, 10));
    let by = |id: &str| stores.iter().find(|r| r.id == id).map(|r| r.figures.buyers);
    assert_eq!((by("s1"), by("s2")), (Some(2), Some(2)));
    let channels = ingest
        .engine()
        .read(|st, now| views::channel_rows(st, &cfg, now, views::RowSort::Gmv, 10));
    let by = |id: &str| {
        channels
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.figures.buyers)
    };
    assert_eq!((by("tmall"), by("jd")), (Some(1), Some(2)));
}

#[test]
fn stock_warnings_put_the_most_urgent_first() {
    let now = START + 30 * MIN;
    let (ingest, _clock) = ingest_at(now);
    let stock = |sku: &str, level: u32, ts: i64| {
        format!(r#"{{"type":"stock","ts":{ts},"sku":"{sku}","level":{level}}}"#)
    };
    let lines = [
        stock("gone2", 0, now - 7 * MIN),
        stock("gone", 0, now - 7 * MIN),
        stock("soon", 50, now - 7 * MIN),
        stock("sooner", 100, now - 7 * MIN),
        stock("low", 100, now - 7 * MIN),
        stock("calm", 1000, now - 7 * MIN),
        // 40 left at 10 a 5 minutes: 1,200 s.
        order("a", now - MIN, "s1", "soon", 10, "1"),
        // 50 left at 50 a 5 minutes: 300 s.
        order("b", now - MIN, "s1", "sooner", 50, "1"),
        // 5 left (under a tenth of 100), sold before the last 5 minutes: no ETA.
        order("c", now - 6 * MIN, "s1", "low", 95, "1"),
        // 990 left at 10 a 5 minutes: 29,700 s, past the hour; not low.
        order("d", now - MIN, "s1", "calm", 10, "1"),
        // Stock not tracked.
        order("e", now - MIN, "s1", "untracked", 500, "1"),
    ];
    post(&ingest, &lines.join("\n"));
    let rows = ingest
        .engine()
        .read(|st, now| views::stock_warning_rows(st, now, 3600.0, 10));
    let got: Vec<(&str, Option<&str>, Option<f64>)> = rows
        .iter()
        .map(|r| {
            let warning = r.warning.map(views::StockWarning::as_str);
            (r.id.as_str(), warning, r.sellout_eta_s)
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("gone", Some("out"), Some(0.0)),
            ("gone2", Some("out"), Some(0.0)),
            ("sooner", None, Some(300.0)),
            ("soon", None, Some(1200.0)),
            ("low", Some("low"), None),
        ]
    );
    let two = ingest
        .engine()
        .read(|st, now| views::stock_warning_rows(st, now, 3600.0, 2));
    assert_eq!(two.len(), 2, "at most the limit");
}
