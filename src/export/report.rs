//! `report.html`: one file that opens from a USB stick with no network —
//! styles inline, charts as inline SVG, no scripts, no fonts fetched.

use std::fmt::Write;

use super::charts::Chart;
use super::facts::Facts;
use crate::money::money_label;

pub(super) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(super) fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1}%", x * 100.0))
        .unwrap_or_else(|| "—".into())
}

const STYLE: &str = "body{font-family:'Noto Sans CJK SC','WenQuanYi Micro Hei','PingFang SC','Microsoft YaHei',system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#1b2333;padding:0 1em}\
h1{margin-bottom:.2em}h2{margin-top:2em;border-bottom:2px solid #ffcc4d;padding-bottom:.2em}h2 small{color:#5a6578;font-weight:400;font-size:.6em;margin-left:.6em}\
.kpis{display:grid;grid-template-columns:repeat(4,1fr);gap:1em}.kpi{background:#f5f7fb;border-radius:8px;padding:.8em}\
.kpi b{display:block;font-size:1.6em}.kpi span{color:#5a6578}table{border-collapse:collapse;width:100%;margin:.5em 0}\
th,td{padding:.35em .6em;border-bottom:1px solid #e3e7ef;text-align:left}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}td.n{white-space:nowrap}\
.warn{background:#fff4e0;border-left:4px solid #ffa53d;padding:.6em 1em}figure{margin:1em 0}figure svg{width:100%;height:auto}\
.muted{color:#5a6578}.worst{color:#c0392b;font-weight:700}tr.worst-row td{background:#fdecea}figure.map svg{max-width:820px}h3{margin-top:1.4em}h4{margin:1.2em 0 .3em}\
table.night td.t{font-variant-numeric:tabular-nums;white-space:nowrap;width:6em}table.night tr td:nth-child(2){white-space:nowrap;color:#5a6578}\
tr.k-note td{background:#eef4ff}tr.k-alert td{background:#fdecea}tr.k-ok td{background:#eafaf3}tr.k-out td{background:#fff4e0}\
ol.next li{margin:.4em 0;line-height:1.45}table.wide{font-size:.92em}td,th{overflow-wrap:anywhere}\
@page{size:A4;margin:14mm 12mm}\
@media print{body{max-width:none;margin:0;padding:0;font-size:10pt}section.step{break-before:page}section.step:first-of-type{break-before:auto}\
h2,h3,h4{break-after:avoid}table,figure,.kpis,tr{break-inside:avoid}table{font-size:9pt}table.wide{font-size:8pt}\
th,td{padding:.2em .35em}.kpis{grid-template-columns:repeat(4,1fr);gap:.4em}.kpi{padding:.4em}.kpi b{font-size:1.2em}\
figure svg,svg{max-width:100%;height:auto}figure.map svg{max-width:100%;filter:invert(1) hue-rotate(180deg)}\
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

/// A chart with its caption.
pub(super) fn figure(h: &mut String, c: &Chart) {
    let _ = write!(
        h,
        "<figure>{}<figcaption class=muted>{}</figcaption></figure>",
        c.svg,
        esc(c.title)
    );
}

/// The review's four steps, in order: (id, heading).
pub const STEPS: [(&str, &str); 4] = [
    ("target", "1 · Target vs result 目标与结果"),
    ("night", "2 · The night 过程回顾"),
    ("impact", "3 · Impact 活动影响"),
    ("next", "4 · For next time 下次改进"),
];

fn open_step(h: &mut String, i: usize) {
    let (id, title) = STEPS[i];
    let _ = write!(h, "<section class=step id={id}><h2>{title}</h2>");
}

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
        "<h1>{} · 复盘 Review</h1><p class=muted>{} → {} ({}), exported {}. Amounts in {}. Times are clock times in the sale's zone. 时间均为活动时区的当地时间。</p>",
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
    let chart = |h: &mut String, name: &str| {
        for c in charts.iter().filter(|c| c.name == name) {
            figure(h, c);
        }
    };

    // 1. Target vs result.
    open_step(&mut h, 0);
    h.push_str("<div class=kpis>");
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
    super::report_target::target(&mut h, f);
    chart(&mut h, "cumulative_gmv");
    chart(&mut h, "top_stores");
    chart(&mut h, "top_skus");
    h.push_str("<h3>Top SKUs 商品排行 (top 20)</h3><table><tr><th>SKU</th><th class=n>GMV</th><th class=n>units</th><th class=n>stock left</th></tr>");
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
    h.push_str("</table></section>");

    // 2. The night.
    open_step(&mut h, 1);
    h.push_str("<p class=muted>Milestones, peaks, sell-outs, alerts and the war room's notes, in time order. 里程碑、峰值、售罄、告警与作战室记录，按时间排列。</p>");
    super::report_night::night(&mut h, f);
    chart(&mut h, "gmv_per_minute");
    h.push_str("</section>");

    // 3. Impact.
    open_step(&mut h, 2);
    super::report_impact::impact(&mut h, f, charts);
    h.push_str("</section>");

    // 4. For next time.
    open_step(&mut h, 3);
    super::report_next::next_time(&mut h, f);
    h.push_str("</section>");

    h.push_str("<p class=muted>Generated by warroom. CSV files beside this report hold every store, channel, SKU, region, campaign and minute.</p></body></html>");
    h
}
