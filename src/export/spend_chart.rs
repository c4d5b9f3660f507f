//! The efficiency chart of the pack: GMV and promotion spend per hour of
//! the sale side by side (docs/api.md, Export), so a reader sees at a
//! glance which hours' spend bought sales. Drawn only when the sale
//! reported spend or traffic.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::charts::{GOLD, GRID, INK, PLAN, YAxis, err, time_chart};
use super::facts::Facts;

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

pub fn spend_per_hour<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    f: &Facts,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let rows = hourly(f);
    let minutes = (rows.len().max(1) * 60) as f64;
    let ymax = rows.iter().map(|r| r.0.max(r.1) as f64).fold(1.0, f64::max) * 1.1;
    // Hours on the clock axis every chart shares: each hour's two bars
    // stand between its start and the next hour's.
    let mut chart = time_chart(
        root,
        f,
        "每小时成交额与推广费用 GMV and spend per hour",
        minutes,
        ymax,
        YAxis::Money,
    )?;
    let bar = |h: usize, from: f64, to: f64, v: i64| {
        let x = (h * 60) as f64;
        [(x + from * 60.0, 0.0), (x + to * 60.0, v as f64)]
    };
    chart
        .draw_series(
            rows.iter()
                .enumerate()
                .map(|(h, r)| Rectangle::new(bar(h, 0.08, 0.48, r.0), GOLD.filled())),
        )
        .map_err(err)?
        .label("GMV 成交额")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], GOLD.filled()));
    chart
        .draw_series(
            rows.iter()
                .enumerate()
                .map(|(h, r)| Rectangle::new(bar(h, 0.52, 0.92, r.1), PLAN.filled())),
        )
        .map_err(err)?
        .label("spend 推广费用")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], PLAN.filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(("sans-serif", 16).into_font().color(&INK))
        .background_style(WHITE.mix(0.9))
        .border_style(GRID)
        .draw()
        .map_err(err)
}
