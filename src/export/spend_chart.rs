//! The efficiency chart of the pack: GMV and promotion spend per hour of
//! the sale side by side (docs/api.md, Export), so a reader sees at a
//! glance which hours' spend bought sales. Drawn only when the sale
//! reported spend or traffic.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::facts::Facts;
use crate::money::money_label;

const GOLD: RGBColor = RGBColor(230, 160, 0);
const SPEND: RGBColor = RGBColor(70, 120, 220);

/// (GMV, spend) per hour since the start, in minor units.
pub fn hourly(f: &Facts) -> Vec<(i64, i64)> {
    let hours = f.timeline.len().div_ceil(60);
    let mut out = vec![(0i64, 0i64); hours];
    for (m, r) in f.timeline.iter().enumerate() {
        let h = &mut out[m / 60];
        h.0 = h.0.saturating_add(r.gmv);
        let spend = f.reach.minutes.get(m).map_or(0, |x| x.spend);
        h.1 = h.1.saturating_add(spend);
    }
    out
}

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

pub fn spend_per_hour<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    f: &Facts,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let rows = hourly(f);
    let n = rows.len().max(1) as f64;
    let ymax = rows.iter().map(|r| r.0.max(r.1) as f64).fold(1.0, f64::max) * 1.1;
    let cur = f.currency.clone();
    let mut chart = ChartBuilder::on(root)
        .caption(
            "每小时成交额与推广费用 GMV and spend per hour",
            ("sans-serif", 26),
        )
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(120)
        .build_cartesian_2d(0f64..n, 0f64..ymax)
        .map_err(err)?;
    // One label per hour, at the hour's start; no minor grid between bars.
    let hours = rows.len();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(hours.min(24) + 1)
        .x_label_formatter(&|x| {
            if (x - x.round()).abs() < 1e-6 {
                format!("{:.0}", x.round())
            } else {
                String::new()
            }
        })
        .x_desc("hours since start 开场后小时")
        .y_label_formatter(&|v| money_label(&cur, *v as i64))
        .label_style(("sans-serif", 16))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(rows.iter().enumerate().map(|(h, r)| {
            let x = h as f64;
            Rectangle::new([(x + 0.08, 0.0), (x + 0.48, r.0 as f64)], GOLD.filled())
        }))
        .map_err(err)?
        .label("GMV 成交额")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], GOLD.filled()));
    chart
        .draw_series(rows.iter().enumerate().map(|(h, r)| {
            let x = h as f64;
            Rectangle::new([(x + 0.52, 0.0), (x + 0.92, r.1 as f64)], SPEND.filled())
        }))
        .map_err(err)?
        .label("spend 推广费用")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], SPEND.filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 16))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(err)
}
