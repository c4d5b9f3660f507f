//! One node's figures against the ledger: a row per figure with the range
//! the ledger allows (see `check` for the slack), and the table printed.
//!
//! Totals print one a line. Region and campaign figures print summed, one
//! line per figure with the number of regions or campaigns behind it, and
//! any one of them that differs on a line of its own, so a 38-region run
//! still fits a screen and a wrong region is named.

use serde_json::Value;
use warroom::sim::{Places, Slot};

use crate::reading::Reading;
use crate::template::Expected;

/// Figures of one region or campaign belong to a `group`, printed summed.
pub struct Row {
    pub name: String,
    pub group: Option<&'static str>,
    pub got: i64,
    pub low: i64,
    pub high: i64,
}

impl Row {
    pub fn ok(&self) -> bool {
        (self.low..=self.high).contains(&self.got)
    }
}

pub fn rows(before: &Reading, after: &Reading, e: &Expected, s: &Expected) -> Vec<Row> {
    let delta = |path: &[&str]| {
        let get = |v: &Value| path.iter().fold(v, |v, k| &v[*k]).as_i64().unwrap_or(0);
        get(&after.summary) - get(&before.summary)
    };
    let figures: [(&str, &[&str], i64, i64); 11] = [
        (
            "events applied",
            &["events_applied"],
            e.events as i64,
            s.events as i64,
        ),
        (
            "duplicates",
            &["duplicates"],
            e.duplicates as i64,
            s.duplicates as i64,
        ),
        (
            "orders",
            &["totals", "orders"],
            e.orders as i64,
            s.orders as i64,
        ),
        ("GMV (minor units)", &["totals", "gmv"], e.gmv, s.gmv),
        (
            "units",
            &["totals", "units"],
            e.units as i64,
            s.units as i64,
        ),
        (
            "refunds",
            &["totals", "refund_count"],
            e.refund_count as i64,
            s.refund_count as i64,
        ),
        (
            "refunded (minor units)",
            &["totals", "refunds"],
            e.refunds,
            s.refunds,
        ),
        (
            "refunded units",
            &["totals", "refund_units"],
            e.refund_units as i64,
            s.refund_units as i64,
        ),
        (
            "visitors",
            &["totals", "visitors"],
            e.visitors as i64,
            s.visitors as i64,
        ),
        (
            "page views",
            &["totals", "page_views"],
            e.page_views as i64,
            s.page_views as i64,
        ),
        (
            "spend (minor units)",
            &["totals", "spend"],
            e.spend,
            s.spend,
        ),
    ];
    let mut out: Vec<Row> = figures
        .into_iter()
        .map(|(name, path, want, slack)| Row {
            name: name.to_string(),
            group: None,
            got: delta(path),
            low: want,
            high: want + slack,
        })
        .collect();
    if let (Some(b), Some(a)) = (&before.places, &after.places) {
        place_rows(&mut out, b, a, e, s);
    }
    out
}

/// A row per region and campaign figure the run or the server moved.
fn place_rows(out: &mut Vec<Row>, b: &Places, a: &Places, e: &Expected, s: &Expected) {
    type Figure = (&'static str, fn(&Slot) -> i64);
    const REGION: [Figure; 2] = [
        ("region orders", |s| s.orders as i64),
        ("region GMV", |s| s.gmv),
    ];
    const CAMPAIGN: [Figure; 3] = [
        ("campaign orders", |s| s.orders as i64),
        ("campaign GMV", |s| s.gmv),
        ("campaign spend", |s| s.spend),
    ];
    let zipped = |f: fn(&Places) -> Vec<(&'static str, Slot)>| {
        let (b, a, e, s) = (f(b), f(a), f(&e.places), f(&s.places));
        (0..b.len())
            .map(|i| (b[i].0, b[i].1, a[i].1, e[i].1, s[i].1))
            .collect::<Vec<_>>()
    };
    let regions = zipped(|p| p.regions().map(|(id, s)| (id, *s)).collect());
    let campaigns = zipped(|p| p.campaigns().map(|(id, s)| (id, *s)).collect());
    for (figures, slots) in [(&REGION[..], &regions), (&CAMPAIGN[..], &campaigns)] {
        for &(group, get) in figures {
            for &(id, b, a, e, s) in slots {
                let got = get(&a) - get(&b);
                if got == 0 && get(&e) == 0 {
                    continue;
                }
                out.push(Row {
                    name: id.to_string(),
                    group: Some(group),
                    got,
                    low: get(&e),
                    high: get(&e) + get(&s),
                });
            }
        }
    }
}

fn range(low: i64, high: i64) -> String {
    if high == low {
        low.to_string()
    } else {
        format!("{low}..{high}")
    }
}

fn line(name: &str, got: i64, low: i64, high: i64, ok: bool) {
    let verdict = if ok { "ok" } else { "DIFFERENT" };
    println!("{name:<22}{got:>16} {:>16}  {verdict}", range(low, high));
}

/// Prints each figure's change against the ledger: totals one a line,
/// each region or campaign figure summed on one line with the regions or
/// campaigns behind it, and any of them that differs on its own line.
pub fn print(rows: &[Row]) {
    println!();
    println!("check                 {:>16} {:>16}", "server", "sent");
    for r in rows.iter().filter(|r| r.group.is_none()) {
        line(&r.name, r.got, r.low, r.high, r.ok());
    }
    let mut groups: Vec<&'static str> = rows.iter().filter_map(|r| r.group).collect();
    groups.dedup();
    for g in groups {
        let of: Vec<&Row> = rows.iter().filter(|r| r.group == Some(g)).collect();
        let sum = |f: fn(&Row) -> i64| of.iter().map(|r| f(r)).sum::<i64>();
        let name = format!("{g} ({})", of.len());
        line(
            &name,
            sum(|r| r.got),
            sum(|r| r.low),
            sum(|r| r.high),
            of.iter().all(|r| r.ok()),
        );
        for r in of.iter().filter(|r| !r.ok()) {
            line(&format!("  {}", r.name), r.got, r.low, r.high, false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::tests::summary_of;
    use serde_json::json;

    #[test]
    fn every_region_and_campaign_is_compared() {
        use crate::reading::to_places;
        let regions = |rows: serde_json::Value| json!({ "regions": rows });
        let campaigns = |rows: serde_json::Value| json!({ "campaigns": rows });
        let at = |r: serde_json::Value, c: serde_json::Value| Reading {
            places: Some(to_places(&regions(r), &campaigns(c))),
            ..summary_of(0, 0, 0, 0)
        };
        let before = at(
            json!([{"id": "31", "orders": 1, "gmv": 100}, {"id": "火星", "orders": 9, "gmv": 9}]),
            json!([{"id": "直通车", "orders": 1, "gmv": 100, "spend": 50}]),
        );
        let mut e = Expected::default();
        e.places.regions[8] = Slot {
            orders: 2,
            gmv: 300,
            spend: 0,
        }; // 31 (上海)
        e.places.regions[34] = Slot {
            orders: 1,
            gmv: 50,
            spend: 0,
        }; // Singapore
        e.places.campaigns[0] = Slot {
            orders: 1,
            gmv: 200,
            spend: 70,
        };
        let exact = at(
            json!([{"id": "31", "orders": 3, "gmv": 400}, {"id": "Singapore", "orders": 1, "gmv": 50},
                   {"id": "火星", "orders": 20, "gmv": 20}]),
            json!([{"id": "直通车", "orders": 2, "gmv": 300, "spend": 120}, {"id": "mine", "spend": 5}]),
        );
        let none = Expected::default();
        let r = rows(&before, &exact, &e, &none);
        assert!(r.iter().all(Row::ok));
        assert_eq!(
            r.iter().filter(|r| r.group == Some("region GMV")).count(),
            2
        );
        let moved = at(
            json!([{"id": "31", "orders": 2, "gmv": 300}, {"id": "32", "orders": 1, "gmv": 100},
                   {"id": "Singapore", "orders": 1, "gmv": 50}]),
            json!([{"id": "直通车", "orders": 2, "gmv": 300, "spend": 119}]),
        );
        let bad: Vec<(String, Option<&str>)> = rows(&before, &moved, &e, &none)
            .into_iter()
            .filter(|r| !r.ok())
            .map(|r| (r.name, r.group))
            .collect();
        let want = [
            ("31", "region orders"),
            ("32", "region orders"),
            ("31", "region GMV"),
            ("32", "region GMV"),
            ("直通车", "campaign spend"),
        ];
        assert_eq!(bad, want.map(|(n, g)| (n.to_string(), Some(g))).to_vec());
    }

    #[test]
    fn exact_without_slack_and_within_it_with() {
        let before = summary_of(100, 1, 50, 5_000);
        let e = Expected {
            events: 10,
            lines: 11,
            duplicates: 1,
            orders: 9,
            gmv: 900,
            ..Expected::default()
        };
        let none = Expected::default();
        let exact = summary_of(110, 2, 59, 5_900);
        assert!(rows(&before, &exact, &e, &none).iter().all(Row::ok));
        // The same body applied twice: its orders come back as duplicates.
        let twice = summary_of(110, 12, 59, 5_900);
        assert!(!rows(&before, &twice, &e, &none).iter().all(Row::ok));
        let slack = Expected {
            duplicates: 10,
            ..Expected::default()
        };
        assert!(rows(&before, &twice, &e, &slack).iter().all(Row::ok));
        // Slack on duplicates never excuses a figure of money.
        let counted_twice = summary_of(110, 2, 68, 6_800);
        let bad: Vec<String> = rows(&before, &counted_twice, &e, &slack)
            .into_iter()
            .filter(|r| !r.ok())
            .map(|r| r.name)
            .collect();
        assert_eq!(bad, ["orders", "GMV (minor units)"]);
    }
}
