//! An order's `region` as sent → the division's two-digit code, or the
//! trimmed string itself (docs/api.md, Regions).
//!
//! This runs on every order line at ingest rates, so it never allocates:
//! codes are read from their bytes, Chinese names are looked up as given,
//! and English names are folded into a stack buffer (ASCII letters and
//! digits only, lower-cased) so "Hong Kong", "hong-kong" and "HONGKONG" are
//! one key; full-width digits and letters ("３１") are narrowed to ASCII
//! first, in a stack buffer too. The lookup tables are built once, from
//! [`DIVISIONS`] and the alias lists below, so no name is written twice.

use std::borrow::Cow;
use std::sync::LazyLock;

use rustc_hash::FxHashMap;

use super::{DIVISIONS, division};

/// Other Chinese spellings seen in order systems: traditional characters
/// (Hong Kong, Macao and Taiwan systems write them) and colloquial forms.
const ZH_ALIASES: &[(&str, &str)] = &[
    ("内蒙", "15"),
    ("台灣", "71"),
    ("臺灣", "71"),
    ("台灣省", "71"),
    ("臺灣省", "71"),
    ("香港特別行政區", "81"),
    ("澳門", "82"),
    ("澳門特別行政區", "82"),
];

/// Other English spellings, folded (see [`fold`]): pinyin and official
/// long forms, older romanisations, and the ISO 3166 codes of Hong Kong,
/// Macao and Taiwan (a cross-border system sends those for them).
const EN_ALIASES: &[(&str, &str)] = &[
    ("peking", "11"),
    ("neimongol", "15"),
    ("neimenggu", "15"),
    ("innermongoliaautonomousregion", "15"),
    ("guangxizhuang", "45"),
    ("guangxizhuangautonomousregion", "45"),
    ("xizang", "54"),
    ("tibetautonomousregion", "54"),
    ("xizangautonomousregion", "54"),
    ("ningxiahui", "64"),
    ("ningxiahuiautonomousregion", "64"),
    ("xinjianguygur", "65"),
    ("xinjianguyghur", "65"),
    ("xinjianguygurautonomousregion", "65"),
    ("xinjianguyghurautonomousregion", "65"),
    ("tw", "71"),
    ("taiwanprovince", "71"),
    ("hk", "81"),
    ("hongkongsar", "81"),
    ("xianggang", "81"),
    ("macau", "82"),
    ("mo", "82"),
    ("macaosar", "82"),
    ("macausar", "82"),
    ("aomen", "82"),
];

/// Suffixes an English name may carry ("Guangdong Province", "Beijing
/// Municipality"), folded; tried after the whole name.
const EN_SUFFIXES: &[&str] = &["province", "municipality", "city", "shi", "sheng"];

/// The longest English key, folded, that is worth looking up.
const FOLD_MAX: usize = 48;

struct Tables {
    /// Two-digit codes, full and short Chinese names, Chinese aliases.
    exact: FxHashMap<&'static str, &'static str>,
    /// Folded English names and aliases.
    english: FxHashMap<String, &'static str>,
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    let mut exact = FxHashMap::default();
    let mut english = FxHashMap::default();
    for d in &DIVISIONS {
        exact.insert(d.name_zh, d.code);
        exact.insert(d.short_zh, d.code);
        let mut buf = [0; FOLD_MAX];
        if let Some(key) = fold(d.name_en, &mut buf) {
            english.insert(key.to_string(), d.code);
        }
    }
    exact.extend(ZH_ALIASES.iter().copied());
    english.extend(EN_ALIASES.iter().map(|&(k, c)| (k.to_string(), c)));
    Tables { exact, english }
});

/// `region` as sent → a division's code, or the trimmed input when it names
/// none (a cross-border sale: "US", "新加坡"). Accepts the two-digit code
/// ("31"), the province's six-digit code ("310000"), the full or short
/// Chinese name, or the English name in any case and spacing.
pub fn normalise(raw: &str) -> Cow<'_, str> {
    let s = raw.trim();
    Cow::Borrowed(lookup(s).unwrap_or(s))
}

fn lookup(s: &str) -> Option<&'static str> {
    let digits = || s.bytes().all(|b| b.is_ascii_digit());
    match s.len() {
        2 if digits() => return division(s).map(|d| d.code),
        // The province's own six-digit code only: a district code such as
        // "310115" is not mapped, as six digits may as well be a postcode.
        6 if digits() && s.ends_with("0000") => return division(&s[..2]).map(|d| d.code),
        _ => {}
    }
    let tables = &*TABLES;
    if let Some(&code) = tables.exact.get(s) {
        return Some(code);
    }
    if !s.is_ascii() {
        let mut buf = [0; NARROW_MAX];
        return narrow(s, &mut buf).and_then(lookup);
    }
    let mut buf = [0; FOLD_MAX];
    let key = fold(s, &mut buf)?;
    if let Some(&code) = tables.english.get(key) {
        return Some(code);
    }
    EN_SUFFIXES.iter().find_map(|suffix| {
        let stem = key.strip_suffix(suffix).filter(|s| !s.is_empty())?;
        tables.english.get(stem).copied()
    })
}

/// The longest full-width spelling, in bytes once narrowed, worth reading.
const NARROW_MAX: usize = 64;

/// `s` with its full-width ASCII forms (`"３１"`, `"Ｓｈａｎｇｈａｉ"`, the
/// ideographic space), as Chinese input methods type them, narrowed to
/// ASCII into `buf`; `None` if any other character is not ASCII.
fn narrow<'b>(s: &str, buf: &'b mut [u8; NARROW_MAX]) -> Option<&'b str> {
    let mut n = 0;
    for c in s.chars() {
        let b = match u32::from(c) {
            a @ 0..=0x7f => a as u8,
            w @ 0xff01..=0xff5e => (w - 0xfee0) as u8,
            0x3000 => b' ',
            _ => return None,
        };
        *buf.get_mut(n)? = b;
        n += 1;
    }
    std::str::from_utf8(&buf[..n]).ok()
}

/// ASCII letters and digits of `s`, lower-cased, into `buf`; `None` if `s`
/// is not ASCII or folds to more than [`FOLD_MAX`] bytes (no name does).
fn fold<'b>(s: &str, buf: &'b mut [u8; FOLD_MAX]) -> Option<&'b str> {
    let mut n = 0;
    for &c in s.as_bytes() {
        if !c.is_ascii() {
            return None;
        }
        if c.is_ascii_alphanumeric() {
            *buf.get_mut(n)? = c.to_ascii_lowercase();
            n += 1;
        }
    }
    std::str::from_utf8(&buf[..n]).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(raw: &str) -> &str {
        match normalise(raw) {
            Cow::Borrowed(s) => s,
            Cow::Owned(_) => "owned",
        }
    }

    #[test]
    fn every_name_of_every_division_gives_its_code() {
        for d in &DIVISIONS {
            let six = format!("{}0000", d.code);
            for raw in [d.code, six.as_str(), d.name_zh, d.short_zh, d.name_en] {
                assert_eq!(code(raw), d.code, "{raw}");
            }
            let upper = d.name_en.to_uppercase();
            let lower = d.name_en.to_lowercase();
            let padded = format!(" \t{}\u{3000}\n", d.short_zh);
            let province = format!("{} Province", d.name_en);
            for raw in [&upper, &lower, &padded, &province] {
                assert_eq!(code(raw), d.code, "{raw:?}");
            }
        }
    }

    #[test]
    fn variants() {
        for (raw, want) in [
            ("Macau", "82"),
            ("Xizang", "54"),
            ("Nei Mongol", "15"),
            ("inner mongolia", "15"),
            ("Guangxi Zhuang Autonomous Region", "45"),
            ("Hongkong", "81"),
            ("Hong-Kong SAR", "81"),
            ("HK", "81"),
            ("臺灣", "71"),
            ("Shaanxi", "61"),
            ("Shanxi", "14"),
            ("Beijing Shi", "11"),
            ("Shanghai Municipality", "31"),
            (" 440000 ", "44"),
            ("３１", "31"),
            ("\u{3000}４４００００ ", "44"),
            ("ＳＨＡＮＧＨＡＩ", "31"),
            ("Ｉｎｎｅｒ　Ｍｏｎｇｏｌｉａ", "15"),
            ("ｈｋ", "81"),
        ] {
            assert_eq!(code(raw), want, "{raw}");
        }
    }

    #[test]
    fn other_regions_are_kept_trimmed() {
        for (raw, want) in [
            ("US", "US"),
            (" 新加坡 ", "新加坡"),
            ("99", "99"),
            ("310115", "310115"),
            ("990000", "990000"),
            ("3", "3"),
            ("", ""),
            ("Province", "Province"),
            ("上海 市", "上海 市"),
            ("９９", "９９"),
            ("Ｐａｒｉｓ", "Ｐａｒｉｓ"),
            (
                "Londonderry County Borough Council District Of Somewhere Far",
                "Londonderry County Borough Council District Of Somewhere Far",
            ),
        ] {
            assert_eq!(code(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn the_result_borrows_the_input_or_the_table() {
        let raw = String::from(" Paris ");
        assert!(matches!(normalise(&raw), Cow::Borrowed("Paris")));
        assert!(matches!(normalise("上海市"), Cow::Borrowed("31")));
    }

    #[test]
    fn aliases_name_real_divisions_and_clash_with_nothing() {
        for &(_, c) in ZH_ALIASES.iter().chain(EN_ALIASES) {
            assert!(division(c).is_some(), "{c}");
        }
        for &(k, _) in EN_ALIASES {
            let mut buf = [0; FOLD_MAX];
            assert_eq!(fold(k, &mut buf), Some(k), "aliases are written folded");
        }
        // Built from the lists without one key overwriting another.
        let names = DIVISIONS.len();
        assert_eq!(TABLES.exact.len(), 2 * names + ZH_ALIASES.len());
        assert_eq!(TABLES.english.len(), names + EN_ALIASES.len());
    }
}
