//! Regions, campaigns and the efficiency fields in frames: a screen that
//! missed ticks gets every region and campaign row changed in the gap (for
//! the whole sale, a channel and a store), and a tick carries them, and a
//! channel's delta, only when they changed.

use serde_json::Value;

use super::screen::{Screen, json, setup};
use crate::live::catch_up::Next;
use crate::live::filter::Filter;

fn filter(stores: &[&str], channels: &[&str]) -> Filter {
    Filter {
        stores: stores.iter().map(|s| s.to_string()).collect(),
        channels: channels.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn a_catch_up_carries_every_region_and_campaign_changed_in_the_gap() {
    let s = setup();
    s.order("a0", "s1", 1);
    s.tick(&[]);
    let filters = [
        filter(&[], &[]),
        filter(&[], &["tmall"]),
        filter(&["s1"], &[]),
    ];
    let mut screens: Vec<_> = filters
        .iter()
        .map(|f| {
            let sub = s.hub.subscribe(f.clone());
            let mut screen = Screen::default();
            screen.frame(&sub.snapshot().1);
            (sub, screen)
        })
        .collect();
    let from = screens[0].1.seq;
    // 60 ticks nobody reads: orders from regions (by code, name and a
    // foreign string), campaign orders, spend and traffic.
    for t in 0..60 {
        match t % 10 {
            0 => s.submit(&format!(
                r#"{{"type":"order","id":"r{t}","ts":{{ts}},"store":"s1","buyer":"b{t}","region":"上海","campaign":"直通车","items":[{{"sku":"k1","qty":1,"price":10}}]}}"#
            )),
            3 => s.submit(&format!(
                r#"{{"type":"order","id":"g{t}","ts":{{ts}},"store":"s2","channel":"jd","buyer":"b1","region":"Singapore","campaign":"京准通","items":[{{"sku":"k1","qty":2,"price":7}}]}}"#
            )),
            5 => s.submit(&format!(
                r#"{{"type":"spend","id":"ad{t}","ts":{{ts}},"channel":"tmall","campaign":"直通车","amount":"3.50"}}"#
            )),
            7 => s.submit(&format!(
                r#"{{"type":"traffic","id":"tr{t}","ts":{{ts}},"store":"s1","visitors":40,"page_views":90}}"#
            )),
            _ => {}
        }
        s.tick(&[]);
    }
    for ((sub, screen), f) in screens.iter_mut().zip(&filters) {
        assert_eq!(screen.serve(sub), Next::CatchUp { since: from }, "{f:?}");
        let mut fresh = Screen::default();
        fresh.frame(&s.hub.subscribe(f.clone()).snapshot().1);
        assert_eq!(screen.regions, fresh.regions, "{f:?}");
        assert_eq!(screen.campaigns, fresh.campaigns, "{f:?}");
        assert_eq!(screen.totals, fresh.totals, "{f:?}");
        for (id, row) in &fresh.channels {
            let held = screen.channels[id].as_object().into_iter().flatten();
            for (field, v) in
                held.filter(|(f, _)| !["windows", "budget_plan"].contains(&f.as_str()))
            {
                assert_eq!(&row[field], v, "{f:?} channel {id} {field}");
            }
        }
    }
    let sale = &screens[0].1;
    assert_eq!(sale.regions["31"], serde_json::json!(["31", 6_000, 6, 6]));
    assert_eq!(
        sale.regions["Singapore"],
        serde_json::json!(["Singapore", 8_400, 6, 1])
    );
    let ztc = &sale.campaigns["直通车"];
    assert_eq!(
        (&ztc["spend"], &ztc["gmv"], &ztc["orders"]),
        (&json("2100"), &json("6000"), &json("6"))
    );
    assert_eq!(ztc["roi"], json("2.857"), "rounded for the screen");
    assert_eq!(ztc["budget_used"], json("0.0105"));
    assert!(
        sale.campaigns["京准通"].get("budget_used").is_none(),
        "no budget"
    );
    assert_eq!(sale.totals["visitors"], 240);
    assert_eq!(sale.totals["spend"], 2_100);
    let tmall = &screens[1].1;
    assert_eq!(
        tmall.campaigns.keys().collect::<Vec<_>>(),
        ["直通车"],
        "its own"
    );
    assert_eq!(
        tmall.regions["31"][3],
        Value::Null,
        "buyers: the sale's only"
    );
    assert!(!tmall.regions.contains_key("Singapore"), "jd's region");
    assert_eq!(tmall.totals["budget"], 500_000);
    let store = &screens[2].1;
    assert!(
        store.campaigns.is_empty(),
        "a store screen has no campaigns"
    );
    assert_eq!(
        store.regions["31"],
        serde_json::json!(["31", 6_000, 6, null])
    );
    assert_eq!(store.totals["visitors"], 240);
    assert!(
        store.totals.get("budget").is_none(),
        "stores have no budget"
    );
}

#[test]
fn ticks_carry_regions_campaigns_and_channel_deltas_only_when_they_changed() {
    let s = setup();
    s.submit(r#"{"type":"order","id":"o1","ts":{ts},"store":"s1","region":"31","campaign":"直通车","items":[{"sku":"k1","qty":1,"price":10}]}"#);
    s.tick(&[]);
    let mut sub = s.hub.subscribe(Filter::default());
    let mut screen = Screen::default();
    screen.frame(&sub.snapshot().1);
    let mut newest = || {
        s.tick(&[]);
        assert_eq!(screen.serve(&mut sub), Next::Regular);
        screen.last.clone()
    };

    let quiet = newest();
    assert!(
        quiet.get("regions").is_none() && quiet.get("campaigns").is_none(),
        "{quiet}"
    );
    assert_eq!(quiet["channels"], json("[]"));

    // Traffic in jd only: jd's delta, with its efficiency fields.
    s.submit(r#"{"type":"traffic","id":"t1","ts":{ts},"channel":"jd","visitors":50}"#);
    let t = newest();
    let ids: Vec<&str> = t["channels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(ids, ["jd"], "{t}");
    let jd = &t["channels"][0];
    assert_eq!(
        (&jd["visitors"], &jd["spend"], &jd["conversion"], &jd["roi"]),
        (&json("50"), &json("0"), &json("0.0"), &Value::Null)
    );
    assert!(jd.get("budget_used").is_none(), "jd has no budget");
    assert!(t.get("regions").is_none(), "no region moved");

    // Spend in tmall (budgeted): its delta has budget_used; the campaign moves.
    s.submit(
        r#"{"type":"spend","id":"a1","ts":{ts},"channel":"tmall","campaign":"直通车","amount":5}"#,
    );
    let t = newest();
    assert_eq!(t["channels"][0]["id"], "tmall");
    assert_eq!(t["channels"][0]["budget_used"], json("0.001"));
    assert_eq!(t["campaigns"][0]["spend"], 500);
    assert!(t.get("regions").is_none());
    assert!(
        t["totals"].get("budget_used").is_none(),
        "no sale budget: absent"
    );
}
