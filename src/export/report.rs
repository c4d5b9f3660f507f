//! `report.html`: one file that opens from a USB stick with no network —
//! styles inline, charts as inline SVG, no scripts, no fonts fetched.

use std::fmt::Write;

use super::charts::Chart;
use super::facts::Facts;
use super::report_reach;
use crate::money::money_label;
use crate::views::RowFigures;

pub(super) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A ranking row: the name, and the figures shown (GMV, orders, target, completion).
type RankRow<'a> = (String, &'a RowFigures);

pub(super) fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1}%", x * 100.0))
        .unwrap_or_else(|| "—".into())
}

const STYLE: &str = "body{font-family:'Noto Sans CJK SC','WenQuanYi Micro Hei','PingFang SC','Microsoft YaHei',system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#1b2333;padding:0 1em}\
h1{margin-bottom:.2em}h2{margin-top:2em;border-bottom:2px solid #e6a000;padding-bottom:.2em}\
.kpis{display:grid;grid-template-columns:repeat(4,1fr);gap:1em}.kpi{background:#f5f7fb;border-radius:8px;padding:.8em}\
.kpi b{display:block;font-size:1.6em}.kpi span{color:#5a6578}table{border-collapse:collapse;width:100%;margin:.5em 0}\
th,td{padding:.35em .6em;border-bottom:1px solid #e3e7ef;text-align:left}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\
.warn{background:#fff4e0;border-left:4px solid #e6a000;padding:.6em 1em}figure{margin:1em 0}figure svg{width:100%;height:auto}\
.muted{color:#5a6578}.worst{color:#c0392b;font-weight:700}tr.worst-row td{background:#fdecea}figure.map svg{max-width:820px}h3{margin-top:1.4em}";

/// The whole report.
pub fn render(f: &Facts, charts: &[Chart], warnings: &[String]) -> String {
    let t = &f.summary.totals;
    let m = |v: i64| money_label(&f.currency, v);
    let mut h = String::with_capacity(256 * 1024);
    let _ = write!(
        h,
        "<!doctype html><html lang=zh><meta charset=utf-8><title>{} — 复盘 review</title><style>{STYLE}</style><body>",
        esc(&f.summary.sale.name)
    );
    let _ = write!(
        h,
        "<h1>{} · 复盘 Review</h1><p class=muted>{} → {} ({}), exported {}. Amounts in {}.</p>",
        esc(&f.summary.sale.name),
        esc(&f.summary.sale.starts),
        esc(&f.summary.sale.ends),
        esc(&f.summary.sale.timezone),
        esc(&f.summary.now),
        esc(&f.currency.code)
    );
    for w in warnings {
        let _ = write!(h, "<p class=warn>{}</p>", esc(w));
    }

    h.push_str("<h2>Headline 核心指标</h2><div class=kpis>");
    let mut kpi = |label: &str, value: String| {
        let _ = write!(
            h,
            "<div class=kpi><span>{label}</span><b>{}</b></div>",
            esc(&value)
        );
    };
    kpi("GMV 成交额", m(t.gmv));
    kpi("Net GMV 净成交额", m(t.net_gmv));
    kpi("Orders 订单数", t.orders.to_string());
    kpi("Buyers 买家数", t.buyers.to_string());
    kpi("AOV 客单价", t.aov.map(m).unwrap_or_else(|| "—".into()));
    kpi(
        "Units/order 连带率",
        t.units_per_order
            .map(|v| format!("{v:.2}"))
            .unwrap_or_else(|| "—".into()),
    );
    kpi("Refunds 退款额", m(t.refunds));
    kpi(
        "Profit 利润额",
        format!("{} ({})", m(t.profit), pct(t.margin)),
    );
    kpi("Target 目标", t.target.map(m).unwrap_or_else(|| "—".into()));
    kpi("Completion 完成率", pct(t.completion));
    kpi("Profit completion 利润完成率", pct(t.profit_completion));
    kpi("vs baseline 同比", pct(t.vs_baseline));
    h.push_str("</div>");

    h.push_str("<h2>Milestones 里程碑</h2><table><tr><th>milestone</th><th>reached (by)</th></tr>");
    for ms in &f.milestones {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td></tr>",
            esc(&ms.label),
            esc(ms.reached_at.as_deref().unwrap_or("not reached"))
        );
    }
    h.push_str("</table>");
    if let Some(p) = &f.peak_second {
        let _ = write!(
            h,
            "<p>Peak second 峰值: <b>{} orders/s</b> at {}.</p>",
            p.orders,
            esc(&p.at)
        );
    }
    if let Some(p) = &f.peak_minute {
        let _ = write!(
            h,
            "<p>Peak minute 峰值分钟: <b>{}</b> ({} orders) starting {}.</p>",
            esc(&m(p.gmv)),
            p.orders,
            esc(&p.minute_start)
        );
    }

    h.push_str("<h2>Charts 图表</h2>");
    // The efficiency section shows its own chart.
    for c in charts.iter().filter(|c| c.name != "spend_per_hour") {
        let _ = write!(
            h,
            "<figure>{}<figcaption class=muted>{}</figcaption></figure>",
            c.svg,
            esc(c.title)
        );
    }

    let table = |h: &mut String, title: &str, rows: Vec<RankRow>| {
        let _ = write!(
            h,
            "<h2>{title}</h2><table><tr><th>name</th><th class=n>GMV</th><th class=n>orders</th><th class=n>target</th><th class=n>completion</th></tr>"
        );
        for (name, r) in rows {
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
                esc(&name),
                esc(&m(r.gmv)),
                r.orders,
                esc(&r.target.map(m).unwrap_or_else(|| "—".into())),
                pct(r.completion)
            );
        }
        h.push_str("</table>");
    };
    table(
        &mut h,
        "Channels 渠道",
        f.channels
            .iter()
            .map(|c| (c.name.clone(), &c.figures))
            .collect(),
    );
    table(
        &mut h,
        "Top stores 门店排行 (top 20)",
        f.stores
            .iter()
            .take(20)
            .map(|s| (s.name.clone(), &s.figures))
            .collect(),
    );
    report_reach::efficiency(&mut h, f, charts);
    report_reach::regions(&mut h, f);
    super::report_prices::prices(&mut h, f);

    h.push_str("<h2>Top SKUs 商品排行 (top 20)</h2><table><tr><th>SKU</th><th class=n>GMV</th><th class=n>units</th><th class=n>stock left</th></tr>");
    for k in f.skus.iter().take(20) {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
            esc(&k.name),
            esc(&m(k.gmv)),
            k.units,
            k.stock_left
                .map(|v| v.to_string())
                .unwrap_or_else(|| "—".into())
        );
    }
    h.push_str("</table>");

    h.push_str("<h2>Sell-outs 售罄</h2>");
    if f.sold_out.is_empty() {
        h.push_str("<p class=muted>No SKU sold out.</p>");
    } else {
        h.push_str("<table><tr><th>SKU</th><th>sold out at</th></tr>");
        for s in &f.sold_out {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td></tr>",
                esc(&s.name),
                esc(&s.at)
            );
        }
        h.push_str("</table>");
    }

    h.push_str("<h2>Alerts 告警</h2>");
    if f.alerts.is_empty() {
        h.push_str("<p class=muted>No alerts were raised.</p>");
    } else {
        h.push_str("<table><tr><th>fired</th><th>resolved</th><th>alert</th></tr>");
        for a in &f.alerts {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}: {}</td></tr>",
                esc(&a.fired_at),
                esc(a.resolved_at.as_deref().unwrap_or("")),
                esc(&a.title),
                esc(&a.summary)
            );
        }
        h.push_str("</table>");
    }
    h.push_str("<p class=muted>Generated by warroom. CSV files beside this report hold every store, channel, SKU, region, campaign and minute.</p></body></html>");
    h
}
