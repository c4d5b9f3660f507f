//! The tile map's tests: every division drawn once, no overlap, the
//! scale's ends, escaping, and well-formed XML.

use super::*;
use crate::geo::DIVISIONS;

fn cny() -> Currency {
    Currency {
        code: "CNY".into(),
        exponent: 2,
    }
}

fn rows() -> Vec<(String, i64)> {
    vec![
        ("44".into(), 900_000_000),
        ("31".into(), 400_000_000),
        ("Shanghai".into(), 100_000_000),
        ("黑龙江".into(), 1_000_000),
        ("US".into(), 200_000_000),
        ("<b>&\"x\"".into(), 500),
    ]
}

#[test]
fn every_division_has_one_tile_with_its_short_name() {
    let svg = tile_map_svg(&rows(), &cny(), Lang::Zh);
    assert_eq!(svg.matches("<rect class=\"tile\"").count(), 34);
    for d in &DIVISIONS {
        assert!(
            svg.contains(&format!(">{}</text>", d.short_zh)),
            "{}",
            d.short_zh
        );
        assert!(svg.contains(&format!("data-code=\"{}\"", d.code)));
    }
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.ends_with("</svg>"));
    assert_eq!(svg.matches("<g>").count(), svg.matches("</g>").count());
}

#[test]
fn text_from_orders_is_escaped() {
    let svg = tile_map_svg(&rows(), &cny(), Lang::En);
    assert!(!svg.contains("<b>"));
    // Ranked sixth: not listed; a top-five one is.
    let mut top = rows();
    top.push(("<b>&\"x\"".into(), 9_900_000_000));
    let svg = tile_map_svg(&top, &cny(), Lang::En);
    assert!(svg.contains("&lt;b&gt;&amp;&quot;x&quot;"));
    assert!(!svg.contains("<b>"));
}

#[test]
fn tiles_do_not_overlap_and_stay_on_the_picture() {
    let rects: Vec<_> = DIVISIONS.iter().map(|d| tile_rect(d.tile)).collect();
    for (i, a) in rects.iter().enumerate() {
        assert!(a.0 >= MARGIN && a.1 >= MARGIN);
        assert!(a.0 + a.2 <= MARGIN + f64::from(GRID.1) * CELL);
        assert!(a.1 + a.2 <= MARGIN + f64::from(GRID.0) * CELL);
        for b in &rects[i + 1..] {
            let apart =
                a.0 + a.2 <= b.0 || b.0 + b.2 <= a.0 || a.1 + a.2 <= b.1 || b.1 + b.2 <= a.1;
            assert!(apart, "{a:?} overlaps {b:?}");
        }
    }
}

#[test]
fn the_top_region_gets_the_strongest_colour_and_empty_tiles_none() {
    let svg = tile_map_svg(&rows(), &cny(), Lang::Zh);
    let fill_of = |code: &str| {
        let at = svg.find(&format!("data-code=\"{code}\"")).unwrap_or(0);
        let rest = &svg[at..];
        let f = rest.find("fill=\"").map(|i| &rest[i + 6..i + 13]);
        f.unwrap_or("").to_string()
    };
    let high = format!("#{:02x}{:02x}{:02x}", HIGH[0], HIGH[1], HIGH[2]);
    assert_eq!(fill_of("44"), high);
    // 上海 sent as a code and a name adds up: 50 of 90 → √(5/9) of the way.
    assert_eq!(
        fill_of("31"),
        colour((5.0f64 / 9.0).sqrt()).unwrap_or_default()
    );
    assert_ne!(fill_of("23"), EMPTY_FILL);
    assert_eq!(fill_of("11"), EMPTY_FILL);
    // The top five divisions carry their value: 广东 ¥900万; the
    // foreign US is listed but leaves the scale to the divisions.
    assert!(svg.contains(">¥900万</text>"));
    assert!(svg.contains("US</text>"));
    let mut big_us = rows();
    big_us.push(("US".into(), 9_000_000_000));
    let svg = tile_map_svg(&big_us, &cny(), Lang::Zh);
    assert!(svg.contains(&format!(
        "data-code=\"44\" x=\"274\" y=\"402\" width=\"60\" height=\"60\" rx=\"6\" fill=\"{high}\""
    )));
}

#[test]
fn an_empty_sale_draws_an_empty_map() {
    let svg = tile_map_svg(&[], &cny(), Lang::En);
    assert_eq!(
        svg.matches(&format!("fill=\"{EMPTY_FILL}\" stroke"))
            .count(),
        34 + 1
    );
    assert!(svg.contains("No sales yet"));
}

#[test]
fn the_picture_parses_as_xml() {
    // No XML parser is a dependency: check that every element opened
    // is closed, in order, and that no raw `&` or `<` is left in text.
    let svg = tile_map_svg(&rows(), &cny(), Lang::Zh);
    let mut open: Vec<&str> = Vec::new();
    let mut rest = svg.as_str();
    while let Some(i) = rest.find('<') {
        let text = &rest[..i];
        assert!(!text.contains('>'), "stray > in {text:?}");
        for amp in text.match_indices('&') {
            let tail = &text[amp.0..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;"]
                    .iter()
                    .any(|e| tail.starts_with(e))
            );
        }
        let end = rest[i..].find('>').map(|j| i + j).unwrap_or(rest.len());
        let tag = &rest[i + 1..end];
        let name = tag.split([' ', '/']).find(|s| !s.is_empty()).unwrap_or("");
        if let Some(closing) = tag.strip_prefix('/') {
            assert_eq!(open.pop(), Some(closing), "at {tag}");
        } else if !tag.ends_with('/') {
            open.push(name);
        }
        rest = &rest[(end + 1).min(rest.len())..];
    }
    assert!(open.is_empty(), "unclosed {open:?}");
}

#[test]
fn long_names_are_shortened_in_the_list() {
    assert_eq!(shorten("Inner Mongolia", 16), "Inner Mongolia");
    assert_eq!(shorten("黑龙江", 16), "黑龙江");
    assert_eq!(shorten("Londonderry County", 16), "Londonderry Cou…");
    assert_eq!(shorten("阿拉伯联合酋长国迪拜", 16), "阿拉伯联合酋长…");
}

#[test]
fn compact_amounts() {
    let c = cny();
    assert_eq!(compact(&c, 12_345_678_900, Lang::Zh), "¥1.23亿");
    assert_eq!(compact(&c, 12_345_678_900, Lang::En), "¥123M");
    assert_eq!(compact(&c, 1_234_500, Lang::En), "¥12.3K");
    assert_eq!(compact(&c, 999_900, Lang::Zh), "¥9,999");
}
