//! The report's "Prices 价格与毛利" section (docs/api.md, Export): the SKUs
//! sold below their standard margin (有些产品的毛利并没有达到标准毛利: a
//! stacked coupon or 满减 eating the margin), worst gap first, and the
//! sale's basket by hour. Charts of the trends are left to the report's
//! impact step; this section gives the tables a reader needs.

use std::fmt::Write;

use super::facts::Facts;
use super::report::{esc, pct};
use crate::money::money_label;

/// Rows of the below-margin table.
const TOP: usize = 20;

pub fn prices(h: &mut String, f: &Facts) {
    let m = |v: i64| money_label(&f.currency, v);
    h.push_str("<h3>Prices 价格与毛利</h3>");
    let below = f.prices.below_margin();
    if below.is_empty() {
        h.push_str("<p class=muted>No SKU with a standard margin and cost data sold below it. 无低于标准毛利的商品（需配置标准毛利与成本）。</p>");
    } else {
        let _ = write!(
            h,
            "<h4>Below standard margin 低于标准毛利 ({} SKUs, worst first)</h4><table><tr><th>SKU</th><th class=n>GMV</th><th class=n>units</th><th class=n>margin 毛利率</th><th class=n>standard 标准</th><th class=n>gap 差距</th></tr>",
            below.len()
        );
        for r in below.iter().take(TOP) {
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class='n worst'>{}</td></tr>",
                esc(&r.name),
                esc(&m(r.gmv)),
                r.units,
                pct(Some(r.margin)),
                pct(Some(r.standard_margin)),
                pct(Some(r.gap)),
            );
        }
        h.push_str("</table>");
    }
    let hours = &f.prices.prices.basket.sale;
    if hours.iter().any(|r| r.orders > 0) {
        h.push_str("<h4>Basket by hour 每小时客单</h4><table><tr><th>hour</th><th class=n>orders</th><th class=n>AOV 笔单价</th><th class=n>units per order 件单</th></tr>");
        for r in hours.iter().filter(|r| r.orders > 0) {
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
                // "11-11 00:00": the date too, for a sale of several days.
                esc(&r.at.get(5..16).unwrap_or(&r.at).replace('T', " ")),
                r.orders,
                esc(&r.aov.map(m).unwrap_or_else(|| "—".into())),
                r.units_per_order
                    .map(|u| format!("{u:.2}"))
                    .unwrap_or_else(|| "—".into()),
            );
        }
        h.push_str("</table>");
    }
}
