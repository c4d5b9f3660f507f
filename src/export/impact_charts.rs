//! The impact step's charts (docs/api.md, Export): GMV per day before,
//! during and after the sale (did it pull demand forward or overdraw it),
//! the discount depth of the top SKUs per hour and the basket per hour.
//! Each is drawn only when the sale has its data; all share the report's
//! palette and the clock axis of `charts`.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::charts::{BASE, GOLD, GOLD_INK, GREEN, GRID, INK, PLAN, WARN, YAxis, err, time_chart};
use super::facts::Facts;
use crate::money::money_label;

/// SKUs drawn in the discount chart, by GMV.
const DISCOUNT_SKUS: usize = 5;
const LINES: [RGBColor; DISCOUNT_SKUS] = [GOLD_INK, PLAN, GREEN, WARN, BASE];

/// (period, date, GMV) of every day: pre, then the sale, then post.
fn day_rows(f: &Facts) -> Vec<(&'static str, String, i64)> {
    let p = &f.periods;
    let mut out = Vec::new();
    let sides = [
        ("pre", p.pre.as_ref().map(|d| &d.figures.days)),
        ("sale", Some(&p.sale.days)),
        ("post", p.post.as_ref().map(|d| &d.figures.days)),
    ];
    for (side, days) in sides {
        for d in days.into_iter().flatten() {
            out.push((side, d.date.clone(), d.gmv));
        }
    }
    out
}

/// Drawn when a period before or after the sale is watched.
pub fn has_days(f: &Facts) -> bool {
    f.periods.pre.is_some() || f.periods.post.is_some()
}

pub fn has_discount(f: &Facts) -> bool {
    f.prices
        .skus
        .iter()
        .any(|k| k.hours.iter().any(|h| h.discount_depth.is_some()))
}

pub fn has_basket(f: &Facts) -> bool {
    f.prices.prices.basket.sale.iter().any(|r| r.orders > 0)
}

pub fn days<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, f: &Facts) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let rows = day_rows(f);
    let n = rows.len().max(1);
    let ymax = rows.iter().map(|r| r.2 as f64).fold(1.0, f64::max) * 1.15;
    // One tick per day at most 14 times, dates as `MM-DD`.
    let every = n.div_ceil(14);
    let points: Vec<f64> = (0..n).step_by(every).map(|i| i as f64 + 0.5).collect();
    let dates: Vec<String> = rows
        .iter()
        .map(|r| r.1.get(5..).unwrap_or(&r.1).to_string())
        .collect();
    let mut chart = ChartBuilder::on(root)
        .caption(
            "每日成交额：活动前、活动中、活动后 GMV per day: before, during, after",
            ("sans-serif", 26).into_font().color(&INK),
        )
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(120)
        .build_cartesian_2d(
            super::ticked::Ticked::new(0f64..n as f64, points),
            0f64..ymax,
        )
        .map_err(err)?;
    let cur = f.currency.clone();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_label_formatter(&|x| dates.get(x.floor() as usize).cloned().unwrap_or_default())
        .y_label_formatter(&|v| money_label(&cur, *v as i64))
        .y_labels(6)
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(BASE.stroke_width(1))
        .label_style(("sans-serif", 16).into_font().color(&INK))
        .draw()
        .map_err(err)?;
    for (side, color, label) in [
        ("pre", PLAN, "before 活动前"),
        ("sale", GOLD, "sale 活动中"),
        ("post", GREEN, "after 活动后"),
    ] {
        let bars = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.0 == side)
            .map(|(i, r)| {
                let x = i as f64;
                Rectangle::new([(x + 0.12, 0.0), (x + 0.88, r.2 as f64)], color.filled())
            })
            .collect::<Vec<_>>();
        if bars.is_empty() {
            continue;
        }
        chart
            .draw_series(bars)
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], color.filled()));
    }
    // Each day's GMV over its bar when the days are few enough to read.
    if n <= 16 {
        chart
            .draw_series(rows.iter().enumerate().map(|(i, r)| {
                Text::new(
                    money_label(&f.currency, r.2),
                    (i as f64 + 0.1, r.2 as f64 + ymax * 0.03),
                    ("sans-serif", 13).into_font().color(&INK),
                )
            }))
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 16).into_font().color(&INK))
        .background_style(WHITE.mix(0.9))
        .border_style(GRID)
        .draw()
        .map_err(err)
}

fn sale_minutes(f: &Facts) -> f64 {
    (f.timeline.len().max(1).div_ceil(60) * 60) as f64
}

pub fn discount<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    f: &Facts,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let skus: Vec<_> = f
        .prices
        .skus
        .iter()
        .filter(|k| k.list_price.is_some())
        .take(DISCOUNT_SKUS)
        .collect();
    let ymax = skus
        .iter()
        .flat_map(|k| k.hours.iter().filter_map(|h| h.discount_depth))
        .fold(0.1, f64::max)
        * 1.15;
    let mut chart = time_chart(
        root,
        f,
        "折扣深度（每小时） Discount depth per hour, top SKUs",
        sale_minutes(f),
        ymax,
        YAxis::Percent,
    )?;
    for (k, color) in skus.iter().zip(LINES) {
        // Each hour's point at the hour's middle.
        let points: Vec<(f64, f64)> = k
            .hours
            .iter()
            .filter_map(|h| {
                h.discount_depth
                    .map(|d| (f64::from(h.hour) * 60.0 + 30.0, d))
            })
            .collect();
        let name: String = k.name.chars().take(20).collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
            .map_err(err)?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(2))
            });
        chart
            .draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, 3, color.filled())),
            )
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 15).into_font().color(&INK))
        .background_style(WHITE.mix(0.9))
        .border_style(GRID)
        .draw()
        .map_err(err)
}

pub fn basket<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, f: &Facts) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let rows: Vec<(f64, i64)> = f
        .prices
        .prices
        .basket
        .sale
        .iter()
        .filter_map(|r| r.aov.map(|a| (f64::from(r.hour) * 60.0 + 30.0, a)))
        .collect();
    let ymax = rows.iter().map(|r| r.1 as f64).fold(1.0, f64::max) * 1.2;
    let mut chart = time_chart(
        root,
        f,
        "每小时客单价与件单 AOV and units per order per hour",
        sale_minutes(f),
        ymax,
        YAxis::Money,
    )?;
    chart
        .draw_series(LineSeries::new(
            rows.iter().map(|r| (r.0, r.1 as f64)),
            GOLD_INK.stroke_width(3),
        ))
        .map_err(err)?;
    // Each hour's AOV and units per order written by its point.
    let upo = |hour_mid: f64| {
        f.prices
            .prices
            .basket
            .sale
            .iter()
            .find(|r| (f64::from(r.hour) * 60.0 + 30.0 - hour_mid).abs() < 1e-6)
            .and_then(|r| r.units_per_order)
    };
    let few = rows.len() <= 12;
    chart
        .draw_series(rows.iter().map(|&(x, v)| {
            let text = match (few, upo(x)) {
                (true, Some(u)) => format!("{} · {u:.2}", money_label(&f.currency, v)),
                _ => String::new(),
            };
            EmptyElement::at((x, v as f64))
                + Circle::new((0, 0), 4, GOLD_INK.filled())
                + Text::new(text, (-30, -22), ("sans-serif", 14).into_font().color(&INK))
        }))
        .map_err(err)?;
    Ok(())
}
