//! Charts for the pack, drawn with plotters as SVG and PNG.
//!
//! SVG leaves fonts to the viewer, so Chinese names show wherever the
//! report is opened. PNG text is rasterised here and needs a font with CJK
//! glyphs: one is looked for at run time (`WARROOM_FONT`, then the Debian
//! packages `fonts-wqy-microhei`, `fonts-wqy-zenhei`, `fonts-noto-cjk`,
//! `fonts-droid-fallback`). Without one, PNGs are skipped with a warning in
//! the pack rather than drawn with boxes for every Chinese character.

use std::path::PathBuf;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::clock;
use super::facts::Facts;
use crate::money::money_label;

const SIZE: (u32, u32) = (1200, 520);
const FONT_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
];

// The screen's palette (web/style.css): GMV gold, plan blue, good green,
// muted grey; on paper the text is the report's ink and the grid light.
pub(super) const GOLD: RGBColor = RGBColor(255, 204, 77);
/// The GMV line and its labels: the screen's gold a shade deeper, so a
/// 3-pixel line and its text read on white.
pub(super) const GOLD_INK: RGBColor = RGBColor(214, 158, 0);
pub(super) const PLAN: RGBColor = RGBColor(91, 141, 239);
pub(super) const BASE: RGBColor = RGBColor(138, 151, 173);
pub(super) const GREEN: RGBColor = RGBColor(58, 210, 159);
pub(super) const WARN: RGBColor = RGBColor(255, 165, 61);
pub(super) const INK: RGBColor = RGBColor(27, 35, 51);
pub(super) const GRID: RGBColor = RGBColor(227, 231, 239);

/// One chart in both formats.
pub struct Chart {
    /// The file name without extension; the report also finds a section's
    /// own chart by it.
    pub name: &'static str,
    pub title: &'static str,
    pub svg: String,
    pub png: Option<Vec<u8>>,
}

/// The CJK font registered for PNG text, found once per process.
fn cjk_font() -> Option<&'static PathBuf> {
    static FONT: OnceLock<Option<PathBuf>> = OnceLock::new();
    FONT.get_or_init(|| {
        let env = std::env::var("WARROOM_FONT").ok();
        for path in env
            .iter()
            .map(String::as_str)
            .chain(FONT_CANDIDATES.iter().copied())
        {
            let Ok(bytes) = std::fs::read(path) else {
                continue;
            };
            // plotters keeps registered fonts for the life of the process.
            let leaked: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            if plotters::style::register_font("sans-serif", FontStyle::Normal, leaked).is_ok() {
                return Some(PathBuf::from(path));
            }
        }
        None
    })
    .as_ref()
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Cumulative,
    PerMinute,
    TopStores,
    TopSkus,
    SpendPerHour,
    Days,
    Discount,
    Basket,
}

impl Kind {
    fn draw<DB: DrawingBackend>(
        self,
        root: &DrawingArea<DB, Shift>,
        f: &Facts,
    ) -> Result<(), String> {
        match self {
            Kind::Cumulative => cumulative(root, f),
            Kind::PerMinute => per_minute(root, f),
            Kind::TopStores => top_stores(root, f),
            Kind::TopSkus => top_skus(root, f),
            Kind::SpendPerHour => super::spend_chart::spend_per_hour(root, f),
            Kind::Days => super::impact_charts::days(root, f),
            Kind::Discount => super::impact_charts::discount(root, f),
            Kind::Basket => super::impact_charts::basket(root, f),
        }
    }
}

/// All charts of the pack; warnings say what could not be drawn.
pub fn render_all(f: &Facts, warnings: &mut Vec<String>) -> Vec<Chart> {
    let font = cjk_font();
    if font.is_none() {
        warnings.push(
            "no CJK font found (install fonts-wqy-microhei or set WARROOM_FONT): PNG charts were skipped, SVG charts are complete".into(),
        );
    }
    let mut list = vec![
        (
            "cumulative_gmv",
            "Cumulative GMV against plan",
            Kind::Cumulative,
        ),
        ("gmv_per_minute", "GMV per minute", Kind::PerMinute),
        ("top_stores", "Top stores by GMV", Kind::TopStores),
        ("top_skus", "Top SKUs by GMV", Kind::TopSkus),
    ];
    // The efficiency section's chart: only for a sale with traffic or spend.
    if f.reach.any() {
        list.push((
            "spend_per_hour",
            "GMV and spend per hour",
            Kind::SpendPerHour,
        ));
    }
    // The impact step's charts, each only where it has data.
    if super::impact_charts::has_days(f) {
        list.push(("days", "GMV per day: before, during, after", Kind::Days));
    }
    if super::impact_charts::has_discount(f) {
        list.push((
            "discount_per_hour",
            "Discount depth per hour, top SKUs",
            Kind::Discount,
        ));
    }
    if super::impact_charts::has_basket(f) {
        list.push((
            "basket_per_hour",
            "AOV and units per order per hour",
            Kind::Basket,
        ));
    }
    let mut out = Vec::new();
    for (name, title, kind) in list {
        let mut svg = String::new();
        let drawn = {
            let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
            kind.draw(&root, f)
                .and_then(|()| root.present().map_err(|e| e.to_string()))
        };
        if let Err(e) = drawn {
            warnings.push(format!("chart {name}: {e}"));
            continue;
        }
        let png = font.and_then(|_| match render_png(kind, f) {
            Ok(png) => Some(png),
            Err(e) => {
                warnings.push(format!("chart {name}.png: {e}"));
                None
            }
        });
        out.push(Chart {
            name,
            title,
            svg,
            png,
        });
    }
    out
}

fn render_png(kind: Kind, f: &Facts) -> Result<Vec<u8>, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("chart.png");
    {
        let root = BitMapBackend::new(&path, SIZE).into_drawing_area();
        kind.draw(&root, f)?;
        root.present().map_err(|e| e.to_string())?;
    }
    std::fs::read(&path).map_err(|e| e.to_string())
}

pub(super) fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// What a chart's y axis counts.
#[derive(Debug, Clone, Copy)]
pub(super) enum YAxis {
    Money,
    Percent,
}

/// A time axis in minutes since the start, ticked at round clock times.
pub(super) type TimeAxis = super::ticked::Ticked;

/// The frame every time chart shares: minutes since the start along x,
/// labelled with clock times in the sale's zone (`clock::ticks`), money up
/// y, a light grid, the report's ink.
pub(super) fn time_chart<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    f: &Facts,
    title: &str,
    minutes: f64,
    ymax: f64,
    y: YAxis,
) -> Result<ChartContext<'a, DB, Cartesian2d<TimeAxis, RangedCoordf64>>, String> {
    let ticks = clock::ticks(f.starts_ms, minutes.ceil() as i64, f.tz);
    let points: Vec<f64> = ticks.iter().map(|t| t.0).collect();
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 26).into_font().color(&INK))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(120)
        .build_cartesian_2d(TimeAxis::new(0f64..minutes, points), 0f64..ymax)
        .map_err(err)?;
    let cur = f.currency.clone();
    let label = move |x: &f64| {
        ticks
            .iter()
            .find(|t| (t.0 - x).abs() < 1e-6)
            .map(|t| t.1.clone())
            .unwrap_or_default()
    };
    chart
        .configure_mesh()
        .x_label_formatter(&label)
        .y_label_formatter(&|v| match y {
            YAxis::Money => money_label(&cur, *v as i64),
            YAxis::Percent => format!("{:.0}%", v * 100.0),
        })
        .y_labels(6)
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(BASE.stroke_width(1))
        .label_style(("sans-serif", 16).into_font().color(&INK))
        .draw()
        .map_err(err)?;
    Ok(chart)
}

/// A value written beside a point (the peak, the final value, a line's name).
pub(super) fn note_at<DB: DrawingBackend, X: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, RangedCoordf64>>,
    at: (f64, f64),
    text: String,
    offset: (i32, i32),
    color: RGBColor,
) -> Result<(), String> {
    chart
        .draw_series(std::iter::once(
            EmptyElement::at(at)
                + Circle::new((0, 0), 4, color.filled())
                + Text::new(text, offset, ("sans-serif", 16).into_font().color(&INK)),
        ))
        .map_err(err)?;
    Ok(())
}

fn cumulative<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, f: &Facts) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let n = f.timeline.len().max(1) as f64;
    let actual: Vec<(f64, f64)> = std::iter::once((0.0, 0.0))
        .chain(
            f.timeline
                .iter()
                .enumerate()
                .map(|(m, r)| ((m + 1) as f64, r.cumulative_gmv as f64)),
        )
        .collect();
    let plan: Vec<(f64, f64)> = std::iter::once((0.0, 0.0))
        .chain(
            f.plan_cumulative_gmv
                .iter()
                .enumerate()
                .map(|(m, v)| ((m + 1) as f64, *v as f64)),
        )
        .collect();
    let baseline: Vec<(f64, f64)> = f
        .timeline
        .iter()
        .enumerate()
        .filter_map(|(m, r)| r.baseline_gmv.map(|b| ((m + 1) as f64, b as f64)))
        .collect();
    let target = f.summary.totals.target.filter(|t| *t > 0);
    let ymax = actual
        .iter()
        .chain(&plan)
        .chain(&baseline)
        .map(|p| p.1)
        .chain(target.map(|t| t as f64))
        .fold(1.0, f64::max)
        * 1.08;
    let m = |v: i64| money_label(&f.currency, v);
    let mut chart = time_chart(root, f, "累计成交额 Cumulative GMV", n, ymax, YAxis::Money)?;
    if let Some(t) = target {
        chart
            .draw_series(DashedLineSeries::new(
                vec![(0.0, t as f64), (n, t as f64)],
                4,
                4,
                WARN.stroke_width(1),
            ))
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(Text::new(
                format!("target 目标 {}", m(t)),
                // Past the legend (upper left), just under the line.
                (n * 0.45, t as f64),
                ("sans-serif", 15).into_font().color(&INK),
            )))
            .map_err(err)?;
    }
    if f.plan_cumulative_gmv.iter().any(|v| *v > 0) {
        chart
            .draw_series(DashedLineSeries::new(plan, 8, 6, PLAN.stroke_width(2)))
            .map_err(err)?
            .label("plan 计划")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], PLAN.stroke_width(2)));
    }
    if !baseline.is_empty() {
        chart
            .draw_series(DashedLineSeries::new(baseline, 3, 4, BASE.stroke_width(2)))
            .map_err(err)?
            .label("baseline 去年同期")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], BASE.stroke_width(2)));
    }
    let last = actual.last().copied();
    chart
        .draw_series(LineSeries::new(actual, GOLD_INK.stroke_width(3)))
        .map_err(err)?
        .label("actual 实际")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], GOLD_INK.stroke_width(3)));
    if let Some((x, y)) = last.filter(|p| p.1 > 0.0) {
        // The final value, written to the left of the line's end.
        note_at(&mut chart, (x, y), m(y as i64), (-150, 8), GOLD_INK)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 16).into_font().color(&INK))
        .background_style(WHITE.mix(0.9))
        .border_style(GRID)
        .draw()
        .map_err(err)
}

fn per_minute<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, f: &Facts) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let n = f.timeline.len().max(1) as f64;
    let ymax = f.timeline.iter().map(|r| r.gmv as f64).fold(1.0, f64::max) * 1.15;
    let mut chart = time_chart(
        root,
        f,
        "每分钟成交额 GMV per minute",
        n,
        ymax,
        YAxis::Money,
    )?;
    chart
        .draw_series(f.timeline.iter().enumerate().map(|(m, r)| {
            Rectangle::new(
                [(m as f64 + 0.1, 0.0), (m as f64 + 0.9, r.gmv as f64)],
                GOLD.filled(),
            )
        }))
        .map_err(err)?;
    let peak = f.peak_minute.as_ref().and_then(|p| {
        let i = f
            .timeline
            .iter()
            .position(|r| r.minute_start == p.minute_start)?;
        Some((i, p.gmv))
    });
    if let Some((i, gmv)) = peak {
        let at = clock::hhmm(f.starts_ms + i as i64 * 60_000, f.tz);
        // Left of the bar when the peak is in the chart's right half.
        let dx = if (i as f64) > n / 2.0 { -260 } else { 8 };
        note_at(
            &mut chart,
            (i as f64 + 0.5, gmv as f64),
            format!("peak 峰值 {at} {}", money_label(&f.currency, gmv)),
            (dx, -6),
            GOLD_INK,
        )?;
    }
    Ok(())
}

/// Horizontal bars, best first, names on the axis.
fn bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    f: &Facts,
    title: &str,
    rows: &[(String, i64)],
) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let n = rows.len().max(1);
    let xmax = rows.iter().map(|r| r.1 as f64).fold(1.0, f64::max) * 1.18;
    let names: Vec<String> = rows
        .iter()
        .map(|r| r.0.chars().take(24).collect())
        .collect();
    let cur = f.currency.clone();
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 26).into_font().color(&INK))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(300)
        .build_cartesian_2d(0f64..xmax, -0.5f64..(n as f64 - 0.5))
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(BASE.stroke_width(1))
        .y_labels(n)
        .y_label_formatter(&|y| {
            let i = y.round() as i64;
            let rank = n as i64 - 1 - i;
            if (y - i as f64).abs() < 1e-6 && rank >= 0 {
                names.get(rank as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .x_label_formatter(&|v| money_label(&cur, *v as i64))
        .label_style(("sans-serif", 16).into_font().color(&INK))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(rows.iter().enumerate().map(|(rank, (_, v))| {
            let y = (n - 1 - rank) as f64;
            Rectangle::new([(0.0, y - 0.35), (*v as f64, y + 0.35)], GREEN.filled())
        }))
        .map_err(err)?;
    // Each bar's value at its end.
    chart
        .draw_series(rows.iter().enumerate().map(|(rank, (_, v))| {
            let y = (n - 1 - rank) as f64;
            Text::new(
                money_label(&f.currency, *v),
                (*v as f64, y + 0.15),
                ("sans-serif", 14).into_font().color(&INK),
            )
        }))
        .map_err(err)?;
    Ok(())
}

fn top_stores<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, f: &Facts) -> Result<(), String> {
    let rows: Vec<(String, i64)> = f
        .stores
        .iter()
        .take(10)
        .map(|s| (s.name.clone(), s.figures.gmv))
        .collect();
    bars(root, f, "门店排行 Top stores", &rows)
}

fn top_skus<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, f: &Facts) -> Result<(), String> {
    let rows: Vec<(String, i64)> = f
        .skus
        .iter()
        .take(10)
        .map(|s| (s.name.clone(), s.gmv))
        .collect();
    bars(root, f, "商品排行 Top SKUs", &rows)
}
