//! China's 34 province-level divisions: the one table behind an order's
//! `region` (docs/api.md, Regions), the regions view, the screen's tile map
//! and the report's.
//!
//! Each division carries its GB/T 2260 two-digit code (the id every figure
//! is kept under), its names in Chinese and English, a cell on the tile grid
//! (the usual "China tile grid map": one square per division, placed roughly
//! where it lies) and its population at the 2020 census, which the demo
//! uses to weight its buyers. The page and the report draw from this table
//! (`divisions_json`, `export::tile_map_svg`), so it is written once.
//! Turning what a client sends into a code lives in `normalise`.

mod normalise;

pub use normalise::normalise;

use crate::config::Lang;

/// One province-level division.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Division {
    /// GB/T 2260 two-digit code: "31".
    pub code: &'static str,
    /// The full name: "上海市", "内蒙古自治区".
    pub name_zh: &'static str,
    /// The name a screen shows: "上海", "内蒙古".
    pub short_zh: &'static str,
    pub name_en: &'static str,
    /// (row, col) on the tile grid, row 0 at the top; see [`GRID`].
    pub tile: (u8, u8),
    /// Millions of people at the 2020 census (the seventh national census
    /// for the 31 mainland divisions; the 2020 estimates the census
    /// communiqué gives for Hong Kong, Macao and Taiwan).
    pub population_m: f64,
}

/// Rows and columns of the tile grid.
pub const GRID: (u8, u8) = (8, 8);

const fn d(
    code: &'static str,
    name_zh: &'static str,
    short_zh: &'static str,
    name_en: &'static str,
    tile: (u8, u8),
    population_m: f64,
) -> Division {
    Division {
        code,
        name_zh,
        short_zh,
        name_en,
        tile,
        population_m,
    }
}

/// The 34 divisions, sorted by code (`division` searches it).
///
/// The grid, 8 × 8 (row 0 at the top):
///
/// ```text
///        0     1     2     3     4     5     6     7
///  0                                               黑龙江
///  1                          内蒙古  北京  辽宁  吉林
///  2   新疆         宁夏  山西  河北  天津
///  3         青海  甘肃  陕西  河南  山东
///  4         西藏  四川  重庆  湖北  安徽  江苏  上海
///  5               云南  贵州  湖南  江西  浙江
///  6                     广西  广东  福建  台湾
///  7                     海南  澳门  香港
/// ```
pub static DIVISIONS: [Division; 34] = [
    d("11", "北京市", "北京", "Beijing", (1, 5), 21.893),
    d("12", "天津市", "天津", "Tianjin", (2, 5), 13.866),
    d("13", "河北省", "河北", "Hebei", (2, 4), 74.610),
    d("14", "山西省", "山西", "Shanxi", (2, 3), 34.916),
    d(
        "15",
        "内蒙古自治区",
        "内蒙古",
        "Inner Mongolia",
        (1, 4),
        24.049,
    ),
    d("21", "辽宁省", "辽宁", "Liaoning", (1, 6), 42.591),
    d("22", "吉林省", "吉林", "Jilin", (1, 7), 24.073),
    d("23", "黑龙江省", "黑龙江", "Heilongjiang", (0, 7), 31.850),
    d("31", "上海市", "上海", "Shanghai", (4, 7), 24.871),
    d("32", "江苏省", "江苏", "Jiangsu", (4, 6), 84.748),
    d("33", "浙江省", "浙江", "Zhejiang", (5, 6), 64.568),
    d("34", "安徽省", "安徽", "Anhui", (4, 5), 61.027),
    d("35", "福建省", "福建", "Fujian", (6, 5), 41.540),
    d("36", "江西省", "江西", "Jiangxi", (5, 5), 45.189),
    d("37", "山东省", "山东", "Shandong", (3, 5), 101.527),
    d("41", "河南省", "河南", "Henan", (3, 4), 99.366),
    d("42", "湖北省", "湖北", "Hubei", (4, 4), 57.753),
    d("43", "湖南省", "湖南", "Hunan", (5, 4), 66.445),
    d("44", "广东省", "广东", "Guangdong", (6, 4), 126.013),
    d("45", "广西壮族自治区", "广西", "Guangxi", (6, 3), 50.127),
    d("46", "海南省", "海南", "Hainan", (7, 3), 10.081),
    d("50", "重庆市", "重庆", "Chongqing", (4, 3), 32.054),
    d("51", "四川省", "四川", "Sichuan", (4, 2), 83.675),
    d("52", "贵州省", "贵州", "Guizhou", (5, 3), 38.562),
    d("53", "云南省", "云南", "Yunnan", (5, 2), 47.209),
    d("54", "西藏自治区", "西藏", "Tibet", (4, 1), 3.648),
    d("61", "陕西省", "陕西", "Shaanxi", (3, 3), 39.529),
    d("62", "甘肃省", "甘肃", "Gansu", (3, 2), 25.020),
    d("63", "青海省", "青海", "Qinghai", (3, 1), 5.924),
    d("64", "宁夏回族自治区", "宁夏", "Ningxia", (2, 2), 7.203),
    d("65", "新疆维吾尔自治区", "新疆", "Xinjiang", (2, 0), 25.852),
    d("71", "台湾省", "台湾", "Taiwan", (6, 6), 23.561),
    d("81", "香港特别行政区", "香港", "Hong Kong", (7, 5), 7.474),
    d("82", "澳门特别行政区", "澳门", "Macao", (7, 4), 0.683),
];

/// The division with this two-digit code (a normalised `region`).
pub fn division(code: &str) -> Option<&'static Division> {
    DIVISIONS
        .binary_search_by(|d| d.code.cmp(code))
        .ok()
        .map(|i| &DIVISIONS[i])
}

/// What a screen or report calls a region: a division's short Chinese name
/// (or its English name in English), any other region its id as sent.
pub fn display_name(id: &str, lang: Lang) -> &str {
    match (division(id), lang) {
        (Some(d), Lang::Zh) => d.short_zh,
        (Some(d), Lang::En) => d.name_en,
        (None, _) => id,
    }
}

/// The table for the page's tile map: `[{code, name_zh, short_zh, name_en,
/// row, col}]`, in code order.
pub fn divisions_json() -> serde_json::Value {
    DIVISIONS
        .iter()
        .map(|d| {
            serde_json::json!({
                "code": d.code,
                "name_zh": d.name_zh,
                "short_zh": d.short_zh,
                "name_en": d.name_en,
                "row": d.tile.0,
                "col": d.tile.1,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_sorted_and_found() {
        assert!(DIVISIONS.windows(2).all(|w| w[0].code < w[1].code));
        for d in &DIVISIONS {
            assert_eq!(d.code.len(), 2);
            assert!(d.code.bytes().all(|b| b.is_ascii_digit()));
            assert_eq!(division(d.code), Some(d));
        }
        assert_eq!(division("99"), None);
        assert_eq!(division("US"), None);
    }

    #[test]
    fn tiles_are_unique_and_inside_the_grid() {
        let mut seen = HashSet::new();
        for d in &DIVISIONS {
            assert!(
                d.tile.0 < GRID.0 && d.tile.1 < GRID.1,
                "{} off the grid",
                d.code
            );
            assert!(seen.insert(d.tile), "{} shares cell {:?}", d.code, d.tile);
        }
    }

    #[test]
    fn tiles_keep_the_map_readable() {
        let at = |code: &str| division(code).map(|d| d.tile);
        let (hlj, xj) = (at("23"), at("65"));
        // 黑龙江 top right, 新疆 in the west, 海南 at the bottom.
        assert_eq!(hlj.map(|t| t.0), Some(0));
        assert_eq!(xj.map(|t| t.1), Some(0));
        assert_eq!(at("46").map(|t| t.0), Some(GRID.0 - 1));
        // 台湾 right of 福建; 香港 and 澳门 below 广东.
        assert_eq!(at("71"), at("35").map(|(r, c)| (r, c + 1)));
        let gd = at("44").map(|t| t.0);
        assert_eq!(at("81").map(|t| t.0), gd.map(|r| r + 1));
        assert_eq!(at("82").map(|t| t.0), gd.map(|r| r + 1));
    }

    #[test]
    fn populations_add_up_to_the_census() {
        let all: f64 = DIVISIONS.iter().map(|d| d.population_m).sum();
        // The 31 mainland divisions: 1,409.78 million at the 2020 census
        // (its total of 1,411.78 million adds 2 million serving soldiers,
        // counted in no division).
        let mainland: f64 = DIVISIONS
            .iter()
            .filter(|d| d.code < "71")
            .map(|d| d.population_m)
            .sum();
        assert!((mainland - 1409.78).abs() < 0.1, "{mainland}");
        assert!((all - 1441.5).abs() < 0.1, "{all}");
        assert!(DIVISIONS.iter().all(|d| d.population_m > 0.0));
    }

    #[test]
    fn names_are_unique_and_short_names_fit_a_tile() {
        let mut seen = HashSet::new();
        for d in &DIVISIONS {
            assert!(seen.insert(d.name_zh) && seen.insert(d.short_zh) && seen.insert(d.name_en));
            assert!(d.name_zh.starts_with(d.short_zh));
            assert!((2..=3).contains(&d.short_zh.chars().count()));
        }
    }

    #[test]
    fn display_names_and_json() {
        assert_eq!(display_name("31", Lang::Zh), "上海");
        assert_eq!(display_name("15", Lang::En), "Inner Mongolia");
        assert_eq!(display_name("新加坡", Lang::Zh), "新加坡");
        let json = divisions_json();
        let rows = json.as_array().map(Vec::len);
        assert_eq!(rows, Some(34));
        assert_eq!(json[22]["short_zh"], "四川");
        assert_eq!(json[22]["row"], 4);
        assert_eq!(json[22]["col"], 2);
    }
}
