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

const GOLD: RGBColor = RGBColor(230, 160, 0);
const PLAN: RGBColor = RGBColor(70, 120, 220);
const BASE: RGBColor = RGBColor(150, 150, 150);
const GREEN: RGBColor = RGBColor(40, 170, 120);

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

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Minutes since start against money: the frame both timeline charts share.
fn minutes_chart<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    f: &Facts,
    title: &str,
    minutes: f64,
    ymax: f64,
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, String> {
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 26))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(120)
        .build_cartesian_2d(0f64..minutes, 0f64..ymax)
        .map_err(err)?;
    let cur = f.currency.clone();
    chart
        .configure_mesh()
        .x_desc("minutes since start")
        .y_label_formatter(&|v| money_label(&cur, *v as i64))
        .label_style(("sans-serif", 16))
        .draw()
        .map_err(err)?;
    Ok(chart)
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
    let ymax = actual
        .iter()
        .chain(&plan)
        .chain(&baseline)
        .map(|p| p.1)
        .fold(1.0, f64::max)
        * 1.05;
    let mut chart = minutes_chart(root, f, "累计成交额 Cumulative GMV", n, ymax)?;
    chart
        .draw_series(DashedLineSeries::new(plan, 8, 6, PLAN.stroke_width(2)))
        .map_err(err)?
        .label("plan 计划")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], PLAN.stroke_width(2)));
    if !baseline.is_empty() {
        chart
            .draw_series(DashedLineSeries::new(baseline, 3, 4, BASE.stroke_width(2)))
            .map_err(err)?
            .label("baseline 去年同期")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], BASE.stroke_width(2)));
    }
    chart
        .draw_series(LineSeries::new(actual, GOLD.stroke_width(3)))
        .map_err(err)?
        .label("actual 实际")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], GOLD.stroke_width(3)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(("sans-serif", 16))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(err)
}

fn per_minute<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, f: &Facts) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let n = f.timeline.len().max(1) as f64;
    let ymax = f.timeline.iter().map(|r| r.gmv as f64).fold(1.0, f64::max) * 1.1;
    let mut chart = minutes_chart(root, f, "每分钟成交额 GMV per minute", n, ymax)?;
    chart
        .draw_series(f.timeline.iter().enumerate().map(|(m, r)| {
            Rectangle::new(
                [(m as f64 + 0.1, 0.0), (m as f64 + 0.9, r.gmv as f64)],
                GOLD.filled(),
            )
        }))
        .map_err(err)?;
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
    let xmax = rows.iter().map(|r| r.1 as f64).fold(1.0, f64::max) * 1.1;
    let names: Vec<String> = rows
        .iter()
        .map(|r| r.0.chars().take(24).collect())
        .collect();
    let cur = f.currency.clone();
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 26))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(300)
        .build_cartesian_2d(0f64..xmax, -0.5f64..(n as f64 - 0.5))
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
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
        .label_style(("sans-serif", 16))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(rows.iter().enumerate().map(|(rank, (_, v))| {
            let y = (n - 1 - rank) as f64;
            Rectangle::new([(0.0, y - 0.35), (*v as f64, y + 0.35)], GREEN.filled())
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
