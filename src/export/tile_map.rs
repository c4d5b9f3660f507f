//! The region tile map for the report: China's 34 province-level divisions
//! as squares on the grid of `geo::DIVISIONS`, coloured by GMV, as one
//! standalone SVG string (docs/api.md, Export).
//!
//! It is the screen's map (`web/tilemap.js`) on paper: the same grid, the
//! same colour scale (a division's share of the top division's GMV, square
//! root so the small ones still show, from a dim gold to the screen's GMV
//! gold) on the screen's dark card, so the two read alike. Tiles carry the
//! short Chinese name, the top five their value; every tile's `<title>`
//! holds its figures; a list beside the map ranks the top regions, regions
//! outside China included (they have no tile).

use std::fmt::Write;

use rustc_hash::FxHashMap;

use crate::config::Lang;
use crate::geo::{self, DIVISIONS, GRID};
use crate::money::{Currency, money_label};

/// One grid step, the gap between tiles and the margin, in SVG units.
const CELL: f64 = 64.0;
const GAP: f64 = 4.0;
const MARGIN: f64 = 16.0;
const LIST_W: f64 = 240.0;
const LEGEND_H: f64 = 56.0;
/// How many top regions get their value on the tile and a line in the list.
const TOP: usize = 5;

const BG: &str = "#0b0f17";
const EMPTY_FILL: &str = "#131a26";
const EMPTY_STROKE: &str = "#243045";
const TEXT: &str = "#e8edf5";
const DARK_TEXT: &str = "#0b0f17";
const MUTED: &str = "#8a97ad";
/// The ends of the scale: the least GMV above zero, and the most.
const LOW: [u8; 3] = [0x4a, 0x3f, 0x1e];
const HIGH: [u8; 3] = [0xff, 0xcc, 0x4d];

/// A tile's square: its top-left corner and side, in SVG units.
pub fn tile_rect(tile: (u8, u8)) -> (f64, f64, f64) {
    let (row, col) = tile;
    (
        MARGIN + f64::from(col) * CELL + GAP / 2.0,
        MARGIN + f64::from(row) * CELL + GAP / 2.0,
        CELL - GAP,
    )
}

/// Where on the scale a GMV falls: 0 for none, 1 for the top region.
fn scale(gmv: i64, max: i64) -> f64 {
    if gmv <= 0 || max <= 0 {
        return 0.0;
    }
    (gmv as f64 / max as f64).sqrt().clamp(0.0, 1.0)
}

/// The fill for a point on the scale (`None`: an empty tile).
fn colour(t: f64) -> Option<String> {
    if t <= 0.0 {
        return None;
    }
    let mix = |i: usize| {
        let (a, b) = (f64::from(LOW[i]), f64::from(HIGH[i]));
        (a + (b - a) * t).round() as u8
    };
    Some(format!("#{:02x}{:02x}{:02x}", mix(0), mix(1), mix(2)))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A short amount for a tile, three figures: ¥1.23亿 / ¥12.3万 / ¥123万 in
/// Chinese, ¥1.23B / ¥12.3K in English; amounts under 10,000 in full.
fn compact(cur: &Currency, minor: i64, lang: Lang) -> String {
    let major = minor as f64 / cur.scale() as f64;
    let steps: &[(f64, &str)] = match lang {
        Lang::Zh => &[(1e8, "亿"), (1e4, "万")],
        Lang::En => &[(1e9, "B"), (1e6, "M"), (1e4, "K")],
    };
    for &(at, unit) in steps {
        if major.abs() >= at {
            let div = if unit == "K" { 1e3 } else { at };
            let n = major.abs() / div;
            let digits = if n >= 100.0 {
                0
            } else if n >= 10.0 {
                1
            } else {
                2
            };
            return format!("{}{:.*}{unit}", cur.symbol(), digits, major / div);
        }
    }
    money_label(cur, minor)
}

/// The map as SVG. `rows` are (region id or name, GMV in minor units), as
/// `/api/v1/regions` lists them; ids are normalised again, so a name and its
/// code add up. Shares are of the GMV in `rows`.
pub fn tile_map_svg(rows: &[(String, i64)], currency: &Currency, lang: Lang) -> String {
    tile_map_svg_of(rows, None, currency, lang)
}

/// [`tile_map_svg`] with shares of `sale_gmv` when given (the report's:
/// a region's share is of the whole sale, orders without a region too,
/// as in `regions.csv`).
pub fn tile_map_svg_of(
    rows: &[(String, i64)],
    sale_gmv: Option<i64>,
    currency: &Currency,
    lang: Lang,
) -> String {
    let mut gmv: FxHashMap<String, i64> = FxHashMap::default();
    for (id, v) in rows {
        *gmv.entry(geo::normalise(id).into_owned()).or_default() += v;
    }
    let total: i64 = sale_gmv.unwrap_or_else(|| {
        gmv.values()
            .filter(|v| **v > 0)
            .fold(0i64, |a, v| a.saturating_add(*v))
    });
    let mut ranked: Vec<(&str, i64)> = gmv.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    ranked.retain(|r| r.1 > 0);
    // The scale and the values on tiles are the divisions' own: a large
    // cross-border region is listed, but does not wash out the map.
    let on_map = || ranked.iter().filter(|r| geo::division(r.0).is_some());
    let max = on_map().map(|r| r.1).next().unwrap_or(0);
    let top: Vec<&str> = on_map().take(TOP).map(|r| r.0).collect();
    let share = |v: i64| {
        if total > 0 {
            format!("{:.1}%", v as f64 * 100.0 / total as f64)
        } else {
            "—".into()
        }
    };
    let (rows_n, cols_n) = (f64::from(GRID.0), f64::from(GRID.1));
    let map_w = cols_n * CELL;
    let width = MARGIN * 3.0 + map_w + LIST_W;
    let height = MARGIN * 2.0 + rows_n * CELL + LEGEND_H;
    let mut s = String::with_capacity(16 * 1024);
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" \
         font-family=\"'Noto Sans CJK SC','WenQuanYi Micro Hei','PingFang SC','Microsoft YaHei',sans-serif\" role=\"img\">\
         <title>{}</title><rect width=\"{width}\" height=\"{height}\" rx=\"10\" fill=\"{BG}\"/>",
        match lang {
            Lang::Zh => "各地区成交额 GMV by region",
            Lang::En => "GMV by region 各地区成交额",
        }
    );
    for d in &DIVISIONS {
        let v = gmv.get(d.code).copied().unwrap_or(0);
        let t = scale(v, max);
        let (x, y, side) = tile_rect(d.tile);
        let (cx, cy) = (x + side / 2.0, y + side / 2.0);
        let (fill, stroke) = match colour(t) {
            Some(c) => (c, "none"),
            None => (EMPTY_FILL.to_string(), EMPTY_STROKE),
        };
        let ink = if t > 0.55 { DARK_TEXT } else { TEXT };
        let value = compact(currency, v, lang);
        let tip = match lang {
            Lang::Zh => format!(
                "{} {}：成交额 {}，占比 {}",
                d.short_zh,
                d.name_en,
                money_label(currency, v),
                share(v)
            ),
            Lang::En => format!(
                "{} {}: GMV {}, share {}",
                d.name_en,
                d.short_zh,
                money_label(currency, v),
                share(v)
            ),
        };
        let _ = write!(
            s,
            "<g><title>{}</title><rect class=\"tile\" data-code=\"{}\" x=\"{x}\" y=\"{y}\" width=\"{side}\" height=\"{side}\" rx=\"6\" fill=\"{fill}\" stroke=\"{stroke}\"/>",
            esc(&tip),
            d.code
        );
        // The name fits three characters in 86% of the side; the top
        // regions move it up to make room for their value.
        let font = (side * 0.86 / 3.0).floor();
        let labelled = top.contains(&d.code);
        let name_y = if labelled { cy - 4.0 } else { cy + font * 0.36 };
        let _ = write!(
            s,
            "<text x=\"{cx}\" y=\"{name_y}\" font-size=\"{font}\" font-weight=\"700\" text-anchor=\"middle\" fill=\"{ink}\">{}</text>",
            d.short_zh
        );
        if labelled {
            let _ = write!(
                s,
                "<text x=\"{cx}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"{ink}\">{}</text>",
                cy + 15.0,
                esc(&value)
            );
        }
        s.push_str("</g>");
    }
    list(
        &mut s,
        &ranked,
        currency,
        lang,
        &share,
        MARGIN * 2.0 + map_w,
    );
    legend(&mut s, max, currency, lang, MARGIN + rows_n * CELL + 22.0);
    s.push_str("</svg>");
    s
}

/// The top regions beside the map, ranked by GMV.
fn list(
    s: &mut String,
    ranked: &[(&str, i64)],
    currency: &Currency,
    lang: Lang,
    share: &dyn Fn(i64) -> String,
    x: f64,
) {
    let heading = match lang {
        Lang::Zh => "地区排行 Top regions",
        Lang::En => "Top regions 地区排行",
    };
    let _ = write!(
        s,
        "<text x=\"{x}\" y=\"{}\" font-size=\"15\" fill=\"{MUTED}\">{heading}</text>",
        MARGIN + 16.0
    );
    if ranked.is_empty() {
        let none = match lang {
            Lang::Zh => "暂无数据 No sales yet",
            Lang::En => "No sales yet 暂无数据",
        };
        let _ = write!(
            s,
            "<text x=\"{x}\" y=\"{}\" font-size=\"14\" fill=\"{MUTED}\">{none}</text>",
            MARGIN + 44.0
        );
    }
    for (i, (id, v)) in ranked.iter().take(TOP).enumerate() {
        let y = MARGIN + 46.0 + i as f64 * 30.0;
        let name = geo::display_name(id, lang);
        let _ = write!(
            s,
            "<text x=\"{x}\" y=\"{y}\" font-size=\"15\" fill=\"{TEXT}\"><tspan fill=\"{MUTED}\">{}</tspan> {}</text>\
             <text x=\"{}\" y=\"{y}\" font-size=\"15\" font-weight=\"700\" text-anchor=\"end\" fill=\"{TEXT}\">{} <tspan font-weight=\"400\" fill=\"{MUTED}\">{}</tspan></text>",
            i + 1,
            esc(&shorten(name, 16)),
            x + LIST_W,
            esc(&compact(currency, *v, lang)),
            share(*v)
        );
    }
}

/// A name cut to fit the list, with an ellipsis (a cross-border region is
/// whatever string the order carried). Widths count a CJK character as two
/// Latin ones; `max` is in Latin characters.
fn shorten(name: &str, max: usize) -> String {
    let width = |c: char| if c >= '\u{2e80}' { 2 } else { 1 };
    if name.chars().map(width).sum::<usize>() <= max {
        return name.to_string();
    }
    let mut used = 1; // the ellipsis
    let mut cut = String::new();
    for c in name.chars() {
        used += width(c);
        if used > max {
            break;
        }
        cut.push(c);
    }
    cut.push('…');
    cut
}

/// The colour scale under the map: empty, then the least to the most GMV.
fn legend(s: &mut String, max: i64, currency: &Currency, lang: Lang, y: f64) {
    let (none, most) = match lang {
        Lang::Zh => ("无成交", "成交额"),
        Lang::En => ("no sales", "GMV"),
    };
    let x = MARGIN + GAP / 2.0;
    let _ = write!(
        s,
        "<rect x=\"{x}\" y=\"{y}\" width=\"14\" height=\"14\" rx=\"3\" fill=\"{EMPTY_FILL}\" stroke=\"{EMPTY_STROKE}\"/>\
         <text x=\"{}\" y=\"{}\" font-size=\"13\" fill=\"{MUTED}\">{none}</text>",
        x + 20.0,
        y + 12.0
    );
    let bar_x = x + 100.0;
    s.push_str("<defs><linearGradient id=\"tile-scale\">");
    for i in 0..=4 {
        let t = f64::from(i) / 4.0;
        // The gradient runs in value, the scale in its square root.
        let fill = colour(t.sqrt().max(f64::EPSILON)).unwrap_or_default();
        let _ = write!(s, "<stop offset=\"{t}\" stop-color=\"{fill}\"/>");
    }
    s.push_str("</linearGradient></defs>");
    let _ = write!(
        s,
        "<text x=\"{bar_x}\" y=\"{}\" font-size=\"13\" fill=\"{MUTED}\">{most}</text>\
         <rect x=\"{}\" y=\"{y}\" width=\"200\" height=\"14\" rx=\"3\" fill=\"url(#tile-scale)\"/>\
         <text x=\"{}\" y=\"{}\" font-size=\"13\" fill=\"{MUTED}\">{}</text>",
        y + 12.0,
        bar_x + 56.0,
        bar_x + 264.0,
        y + 12.0,
        esc(&compact(currency, max.max(0), lang))
    );
}

#[cfg(test)]
mod tests;
