//! Memory and arithmetic bounds: a long sale's timelines cost what was
//! seen, timeline reads are bounded, sums saturate, silences refuse
//! absurd durations, and entities created on first sight are capped.

use std::path::Path;

use warroom::config;
use warroom::views::{self, TimelineRange, TimelineScope};

use crate::support::{MIN, START, ingest_with, post, spawn_app, test_config};

/// The test sale stretched to `days` days.
fn sale_of_days(days: i64) -> String {
    let ends = chrono::DateTime::from_timestamp_millis(START + days * 24 * 60 * MIN)
        .expect("time")
        .to_rfc3339();
    crate::support::SALE_TOML.replace(
        "ends = \"2026-11-12T00:00:00+08:00\"",
        &format!("ends = \"{ends}\""),
    )
}

fn order(id: &str, ts: i64, store: &str, price: &str, qty: u32, items: usize) -> String {
    let item = format!(r#"{{"sku":"k2","qty":{qty},"price":"{price}"}}"#);
    let items = vec![item; items].join(",");
    format!(r#"{{"type":"order","id":"{id}","ts":{ts},"store":"{store}","items":[{items}]}}"#)
}

#[test]
fn a_sale_longer_than_the_maximum_is_refused_with_its_line() {
    let long = crate::support::SALE_TOML
        .replace(
            "starts = \"2026-11-11T00:00:00+08:00\"",
            "starts = \"1970-01-01T00:00:00Z\"",
        )
        .replace(
            "ends = \"2026-11-12T00:00:00+08:00\"",
            "ends = \"2100-01-01T00:00:00Z\"",
        );
    let err = config::parse_str(&long, "sale.toml", Path::new("."))
        .expect_err("a 130-year sale")
        .to_string();
    assert!(
        err.starts_with("sale.toml:7: sale.ends: a sale may last at most 31 days"),
        "{err}"
    );
    assert!(config::parse_str(&sale_of_days(31), "sale.toml", Path::new(".")).is_ok());
    assert!(config::parse_str(&sale_of_days(32), "sale.toml", Path::new(".")).is_err());
}

/// A month-long sale, a thousand stores first seen on its last day: each
/// store's timeline holds one chunk, not a month of minutes, and every read
/// of it is bounded.
#[test]
fn timelines_cost_the_minutes_seen_and_reads_are_bounded() {
    let cfg = config::parse_str(&sale_of_days(31), "sale.toml", Path::new(".")).expect("config");
    let now = START + 30 * 24 * 60 * MIN;
    let (ingest, _clock) = ingest_with(cfg.clone(), now);
    let body: Vec<String> = (0..1000)
        .map(|i| order(&format!("o{i}"), now, &format!("new{i}"), "1", 1, 1))
        .collect();
    assert_eq!(post(&ingest, &body.join("\n")).accepted, 1000);
    post(&ingest, &order("early", START + 5 * MIN, "s1", "2", 1, 1));
    let chunks = ingest.engine().read(|st, _| {
        st.stores
            .iter()
            .map(|s| s.scope.timeline.chunks())
            .max()
            .unwrap_or(0)
    });
    assert_eq!(chunks, 1, "one chunk per store, whatever the calendar");
    let sale_chunks = ingest.engine().read(|st, _| st.sale.timeline.chunks());
    assert_eq!(sale_chunks, 2);

    let read = |range: TimelineRange| {
        ingest.engine().read(|st, now| {
            views::timeline(st, &cfg, now, &TimelineScope::Sale, &range).map_err(|e| e.to_string())
        })
    };
    // 30 days and a minute: too many for a minute (or 30) a row; hours.
    let rows = read(TimelineRange::default()).expect("default");
    assert!(rows.len() <= views::MAX_TIMELINE_ROWS, "{}", rows.len());
    assert_eq!(rows.len(), (30 * 24 * 60 + 1usize).div_ceil(60));
    assert_eq!(rows.iter().map(|r| r.gmv).sum::<i64>(), 1000 * 100 + 200);
    assert_eq!(rows[0].gmv, 200);
    assert_eq!(rows.last().map(|r| r.cumulative_gmv), Some(100_200));
    let err = read(TimelineRange {
        step: Some(1),
        ..Default::default()
    })
    .expect_err("43,201 rows");
    assert!(err.contains("at most 1440"), "{err}");
    let last = 30 * 24 * 60;
    let tail = read(TimelineRange {
        from: Some(last - 9),
        to: Some(last + 1),
        step: Some(1),
    })
    .expect("a page");
    assert_eq!(tail.len(), 10);
    assert_eq!(tail[9].gmv, 100_000);
    assert_eq!(
        tail[0].cumulative_gmv, 200,
        "cumulative counts from the start"
    );
    assert!(
        read(TimelineRange {
            from: Some(5),
            to: Some(4),
            step: None
        })
        .is_err()
    );
    // A page past the minutes so far (without `to`) is empty, not an
    // error; past the sale's end it is one.
    let ahead = ingest.engine().read(|st, _| {
        let early = START + 10 * MIN;
        let range = TimelineRange {
            from: Some(20),
            ..Default::default()
        };
        let s1 = TimelineScope::Store("s1".into());
        views::timeline(st, &cfg, early, &s1, &range).map(|rows| rows.len())
    });
    assert!(matches!(ahead, Ok(0)), "{ahead:?}");
    let beyond = read(TimelineRange {
        from: Some(31 * 24 * 60 + 1),
        ..Default::default()
    })
    .expect_err("past the sale");
    assert!(beyond.contains("from, to"), "{beyond}");

    // A screen's snapshot: bounded too, ending with the last hour minute
    // by minute, each row's cumulative exact.
    let screen = ingest
        .engine()
        .read(|st, now| views::screen_rows(&cfg, now, &[views::Minutes::of(&st.sale)], None));
    assert!(screen.len() <= views::SCREEN_ROWS, "{}", screen.len());
    assert_eq!(screen.last().map(|r| r.cumulative_gmv), Some(100_200));
    assert_eq!(screen.last().map(|r| r.gmv), Some(100_000));
}

/// GMV saturated at the largest 64-bit integer stays there in every
/// derived sum: the timeline's cumulative figure, on the API.
#[tokio::test]
async fn derived_sums_saturate() {
    let now = START + 10 * MIN;
    let app = spawn_app(test_config(), now).await;
    // 10 items of 1,000,000 × 9,999,999,999.99: more than i64::MAX fen.
    let huge = order("big", START + MIN, "s1", "9999999999.99", 1_000_000, 10);
    let small = order("small", START + 2 * MIN, "s1", "1", 1, 1);
    let r = app
        .post_events(format!("{huge}\n{small}"), "application/x-ndjson")
        .await;
    assert_eq!(r.status(), 200);
    let summary = app.get("/api/v1/summary").await;
    assert_eq!(summary["totals"]["gmv"], i64::MAX);
    let rows = app.get("/api/v1/timeline").await;
    let rows = rows.as_array().expect("rows");
    assert!(
        rows.iter()
            .all(|r| r["cumulative_gmv"].as_i64() == Some(i64::MAX) || r["cumulative_gmv"] == 0),
        "{rows:?}"
    );
    assert_eq!(rows[2]["cumulative_gmv"], i64::MAX);
    let store = app.get("/api/v1/timeline?scope=store:s1").await;
    assert_eq!(store[2]["cumulative_gmv"], i64::MAX);
    let bad = app
        .client
        .get(format!("{}/api/v1/timeline?step=0", app.base))
        .send()
        .await
        .expect("GET");
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn silences_refuse_out_of_range_durations() {
    let now = START + 10 * MIN;
    let app = spawn_app(test_config(), now).await;
    let post = |body: &'static str| {
        app.client
            .post(format!("{}/api/v1/silences", app.base))
            .body(body)
            .send()
    };
    let r = post(r#"{"rule":"spike","for_s":9223372036854775}"#)
        .await
        .expect("POST");
    assert_eq!(r.status(), 400);
    let text = r.text().await.expect("body");
    assert!(text.contains("for_s: must be from 1 to 31622400"), "{text}");
    assert_eq!(
        post(r#"{"rule":"spike","for_s":0}"#)
            .await
            .expect("POST")
            .status(),
        400
    );
    let ok = post(r#"{"rule":"spike","for_s":31622400}"#)
        .await
        .expect("POST");
    assert_eq!(ok.status(), 201);
    let s: serde_json::Value = ok.json().await.expect("JSON");
    assert_eq!(s["until_ms"], now + 31_622_400_000);
}

/// The test sale with first-sight caps in `[server]`.
fn capped(channels: u32, stores: u32, skus: u32, per_request: u32) -> config::Config {
    let text = format!(
        "{}\n[server]\nmax_unlisted_channels = {channels}\nmax_unlisted_stores = {stores}\nmax_unlisted_skus = {skus}\nmax_unlisted_per_request = {per_request}\n",
        crate::support::SALE_TOML
    );
    config::parse_str(&text, "sale.toml", Path::new(".")).expect("config")
}

fn sale_in(id: &str, store: &str, channel: &str, sku: &str) -> String {
    format!(
        r#"{{"type":"order","id":"{id}","ts":{},"store":"{store}","channel":"{channel}","items":[{{"sku":"{sku}","qty":1,"price":"1"}}]}}"#,
        START + MIN
    )
}

#[test]
fn entities_first_seen_are_capped_per_kind_and_per_request() {
    let (ingest, _clock) = ingest_with(capped(2, 3, 4, 5), START + 2 * MIN);
    // Channels: two new ones pass; the third is refused, its line named;
    // configured channels and `other` are never refused.
    let body = [
        sale_in("a", "s1", "c1", "k1"),
        sale_in("b", "s1", "c2", "k1"),
        sale_in("c", "s1", "c3", "k1"),
        sale_in("d", "s1", "tmall", "k1"),
        sale_in("e", "s1", "other", "k1"),
        sale_in("f", "s1", "c1", "k1"),
    ]
    .join("\n");
    let r = post(&ingest, &body);
    assert_eq!((r.accepted, r.rejected), (5, 1), "{r:?}");
    assert_eq!(r.errors[0].line, 3);
    assert_eq!(
        r.errors[0].error,
        "channel: new channel \"c3\" refused: the sale may hold at most 2 channels not in the config (server.max_unlisted_channels)"
    );
    // The refused line took no key: sent again once there is room it
    // would count; now it is refused again, not a duplicate.
    let again = post(&ingest, &sale_in("c", "s1", "c3", "k1"));
    assert_eq!(
        (again.accepted, again.duplicates, again.rejected),
        (0, 0, 1)
    );

    // Per request: 5 new ids at most (here 2 stores and 3 SKUs, then a
    // sixth id in a later line is refused; a line with only known ids is not).
    let body = [
        sale_in("g", "n1", "tmall", "x1"),
        sale_in("h", "n2", "tmall", "x2"),
        sale_in("i", "n1", "tmall", "x3"),
        sale_in("j", "n2", "tmall", "x4"),
        sale_in("k", "n1", "tmall", "k2"),
    ]
    .join("\n");
    let r = post(&ingest, &body);
    assert_eq!((r.accepted, r.rejected), (4, 1), "{r:?}");
    assert_eq!(r.errors[0].line, 4);
    assert_eq!(
        r.errors[0].error,
        "items[0].sku: new SKU \"x4\" refused: one request may create at most 5 new ids (server.max_unlisted_per_request)"
    );
    // Stores: 3 unlisted at most (n1, n2 and one more); a stock event's SKU too.
    let body = [
        sale_in("l", "n3", "tmall", "k1"),
        sale_in("m", "n4", "tmall", "k1"),
        format!(
            r#"{{"type":"stock","sku":"x9","level":5,"ts":{}}}"#,
            START + MIN
        ),
        format!(
            r#"{{"type":"stock","sku":"x8","level":5,"ts":{}}}"#,
            START + MIN
        ),
    ]
    .join("\n");
    let r = post(&ingest, &body);
    assert_eq!((r.accepted, r.rejected), (2, 2), "{r:?}");
    assert!(
        r.errors[0]
            .error
            .starts_with("store: new store \"n4\" refused"),
        "{r:?}"
    );
    assert!(
        r.errors[1].error.starts_with("sku: new SKU \"x8\" refused"),
        "{r:?}"
    );
    let (channels, stores, skus) = ingest
        .engine()
        .read(|st, _| (st.channels.len(), st.stores.len(), st.skus.len()));
    assert_eq!((channels, stores, skus), (2 + 3, 2 + 3, 2 + 4));
}

#[test]
fn config_caps_have_bounds() {
    let text = format!(
        "{}\n[server]\nmax_unlisted_stores = -1\n",
        crate::support::SALE_TOML
    );
    let err = config::parse_str(&text, "sale.toml", Path::new("."))
        .expect_err("negative")
        .to_string();
    assert!(
        err.contains("server.max_unlisted_stores: must be from 0 to 10000000"),
        "{err}"
    );
}

/// A wall's frames stay small however many channels events create: the
/// top channels by GMV only.
#[test]
fn frames_hold_the_top_channels_whatever_their_number() {
    let (ingest, _clock) = ingest_with(capped(1000, 10, 10, 100_000), START + 2 * MIN);
    let body: Vec<String> = (0..900)
        .map(|i| sale_in(&format!("o{i}"), "s1", &format!("ch{i}"), "k1"))
        .collect();
    assert_eq!(post(&ingest, &body.join("\n")).accepted, 900);
    let cfg = ingest.engine().config().clone();
    let snap = ingest.engine().read(|st, now| {
        warroom::live::snapshot(
            st,
            &cfg,
            now,
            &warroom::live::Filter::default(),
            1,
            Vec::new(),
        )
    });
    assert_eq!(snap.channels.len(), warroom::live::PUSH_CHANNELS);
    let bytes = serde_json::to_vec(&snap).expect("JSON").len();
    assert!(bytes < 100_000, "a snapshot of {bytes} bytes");
}

/// Traffic and spend create stores, channels and product pages (SKUs)
/// like orders do, so the same caps refuse them, naming the field.
#[test]
fn traffic_and_spend_are_capped_like_orders() {
    let (ingest, _clock) = ingest_with(capped(0, 0, 0, 10), START + 2 * MIN);
    let at = START + MIN;
    let body = [
        format!(r#"{{"type":"traffic","id":"t1","ts":{at},"store":"s1","sku":"x1","visitors":5}}"#),
        format!(r#"{{"type":"traffic","id":"t2","ts":{at},"store":"n1","visitors":5}}"#),
        format!(r#"{{"type":"spend","id":"a1","ts":{at},"channel":"c1","amount":1}}"#),
        format!(r#"{{"type":"spend","id":"a2","ts":{at},"store":"n2","amount":1}}"#),
        format!(r#"{{"type":"traffic","id":"t3","ts":{at},"store":"s1","sku":"k1","visitors":5}}"#),
        format!(r#"{{"type":"spend","id":"a3","ts":{at},"channel":"other","amount":1}}"#),
    ]
    .join("\n");
    let r = post(&ingest, &body);
    assert_eq!((r.accepted, r.rejected), (2, 4), "{r:?}");
    let errors: Vec<(usize, &str)> = r
        .errors
        .iter()
        .map(|e| (e.line, e.error.split(" refused").next().unwrap_or("")))
        .collect();
    assert_eq!(
        errors,
        [
            (1, "sku: new SKU \"x1\""),
            (2, "store: new store \"n1\""),
            (3, "channel: new channel \"c1\""),
            (4, "store: new store \"n2\""),
        ]
    );
}
