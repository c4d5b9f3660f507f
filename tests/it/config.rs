//! docs/api.md, Config: the config file and CSV catalogs; bad config names file,
//! line and reason, and `warroom check-config` exits non-zero with it.

use std::path::Path;
use std::process::Command;

use warroom::config::{self, ConfigError};

use crate::support::{SALE_TOML, START};

fn parse(text: &str) -> Result<warroom::config::Config, ConfigError> {
    config::parse_str(text, "sale.toml", Path::new("."))
}

/// The line of `needle` in `text`, 1-based.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle present")
        + 1
}

#[test]
fn the_example_config_is_read_exactly() {
    let cfg = parse(SALE_TOML).expect("valid");
    assert_eq!(cfg.sale.starts_ms, START);
    assert_eq!(cfg.sale.ends_ms, START + 86_400_000);
    assert_eq!(cfg.sale.target, Some(100_000_000));
    assert_eq!(cfg.sale.profit_target, Some(10_000_000));
    assert_eq!(
        cfg.channels[1].target,
        Some(30_000_000),
        "float 300000.00 is exact"
    );
    assert_eq!(cfg.skus[0].cost, Some(6000));
    assert_eq!(cfg.skus[0].stock, Some(100));
    assert_eq!(cfg.server.tick_ms, 250);
    assert!((cfg.sale.plan.share_at(0.04) - 0.30).abs() < 1e-12);
}

#[test]
fn bad_configs_name_the_line_and_the_reason() {
    let cases: Vec<(String, &str, &str)> = vec![
        (
            SALE_TOML.replace(
                "name = \"Test Sale 测试\"",
                "name = \"x\"\ncolour = \"red\"",
            ),
            "colour",
            "unknown field",
        ),
        (
            SALE_TOML.replace("2026-11-11T00:00:00+08:00", "2026-13-45T00:00:00"),
            "starts =",
            "sale.starts",
        ),
        (
            SALE_TOML.replace(
                "ends = \"2026-11-12T00:00:00+08:00\"",
                "ends = \"2026-11-10T00:00:00+08:00\"",
            ),
            "ends =",
            "must be after",
        ),
        (
            SALE_TOML.replace("target = \"300000\"", "target = \"-300000\""),
            "target = \"-300000\"",
            "must not be negative",
        ),
        (
            SALE_TOML.replace("target = \"600000\"", "target = \"6.005\""),
            "target = \"6.005\"",
            "at most 2 decimals",
        ),
        (
            SALE_TOML.replace("id = \"s2\"", "id = \"s1\""),
            "id = \"s1\"\nname = \"京东自营\"",
            "duplicate store id \"s1\"",
        ),
        (
            SALE_TOML.replace("currency = \"CNY\"", "currency = \"yuan\""),
            "currency =",
            "ISO 4217",
        ),
        (
            SALE_TOML.replace(
                "timezone = \"Asia/Shanghai\"",
                "timezone = \"Mars/Olympus\"",
            ),
            "timezone =",
            "unknown time zone",
        ),
        (
            SALE_TOML.replace("stock = 100", "stock = -5"),
            "stock = -5",
            "must not be negative",
        ),
        (
            SALE_TOML.replace("[0.04, 0.30]", "[0.04, 0.30], [0.03, 0.5]"),
            "plan =",
            "strictly increase",
        ),
        (
            SALE_TOML.replace("stock = 1000", "stock = \"lots\""),
            "stock = \"lots\"",
            "whole number",
        ),
        (
            format!("{SALE_TOML}\n[server]\ntick_ms = 5\n"),
            "tick_ms = 5",
            "tick_ms",
        ),
        (
            format!("{SALE_TOML}\n[storage]\nfsync = \"sometimes\"\n"),
            "fsync =",
            "always",
        ),
        (
            SALE_TOML.replace("[[skus]]\nid = \"k2\"", "[[skus]]\nid = \"k2\"\nid2 = 1"),
            "id2",
            "unknown field",
        ),
        (
            SALE_TOML.replace("target = \"1000000\"", "target = [1]"),
            "target = [1]",
            "must be an amount",
        ),
    ];
    for (text, at, reason) in cases {
        let needle = at.lines().next().unwrap_or(at);
        let err = parse(&text).expect_err(reason);
        // For a duplicate, the *second* occurrence is the one to name.
        let want_line = if reason.starts_with("duplicate") {
            text.lines()
                .enumerate()
                .filter(|(_, l)| l.contains(needle))
                .map(|(i, _)| i + 1)
                .nth(1)
                .expect("second")
        } else {
            line_of(&text, needle)
        };
        assert_eq!(err.file, "sale.toml");
        assert_eq!(err.line, Some(want_line), "{reason}: {err}");
        assert!(err.message.contains(reason), "wanted {reason:?} in {err}");
        assert!(
            err.to_string()
                .starts_with(&format!("sale.toml:{want_line}: "))
        );
    }
}

#[test]
fn missing_sale_fields_are_named() {
    let err = parse("[sale]\nname = \"x\"\n").expect_err("incomplete");
    assert!(err.message.contains("missing field"), "{err}");
    let err = parse("").expect_err("empty");
    assert!(err.message.contains("sale"), "{err}");
}

#[test]
fn csv_catalogs_load_thousands_of_rows_and_refuse_bad_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut skus = String::from("\u{feff}id,name,stock,target_units,cost,low_stock\n");
    for i in 0..5_000 {
        skus.push_str(&format!(
            "c{i:05},\"商品 {i}, 大号\",{},{},{}.50,\n",
            100 + i,
            10 + i,
            i % 90
        ));
    }
    std::fs::write(dir.path().join("skus.csv"), &skus).expect("write skus");
    std::fs::write(
        dir.path().join("stores.csv"),
        "id,name,channel,target\nc1,城市店,tmall,1000.5\n",
    )
    .expect("write stores");
    let toml = format!("{SALE_TOML}\n[catalog]\nskus = \"skus.csv\"\nstores = \"stores.csv\"\n");
    let path = dir.path().join("sale.toml");
    std::fs::write(&path, &toml).expect("write toml");
    let cfg = config::load_file(&path).expect("catalogs load");
    assert_eq!(cfg.skus.len(), 2 + 5_000);
    let c42 = cfg.skus.iter().find(|k| k.id == "c00042").expect("c00042");
    assert_eq!(
        (c42.name.as_str(), c42.stock, c42.cost, c42.low_stock),
        ("商品 42, 大号", Some(142), Some(4250), None)
    );
    assert_eq!(
        cfg.stores
            .iter()
            .find(|s| s.id == "c1")
            .and_then(|s| s.target),
        Some(100_050)
    );

    // A bad cell names the CSV file and its line.
    skus.push_str("bad,坏,-1,,,\n");
    std::fs::write(dir.path().join("skus.csv"), &skus).expect("write skus");
    let err = config::load_file(&path).expect_err("bad row");
    assert!(err.file.ends_with("skus.csv"), "{err}");
    assert_eq!(err.line, Some(5_002));
    assert!(err.message.contains("column stock"), "{err}");

    // An id defined in both the TOML and a catalog is a duplicate.
    std::fs::write(dir.path().join("stores.csv"), "id,name\ns1,again\n").expect("write stores");
    std::fs::write(dir.path().join("skus.csv"), "id\nz1\n").expect("write skus");
    let err = config::load_file(&path).expect_err("duplicate");
    assert!(err.message.contains("duplicate store id \"s1\""), "{err}");
    assert_eq!(err.line, Some(2));

    std::fs::write(dir.path().join("stores.csv"), "id,colour\nq,red\n").expect("write stores");
    let err = config::load_file(&path).expect_err("unknown column");
    assert!(err.message.contains("unknown column \"colour\""), "{err}");
}

#[test]
fn check_config_command_exits_non_zero_with_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.toml");
    std::fs::write(&good, SALE_TOML).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["check-config", good.to_str().expect("utf-8 path")])
        .output()
        .expect("run warroom");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok"));

    let bad = dir.path().join("bad.toml");
    let text = SALE_TOML.replace("stock = 100", "stock = -1");
    std::fs::write(&bad, &text).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["check-config", bad.to_str().expect("utf-8 path")])
        .output()
        .expect("run warroom");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = line_of(&text, "stock = -1");
    assert!(
        stderr.contains(&format!("bad.toml:{line}: stock: must not be negative")),
        "{stderr}"
    );
}

#[test]
fn the_shipped_example_config_and_events_work() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let cfg = config::load_file(&dir.join("sale.toml")).expect("example config");
    assert_eq!(
        (cfg.channels.len(), cfg.stores.len(), cfg.skus.len()),
        (2, 4, 4)
    );
    let k3 = cfg
        .skus
        .iter()
        .find(|k| k.id == "k000003")
        .expect("k000003");
    assert_eq!((k3.name.as_str(), k3.cost), ("坚果礼盒, 大号", Some(6050)));

    let (ingest, _clock) = crate::support::ingest_with(cfg, START + 3_600_000);
    let body = std::fs::read(dir.join("events.ndjson")).expect("events");
    let reply = ingest
        .submit(&body, Some("application/x-ndjson"))
        .expect("readable")
        .reply;
    assert_eq!(
        (reply.accepted, reply.duplicates, reply.rejected),
        (4, 1, 1),
        "{reply:?}"
    );
    assert_eq!(reply.errors[0].line, 6);
    assert!(reply.errors[0].error.starts_with("items[0].qty"));
    let (gmv, refunds, left) = ingest.engine().read(|st, _| {
        let k = &st.skus[st.sku_index("k000042").expect("k000042")];
        (st.sale.counters.gmv, st.sale.counters.refunds, k.stock_left)
    });
    assert_eq!(
        (gmv, refunds, left),
        (19_900 + 89_900 + 38_400, 9_950, 4_998)
    );
}

/// `file:line: message`, exactly, for a config that `parse` refuses.
fn refused(text: &str) -> String {
    parse(text).expect_err("refused").to_string()
}

#[test]
fn made_up_currencies_empty_names_and_empty_auth_are_refused_at_their_line() {
    let text = SALE_TOML.replace("currency = \"CNY\"", "currency = \"XYZ\"");
    assert_eq!(
        refused(&text),
        format!(
            "sale.toml:{}: sale.currency: \"XYZ\" is not an ISO 4217 currency code (such as \"CNY\", \"USD\", \"JPY\")",
            line_of(&text, "currency =")
        )
    );
    for name in ["\"\"", "\"   \""] {
        let text = SALE_TOML.replace("name = \"Test Sale 测试\"", &format!("name = {name}"));
        assert_eq!(
            refused(&text),
            format!(
                "sale.toml:{}: sale.name: must not be empty",
                line_of(&text, "name = ")
            )
        );
    }
    let text = format!("{SALE_TOML}\n[auth]\n\n[storage]\nfsync = \"always\"\n");
    assert_eq!(
        refused(&text),
        format!(
            "sale.toml:{}: [auth] lists no tokens: remove it, or add ingest, view or admin tokens",
            line_of(&text, "[auth]")
        )
    );
}

#[test]
fn local_times_in_a_dst_gap_or_overlap_say_so() {
    let zoned = SALE_TOML.replace("Asia/Shanghai", "America/New_York");
    // 2026-03-08 02:00 → 03:00 in New York: 02:30 never happens.
    let text = zoned.replace(
        "starts = \"2026-11-11T00:00:00+08:00\"",
        "starts = \"2026-03-08T02:30:00\"",
    );
    assert_eq!(
        refused(&text),
        format!(
            "sale.toml:{}: sale.starts: \"2026-03-08T02:30:00\" falls in a DST gap in America/New_York (the clocks jump over it): pick another time or give an offset",
            line_of(&text, "starts =")
        )
    );
    // 2026-11-01 02:00 → 01:00: 01:30 happens twice.
    let text = zoned
        .replace(
            "ends = \"2026-11-12T00:00:00+08:00\"",
            "ends = \"2026-11-01T01:30:00\"",
        )
        .replace("2026-11-11T00:00:00+08:00", "2026-10-31T00:00:00-04:00");
    assert_eq!(
        refused(&text),
        format!(
            "sale.toml:{}: sale.ends: \"2026-11-01T01:30:00\" happens twice in America/New_York (the clocks go back): give an offset, -04:00 or -05:00",
            line_of(&text, "ends =")
        )
    );
    // Outside the gap, a local time is read in the sale's zone.
    let text = zoned
        .replace(
            "starts = \"2026-11-11T00:00:00+08:00\"",
            "starts = \"2026-03-08T03:30:00\"",
        )
        .replace("2026-11-12T00:00:00+08:00", "2026-03-09T00:00:00-04:00");
    let cfg = parse(&text).expect("valid");
    assert_eq!(cfg.sale.starts_ms, 1_772_955_000_000);
}

#[test]
fn a_catalog_column_named_twice_is_refused_at_its_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sale.toml");
    let toml = format!("{SALE_TOML}\n[catalog]\nstores = \"stores.csv\"\n");
    std::fs::write(&path, toml).expect("write toml");
    let stores = dir.path().join("stores.csv");
    for (csv, want) in [
        (
            "id,id\ns9,s10\n",
            "1: column 2: duplicate column \"id\" (also column 1)",
        ),
        (
            "\u{feff}id,name,channel, name\ns9,a,tmall,b\n",
            "1: column 4: duplicate column \"name\" (also column 2)",
        ),
        (
            "\n\nid,target,target\ns9,1,2\n",
            "3: column 3: duplicate column \"target\" (also column 2)",
        ),
    ] {
        std::fs::write(&stores, csv).expect("write stores");
        let err = config::load_file(&path).expect_err("duplicate column");
        assert_eq!(
            err.to_string(),
            format!("{}:{want}", stores.display()),
            "{csv:?}"
        );
    }
}

#[test]
fn a_dead_letter_subject_under_the_source_is_refused_at_its_line() {
    let cluster = "\n[cluster]\nnats = [\"nats://127.0.0.1:4222\"]\nsource = \"orders.>\"\n";
    let text = format!("{SALE_TOML}{cluster}dead_letter = \"orders.rejected\"\n");
    assert_eq!(
        refused(&text),
        format!(
            "sale.toml:{}: cluster.dead_letter: the dead-letter subject \"orders.rejected\" falls under cluster.source \"orders.>\", so dead letters would be read back; set cluster.dead_letter to a subject outside it",
            line_of(&text, "dead_letter =")
        )
    );
    // The default (`rejected.` and the source without wildcards) can fall
    // under a source that starts with a wildcard: named at the source.
    let text = format!("{SALE_TOML}{}", cluster.replace("orders.>", "*.orders"));
    let e = refused(&text);
    assert!(
        e.starts_with(&format!("sale.toml:{}:", line_of(&text, "source ="))),
        "{e}"
    );
    assert!(e.contains("\"rejected.orders\""), "{e}");
    let ok = format!("{SALE_TOML}{cluster}dead_letter = \"orders_rejected.x\"\n");
    let cfg = parse(&ok).expect("a dead-letter subject outside the source");
    let c = cfg.cluster.expect("cluster");
    assert_eq!(
        c.dead_letter_subject().as_deref(),
        Some("orders_rejected.x")
    );
}

/// A campaign's or a store's `channel` follows the id rules: `""` would
/// make a channel no event can name, listed with a blank name.
#[test]
fn an_empty_channel_of_a_campaign_or_a_store_is_refused() {
    let campaign = format!("{SALE_TOML}\n[[campaigns]]\nid = \"直通车\"\nchannel = \"\"\n");
    let store = SALE_TOML.replacen("channel = \"tmall\"", "channel = \"\"", 1);
    for (text, what) in [(campaign, "campaign"), (store, "store")] {
        let err = parse(&text).expect_err(what).to_string();
        assert!(
            err.contains(&format!("{what} channel: must be 1 to 128 characters")),
            "{err}"
        );
    }
}
