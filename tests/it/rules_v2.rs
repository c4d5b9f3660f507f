//! docs/api.md, Events: the rules of the `traffic` and `spend` kinds and of
//! an order's `region` and `campaign`: one bad line each, rejected alone
//! with the field named, while the good lines around it land; the caps on
//! regions and campaigns first seen; idempotency per type.

use std::path::Path;

use warroom::config;

use crate::support::{MIN, START, ingest_at, ingest_with, post};

const GOOD_A: &str =
    r#"{"type":"traffic","id":"TA","ts":1794326401000,"store":"s1","visitors":10}"#;
const GOOD_B: &str =
    r#"{"type":"spend","id":"SB","ts":1794326402000,"channel":"tmall","amount":"5.50"}"#;

fn traffic(fields: &str) -> String {
    format!(r#"{{"type":"traffic","id":"X","ts":1794326403000,{fields}}}"#)
}

fn spend(fields: &str) -> String {
    format!(r#"{{"type":"spend","id":"X","ts":1794326403000,{fields}}}"#)
}

fn order(fields: &str) -> String {
    format!(
        r#"{{"type":"order","id":"X","ts":1794326403000,"store":"s1","items":[{{"sku":"k1","qty":1,"price":1}}],{fields}}}"#
    )
}

#[test]
fn each_bad_line_is_rejected_alone_with_its_field_named() {
    let long = "x".repeat(129);
    let region65 = "区".repeat(65);
    let cases: Vec<(String, &str)> = vec![
        (
            r#"{"type":"visit","id":"X"}"#.into(),
            "type: must be \"order\", \"refund\", \"stock\", \"traffic\" or \"spend\"",
        ),
        (
            r#"{"id":"X","visitors":1}"#.into(),
            "type: required (order, refund, stock, traffic or spend)",
        ),
        (
            traffic(r#""store":"s1""#),
            "visitors: required for traffic events",
        ),
        (
            traffic(r#""visitors":null"#),
            "visitors: required for traffic events",
        ),
        (
            traffic(r#""visitors":-1"#),
            "visitors: must be an integer from 0 to 1000000000000",
        ),
        (
            traffic(r#""visitors":1.5"#),
            "visitors: must be an integer from 0",
        ),
        (
            traffic(r#""visitors":"12""#),
            "visitors: must be an integer from 0",
        ),
        (
            traffic(r#""visitors":1000000000001"#),
            "visitors: must be an integer from 0",
        ),
        (
            traffic(r#""visitors":1e400"#),
            "visitors: must be an integer from 0",
        ),
        (
            traffic(r#""visitors":1,"page_views":-5"#),
            "page_views: must be an integer from 0",
        ),
        (
            traffic(r#""visitors":1,"page_views":true"#),
            "page_views: must be an integer from 0",
        ),
        (
            traffic(r#""visitors":1,"store":"""#),
            "store: must be 1 to 128",
        ),
        (
            traffic(&format!(r#""visitors":1,"channel":"{long}""#)),
            "channel: must be 1 to 128",
        ),
        (
            traffic(r#""visitors":1,"sku":[1]"#),
            "sku: must be a string",
        ),
        (r#"{"type":"traffic","visitors":1}"#.into(), "id: required"),
        (
            spend(r#""channel":"tmall""#),
            "amount: required for spend events",
        ),
        (
            spend(r#""amount":null"#),
            "amount: required for spend events",
        ),
        (spend(r#""amount":-3"#), "amount: must not be negative"),
        (
            spend(r#""amount":"1.001""#),
            "amount: must have at most 2 decimals",
        ),
        (
            spend(r#""amount":10000000000"#),
            "amount: must be less than 10000000000",
        ),
        (spend(r#""amount":"lots""#), "amount: must be a number"),
        (
            spend(r#""amount":1,"campaign":"""#),
            "campaign: must be 1 to 128",
        ),
        (
            spend(&format!(r#""amount":1,"campaign":"{long}""#)),
            "campaign: must be 1 to 128",
        ),
        (
            spend(r#""amount":1,"campaign":{"name":"x"}"#),
            "campaign: must be a string",
        ),
        (
            spend(r#""amount":1,"store":7.5"#),
            "store: must be a string",
        ),
        (r#"{"type":"spend","amount":1}"#.into(), "id: required"),
        (
            order(r#""region":31"#),
            "region: must be a string of 1 to 64 characters",
        ),
        (
            order(r#""region":["31"]"#),
            "region: must be a string of 1 to 64 characters",
        ),
        (
            order(r#""region":{"code":"31"}"#),
            "region: must be a string of 1 to 64 characters",
        ),
        (
            order(r#""region":"""#),
            "region: must be 1 to 64 characters, got 0",
        ),
        (
            order(r#""region":"   ""#),
            "region: must be 1 to 64 characters, got 0",
        ),
        (
            order(&format!(r#""region":"{region65}""#)),
            "region: must be 1 to 64 characters, got 65",
        ),
        (
            order(r#""region":1e400"#),
            "region: must be a string of 1 to 64 characters",
        ),
        (order(r#""campaign":"""#), "campaign: must be 1 to 128"),
        (
            order(&format!(r#""campaign":"{long}""#)),
            "campaign: must be 1 to 128",
        ),
        (order(r#""campaign":false"#), "campaign: must be a string"),
    ];
    for (bad, want) in cases {
        let (ingest, _clock) = ingest_at(START + 3_600_000);
        let body = format!("{GOOD_A}\n{bad}\n{GOOD_B}\n");
        let reply = post(&ingest, &body);
        assert_eq!(
            (reply.accepted, reply.rejected),
            (2, 1),
            "line {bad:.120} → {reply:?}"
        );
        assert_eq!(reply.errors[0].line, 2);
        assert!(
            reply.errors[0].error.starts_with(want),
            "line {bad:.120}\n  wanted {want:?}\n  got    {:?}",
            reply.errors[0].error
        );
        let (visitors, spent) = ingest
            .engine()
            .read(|st, _| (st.sale.reach.visitors, st.sale.reach.spend));
        assert_eq!(
            (visitors, spent),
            (10, 550),
            "good lines applied around {bad:.80}"
        );
    }
}

#[test]
fn absent_null_and_other_kinds_fields_are_as_documented() {
    let (ingest, _clock) = ingest_at(START + 3_600_000);
    let body = [
        // `null` counts as absent; page views default to 0.
        traffic(r#""visitors":3,"page_views":null,"store":null,"sku":null"#),
        // A field of another kind is ignored, as unknown fields are.
        r#"{"type":"order","id":"O","ts":1794326403000,"store":"s1","visitors":999,"amount":5,"items":[{"sku":"k1","qty":1,"price":1}]}"#.into(),
        r#"{"type":"refund","id":"R","ts":1794326403000,"store":"s1","region":7,"campaign":{},"items":[{"sku":"k1","qty":1,"price":1}]}"#.into(),
        spend(r#""amount":0,"campaign":12"#),
        order(r#""region":null,"campaign":null,"id":"O2""#).replacen(r#""id":"X","#, "", 1),
    ]
    .join("\n");
    let r = post(&ingest, &body);
    assert_eq!((r.accepted, r.rejected), (5, 0), "{r:?}");
    ingest.engine().read(|st, _| {
        assert_eq!((st.sale.reach.visitors, st.sale.reach.page_views), (3, 0));
        assert_eq!(st.sale.reach.spend, 0);
        assert!(st.regions.is_empty(), "a refund's region is not read");
        assert_eq!(
            st.campaigns.len(),
            1,
            "a numeric campaign is an id, as ids are"
        );
        assert_eq!(&*st.campaigns[0].id, "12");
    });
}

#[test]
fn a_key_given_twice_rejects_the_line_naming_it() {
    let (ingest, _clock) = ingest_at(START + 3_600_000);
    let cases = [
        (
            traffic(r#""visitors":1,"visitors":9000"#),
            "visitors: duplicate key",
        ),
        (
            traffic(r#""visitors":1,"page_views":1,"page_views":2"#),
            "page_views: duplicate key",
        ),
        (
            spend(r#""amount":1,"amount":100000"#),
            "amount: duplicate key",
        ),
        (
            spend(r#""amount":1,"campaign":"a","campaign":"b""#),
            "campaign: duplicate key",
        ),
        (
            order(r#""region":"31","region":"44""#),
            "region: duplicate key",
        ),
    ];
    for (line, want) in cases {
        let reply = post(&ingest, &line);
        assert_eq!(reply.rejected, 1, "{line}");
        assert!(
            reply.errors[0].error.starts_with(want),
            "{:?}",
            reply.errors
        );
    }
    assert_eq!(ingest.engine().read(|st, _| st.events_applied), 0);
}

#[test]
fn a_resent_traffic_or_spend_line_counts_once_and_keys_are_per_type() {
    let (ingest, _clock) = ingest_at(START + 3_600_000);
    let t = r#"{"type":"traffic","id":"E1","ts":1794326401000,"visitors":100}"#;
    let s = r#"{"type":"spend","id":"E1","ts":1794326401000,"amount":"10"}"#;
    let o = r#"{"type":"order","id":"E1","ts":1794326401000,"store":"s1","items":[{"sku":"k1","qty":1,"price":1}]}"#;
    let r = post(&ingest, &[t, s, o, t, s].join("\n"));
    assert_eq!((r.accepted, r.duplicates), (3, 2), "{r:?}");
    let r = post(&ingest, &[s, t].join("\n"));
    assert_eq!((r.accepted, r.duplicates), (0, 2), "{r:?}");
    let got = ingest.engine().read(|st, _| {
        (
            st.sale.reach.visitors,
            st.sale.reach.spend,
            st.sale.counters.orders,
        )
    });
    assert_eq!(got, (100, 1000, 1));
}

fn capped(regions: u32, campaigns: u32) -> config::Config {
    let text = format!(
        "{}\n[server]\nmax_unlisted_regions = {regions}\nmax_unlisted_campaigns = {campaigns}\n",
        crate::support::SALE_TOML
    );
    config::parse_str(&text, "sale.toml", Path::new(".")).expect("config")
}

fn regional(id: &str, region: &str, campaign: Option<&str>) -> String {
    let campaign = campaign.map_or(String::new(), |c| format!(r#","campaign":"{c}""#));
    format!(
        r#"{{"type":"order","id":"{id}","ts":{},"store":"s1","region":"{region}"{campaign},"items":[{{"sku":"k1","qty":1,"price":1}}]}}"#,
        START + MIN
    )
}

#[test]
fn regions_and_campaigns_first_seen_are_capped() {
    let (ingest, _clock) = ingest_with(capped(1, 2), START + 2 * MIN);
    let body = [
        regional("a", "Singapore", None),
        regional("b", "US", None),
        // China's divisions never count against the cap, by code or name.
        regional("c", "31", None),
        regional("d", "广东省", None),
        regional("e", "Zhejiang", None),
        regional("f", "Singapore", Some("c1")),
        regional("g", "31", Some("c2")),
        regional("h", "31", Some("c3")),
        format!(
            r#"{{"type":"spend","id":"s","ts":{},"campaign":"c4","amount":1}}"#,
            START + MIN
        ),
    ]
    .join("\n");
    let r = post(&ingest, &body);
    assert_eq!((r.accepted, r.rejected), (6, 3), "{r:?}");
    assert_eq!(r.errors[0].line, 2);
    assert_eq!(
        r.errors[0].error,
        "region: new region \"US\" refused: the sale may hold at most 1 regions not in the config (server.max_unlisted_regions)"
    );
    assert_eq!(r.errors[1].line, 8);
    assert!(
        r.errors[1]
            .error
            .starts_with("campaign: new campaign \"c3\" refused"),
        "{r:?}"
    );
    assert_eq!(r.errors[2].line, 9);
    let (regions, campaigns) = ingest
        .engine()
        .read(|st, _| (st.regions.len(), st.campaigns.len()));
    assert_eq!((regions, campaigns), (4, 2));
}

#[test]
fn budgets_and_campaigns_are_read_from_the_config_and_its_catalog() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("campaigns.csv"),
        "id,channel,budget\n直通车,tmall,\"50,000\"\n京准通,jd,20000.50\n万相台,tmall,\n",
    )
    .expect("write");
    let text = format!(
        "{}\n[catalog]\ncampaigns = \"campaigns.csv\"\n\n[[campaigns]]\nid = \"巨量千川\"\nchannel = \"douyin\"\nbudget = \"8000\"\n",
        crate::support::SALE_TOML
            .replace("plan = ", "budget = \"100000\"\nplan = ")
            .replace("target = \"600000\"", "target = \"600000\"\nbudget = 60000"),
    );
    let err = config::parse_str(&text, "sale.toml", dir.path()).expect_err("bad money");
    assert!(
        err.to_string().contains("campaigns.csv:2: column budget"),
        "{err}"
    );
    assert!(err.to_string().contains("column budget"), "{err}");

    std::fs::write(
        dir.path().join("campaigns.csv"),
        "id,channel,budget\n直通车,tmall,50000\n京准通,jd,20000.50\n万相台,tmall,\n",
    )
    .expect("write");
    let cfg = config::parse_str(&text, "sale.toml", dir.path()).expect("valid");
    assert_eq!(cfg.sale.budget, Some(10_000_000));
    assert_eq!(cfg.channels[0].budget, Some(6_000_000));
    assert_eq!(cfg.channels[1].budget, None);
    let c: Vec<_> = cfg
        .campaigns
        .iter()
        .map(|c| (c.id.as_str(), c.channel.as_deref(), c.budget))
        .collect();
    assert_eq!(
        c,
        [
            ("巨量千川", Some("douyin"), Some(800_000)),
            ("直通车", Some("tmall"), Some(5_000_000)),
            ("京准通", Some("jd"), Some(2_000_050)),
            ("万相台", Some("tmall"), None),
        ]
    );
    // Configured campaigns exist from the start, with their channel.
    let (ingest, _clock) = ingest_with(cfg, START + MIN);
    ingest.engine().read(|st, _| {
        assert_eq!(st.campaigns.len(), 4);
        let dy = st
            .channel_index("douyin")
            .expect("a campaign's channel is created");
        assert_eq!(st.campaigns[0].channel, Some(dy as u32));
    });

    for (bad, want) in [
        (
            "id,channel,budget,owner\nx,tmall,1\n",
            "unknown column \"owner\"",
        ),
        ("id,channel,budget\nx,tmall,1\nx,jd,2\n", "campaign"),
        ("id,channel,budget\nx,tmall,-1\n", "column budget"),
    ] {
        std::fs::write(dir.path().join("campaigns.csv"), bad).expect("write");
        let err = config::parse_str(&text, "sale.toml", dir.path()).expect_err(bad);
        assert!(err.to_string().contains(want), "{bad}: {err}");
    }
    let twice = format!("{text}\n[[campaigns]]\nid = \"巨量千川\"\n");
    let err = config::parse_str(&twice, "sale.toml", dir.path()).expect_err("twice");
    assert!(err.to_string().contains("巨量千川"), "{err}");
    let bad_budget = text.replace("budget = \"8000\"", "budget = \"8000.001\"");
    let err = config::parse_str(&bad_budget, "sale.toml", dir.path()).expect_err("budget");
    assert!(err.to_string().contains("budget"), "{err}");
}

#[test]
fn region_and_campaign_caps_have_bounds() {
    for (key, max) in [
        ("max_unlisted_regions", 100_000),
        ("max_unlisted_campaigns", 1_000_000),
    ] {
        let text = format!(
            "{}\n[server]\n{key} = {}\n",
            crate::support::SALE_TOML,
            max + 1
        );
        let err = config::parse_str(&text, "sale.toml", Path::new(".")).expect_err(key);
        assert!(err.to_string().contains(key), "{err}");
        let text = format!("{}\n[server]\n{key} = {max}\n", crate::support::SALE_TOML);
        config::parse_str(&text, "sale.toml", Path::new(".")).expect(key);
    }
}
