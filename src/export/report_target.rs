//! Step 1 of the review, "Target vs result 目标与结果" (docs/api.md,
//! Export): for the sale, every channel and the top stores, sales and
//! profit side by side — target, result, completion, gap — then every
//! scope short of its sales target ranked by its shortfall, largest
//! first, and the baseline comparison where one is configured.

use std::fmt::Write;

use super::facts::Facts;
use super::report::{esc, pct};
use crate::money::money_label;
use crate::views::RowFigures;

/// Stores in the side-by-side table.
pub const TOP_STORES: usize = 20;
/// Rows of the ranked gaps.
const TOP_GAPS: usize = 15;

/// One scope's row: its label and (sales target, sales, profit target, profit).
struct Row {
    label: String,
    target: Option<i64>,
    gmv: i64,
    profit_target: Option<i64>,
    profit: i64,
}

impl Row {
    fn of(label: String, r: &RowFigures) -> Row {
        Row {
            label,
            target: r.target,
            gmv: r.gmv,
            profit_target: r.profit_target,
            profit: r.profit,
        }
    }
}

fn ratio(v: i64, of: Option<i64>) -> Option<f64> {
    of.filter(|t| *t > 0).map(|t| v as f64 / t as f64)
}

pub fn target(h: &mut String, f: &Facts) {
    let m = |v: i64| money_label(&f.currency, v);
    let t = &f.summary.totals;
    let mut rows = vec![Row {
        label: "Sale 全场".into(),
        target: t.target,
        gmv: t.gmv,
        profit_target: t.profit_target,
        profit: t.profit,
    }];
    rows.extend(
        f.channels
            .iter()
            .map(|c| Row::of(format!("Channel 渠道 · {}", c.name), &c.figures)),
    );
    rows.extend(
        f.stores
            .iter()
            .take(TOP_STORES)
            .map(|s| Row::of(format!("Store 门店 · {}", s.name), &s.figures)),
    );
    let gap = |v: i64, of: Option<i64>| of.map(|t| m(v - t)).unwrap_or_else(|| "—".into());
    h.push_str(
        "<table class=wide><tr><th>scope 范围</th><th class=n>sales target 销售目标</th><th class=n>sales 销售额</th><th class=n>completion 完成率</th><th class=n>gap 差额</th>\
         <th class=n>profit target 利润目标</th><th class=n>profit 利润</th><th class=n>completion 完成率</th><th class=n>gap 差额</th></tr>",
    );
    for r in &rows {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
            esc(&r.label),
            esc(&r.target.map(m).unwrap_or_else(|| "—".into())),
            esc(&m(r.gmv)),
            pct(ratio(r.gmv, r.target)),
            esc(&gap(r.gmv, r.target)),
            esc(&r.profit_target.map(m).unwrap_or_else(|| "—".into())),
            esc(&m(r.profit)),
            pct(ratio(r.profit, r.profit_target)),
            esc(&gap(r.profit, r.profit_target)),
        );
    }
    h.push_str("</table>");
    if f.stores.len() > TOP_STORES {
        let _ = write!(
            h,
            "<p class=muted>Top {TOP_STORES} of {} stores by GMV; stores.csv has every one. 按成交额前 {TOP_STORES} 家门店，全部门店见 stores.csv。</p>",
            f.stores.len()
        );
    }

    // Every scope short of its sales target, largest shortfall first (all
    // stores, not only the top ones: the worst are rarely the biggest).
    let mut short: Vec<(String, i64, i64, Option<f64>)> =
        std::iter::once(("Sale 全场".to_string(), t.gmv, t.target))
            .chain(f.channels.iter().map(|c| {
                (
                    format!("Channel 渠道 · {}", c.name),
                    c.figures.gmv,
                    c.figures.target,
                )
            }))
            .chain(f.stores.iter().map(|s| {
                (
                    format!("Store 门店 · {}", s.name),
                    s.figures.gmv,
                    s.figures.target,
                )
            }))
            .filter_map(|(label, gmv, target)| {
                let target = target.filter(|t| *t > gmv)?;
                Some((label, target - gmv, target, ratio(gmv, Some(target))))
            })
            .collect();
    short.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    h.push_str("<h3>Gaps ranked 差距排序 (largest shortfall first 缺口最大在前)</h3>");
    if short.is_empty() {
        h.push_str(
            "<p class=muted>Every scope with a target reached it. 所有设定目标的范围均已达成。</p>",
        );
    } else {
        h.push_str("<table><tr><th>#</th><th>scope 范围</th><th class=n>shortfall 缺口</th><th class=n>target 目标</th><th class=n>completion 完成率</th></tr>");
        for (i, (label, gap, target, c)) in short.iter().take(TOP_GAPS).enumerate() {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td class='n worst'>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
                i + 1,
                esc(label),
                esc(&m(*gap)),
                esc(&m(*target)),
                pct(*c)
            );
        }
        h.push_str("</table>");
    }

    h.push_str("<h3>Baseline 同比</h3>");
    match t.baseline_gmv {
        Some(b) => {
            let _ = write!(
                h,
                "<p>Baseline GMV to the same minute 去年同期同一时刻: <b>{}</b>; this sale 本次: <b>{}</b> ({}).</p>",
                esc(&m(b)),
                esc(&m(t.gmv)),
                match t.vs_baseline {
                    Some(v) => format!("{:+.1}%", v * 100.0),
                    None => "—".into(),
                }
            );
        }
        None => h.push_str("<p class=muted>No baseline is configured. 未配置同比基线。</p>"),
    }
}
