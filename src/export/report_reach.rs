//! The report's "Efficiency 投入产出" and "Regions 地域" sections
//! (docs/api.md, Export): what the spend and the traffic bought, and where
//! the buyers are, as the screen shows them live.
//!
//! Headings and labels are bilingual like the rest of the report; the tile
//! map is drawn in its Chinese form (Chinese names on the tiles, English in
//! each tile's tooltip). A sale with no traffic or spend, or no order that
//! named a region, gets the heading and one line saying so, so the reader
//! knows the figure was not forgotten but not reported.

use std::fmt::Write;

use super::charts::Chart;
use super::efficiency::{Efficiency, RegionRow};
use super::facts::Facts;
use super::report::{esc, pct};
use super::tile_map::tile_map_svg_of;
use crate::config::Lang;
use crate::money::money_label;

/// Rows in the region tables and the campaign table.
const TOP: usize = 20;

/// ROI as "1.97" (¥ of GMV per ¥ spent), "—" when nothing was spent.
fn roi(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.2}")).unwrap_or_else(|| "—".into())
}

/// Conversion with two decimals of a percent: rates are often under 5 %.
fn conversion(v: Option<f64>) -> String {
    v.map(|x| format!("{:.2}%", x * 100.0))
        .unwrap_or_else(|| "—".into())
}

/// The efficiency section: totals, channels (worst ROI marked), campaigns
/// by spend and the hourly chart.
pub fn efficiency(h: &mut String, f: &Facts, charts: &[Chart]) {
    let m = |v: i64| money_label(&f.currency, v);
    h.push_str("<h3>Efficiency 投入产出</h3>");
    if !f.reach.any() {
        h.push_str("<p class=muted>No traffic or spend was reported. 未上报流量或推广费用。</p>");
        return;
    }
    let e = &f.reach.totals;
    h.push_str("<div class=kpis>");
    let mut kpi = |label: &str, value: String| {
        let _ = write!(
            h,
            "<div class=kpi><span>{label}</span><b>{}</b></div>",
            esc(&value)
        );
    };
    kpi("Spend 推广费用", m(e.spend));
    kpi("ROI 投产比", roi(e.roi));
    kpi("Cost-to-sales 费比", pct(e.cost_to_sales));
    kpi("Visitors 访客数", e.visitors.to_string());
    kpi("Page views 浏览量", e.page_views.to_string());
    kpi("Conversion 转化率", conversion(e.conversion));
    kpi("Budget 预算", e.budget.map(m).unwrap_or_else(|| "—".into()));
    kpi(
        "Budget used vs plan 预算消耗/计划",
        match e.budget_used {
            Some(u) => format!("{} / {}", pct(Some(u)), pct(f.reach.budget_plan)),
            None => "—".into(),
        },
    );
    h.push_str("</div>");
    channels(h, f);
    campaigns(h, f);
    for c in charts.iter().filter(|c| c.name == "spend_per_hour") {
        let _ = write!(
            h,
            "<figure>{}<figcaption class=muted>{}</figcaption></figure>",
            c.svg,
            esc(c.title)
        );
    }
}

/// Channels with sales, traffic or spend; the lowest ROI among those that
/// spent is marked.
fn channels(h: &mut String, f: &Facts) {
    let m = |v: i64| money_label(&f.currency, v);
    let rows: Vec<(&str, i64, Efficiency)> = f
        .channels
        .iter()
        .map(|c| (c.name.as_str(), c.figures.gmv, f.reach.channel(&c.id)))
        .filter(|(_, gmv, e)| *gmv > 0 || !e.is_empty())
        .collect();
    // Marked only with two or more that spent to compare, as the screen
    // does: one channel that spent is not "the lowest".
    let spent = rows.iter().filter(|r| r.2.roi.is_some()).count();
    let worst = rows.iter().filter_map(|r| r.2.roi).min_by(f64::total_cmp);
    h.push_str(
        "<h4>Channels 渠道投产</h4><table><tr><th>channel</th><th class=n>GMV</th><th class=n>spend 费用</th>\
         <th class=n>ROI 投产比</th><th class=n>费比</th><th class=n>visitors 访客</th><th class=n>conversion 转化率</th><th class=n>budget used 预算消耗</th></tr>",
    );
    for (name, gmv, e) in &rows {
        let is_worst = spent > 1 && e.roi.is_some() && e.roi == worst;
        let mark = if is_worst {
            " <span class=worst>▼ lowest ROI 投产比最低</span>"
        } else {
            ""
        };
        let _ = write!(
            h,
            "<tr{}><td>{}{mark}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
            if is_worst { " class=worst-row" } else { "" },
            esc(name),
            esc(&m(*gmv)),
            esc(&m(e.spend)),
            roi(e.roi),
            pct(e.cost_to_sales),
            e.visitors,
            conversion(e.conversion),
            pct(e.budget_used),
        );
    }
    h.push_str("</table>");
}

fn campaigns(h: &mut String, f: &Facts) {
    if f.campaigns.is_empty() {
        return;
    }
    let m = |v: i64| money_label(&f.currency, v);
    let _ = write!(
        h,
        "<h4>Campaigns 推广活动 (by spend, top {TOP})</h4><table><tr><th>campaign</th><th>channel</th><th class=n>spend 费用</th>\
         <th class=n>budget used 预算消耗</th><th class=n>GMV</th><th class=n>orders</th><th class=n>ROI 投产比</th><th class=n>费比</th></tr>"
    );
    for c in f.campaigns.iter().take(TOP) {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
            esc(&c.id),
            esc(c.channel.as_deref().unwrap_or("—")),
            esc(&m(c.spend)),
            pct(c.budget_used),
            esc(&m(c.gmv)),
            c.orders,
            roi(c.roi),
            pct(c.cost_to_sales),
        );
    }
    h.push_str("</table>");
}

/// The tile map of the sale's regions (also `region_map.svg` in the pack).
pub fn region_map(f: &Facts) -> String {
    let gmv: Vec<(String, i64)> = f.regions.iter().map(|r| (r.id.clone(), r.gmv)).collect();
    tile_map_svg_of(&gmv, Some(f.summary.totals.gmv), &f.currency, Lang::Zh)
}

/// The regions section: the tile map, the top divisions, other regions.
pub fn regions(h: &mut String, f: &Facts) {
    h.push_str("<h3>Regions 地域</h3>");
    if f.regions.is_empty() {
        h.push_str("<p class=muted>No order named a region. 订单未携带地区。</p>");
        return;
    }
    let _ = write!(
        h,
        "<figure class=map>{}<figcaption class=muted>GMV by province-level division 各省级行政区成交额</figcaption></figure>",
        region_map(f)
    );
    let (divisions, other): (Vec<&RegionRow>, Vec<&RegionRow>) =
        f.regions.iter().partition(|r| r.is_division());
    region_table(
        h,
        f,
        &format!("Top regions 地区排行 (top {TOP})"),
        &divisions,
    );
    if !other.is_empty() {
        region_table(h, f, "Other regions 其他地区", &other);
    }
}

fn region_table(h: &mut String, f: &Facts, title: &str, rows: &[&RegionRow]) {
    let m = |v: i64| money_label(&f.currency, v);
    let _ = write!(
        h,
        "<h4>{}</h4><table><tr><th>region 地区</th><th class=n>GMV</th><th class=n>orders</th><th class=n>buyers</th><th class=n>AOV 客单价</th><th class=n>share 占比</th></tr>",
        esc(title)
    );
    for r in rows.iter().take(TOP) {
        let name = if r.is_division() {
            format!("{} {}", r.name, r.name_en)
        } else {
            r.name.clone()
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
            esc(&name),
            esc(&m(r.gmv)),
            r.orders,
            r.buyers,
            esc(&r.aov.map(m).unwrap_or_else(|| "—".into())),
            pct(r.share),
        );
    }
    h.push_str("</table>");
    if rows.len() > TOP {
        let _ = write!(
            h,
            "<p class=muted>{} more in regions.csv. 其余 {} 个见 regions.csv。</p>",
            rows.len() - TOP,
            rows.len() - TOP
        );
    }
}
