//! Money: exact decimal text in, integer minor units out.
//!
//! Every amount inside warroom is an `i64` count of the currency's minor unit
//! (fen, cents). Prices arrive as JSON numbers or decimal strings and config
//! amounts as TOML strings or floats; they are parsed here from their *text*,
//! digit by digit, so `99.5`, `99.50` and `"99.50"` are all exactly 9950 fen and
//! binary floating-point drift (`19.99 * 100 = 1998.999…`) cannot happen.
//! On the way out, amounts are formatted here too: plain major units for
//! CSV ([`Currency::format_major`]) and grouped labels with the currency's
//! symbol for messages, charts and the report ([`money_label`]).

use std::fmt;

/// ISO 4217's currency codes (list one, 2025) with their minor units: code
/// then decimals, sorted. Left out: precious metals, the SDR and other
/// units without minor units (`XAU`, `XDR`, `XTS`, `XXX`…), no sale's
/// currency.
pub const ISO_4217: &str = "\
     AED2 AFN2 ALL2 AMD2 ANG2 AOA2 ARS2 AUD2 AWG2 AZN2 BAM2 BBD2 BDT2 BGN2 \
     BHD3 BIF0 BMD2 BND2 BOB2 BOV2 BRL2 BSD2 BTN2 BWP2 BYN2 BZD2 CAD2 CDF2 \
     CHE2 CHF2 CHW2 CLF4 CLP0 CNY2 COP2 COU2 CRC2 CUC2 CUP2 CVE2 CZK2 DJF0 \
     DKK2 DOP2 DZD2 EGP2 ERN2 ETB2 EUR2 FJD2 FKP2 GBP2 GEL2 GHS2 GIP2 GMD2 \
     GNF0 GTQ2 GYD2 HKD2 HNL2 HTG2 HUF2 IDR2 ILS2 INR2 IQD3 IRR2 ISK0 JMD2 \
     JOD3 JPY0 KES2 KGS2 KHR2 KMF0 KPW2 KRW0 KWD3 KYD2 KZT2 LAK2 LBP2 LKR2 \
     LRD2 LSL2 LYD3 MAD2 MDL2 MGA2 MKD2 MMK2 MNT2 MOP2 MRU2 MUR2 MVR2 MWK2 \
     MXN2 MXV2 MYR2 MZN2 NAD2 NGN2 NIO2 NOK2 NPR2 NZD2 OMR3 PAB2 PEN2 PGK2 \
     PHP2 PKR2 PLN2 PYG0 QAR2 RON2 RSD2 RUB2 RWF0 SAR2 SBD2 SCR2 SDG2 SEK2 \
     SGD2 SHP2 SLE2 SOS2 SRD2 SSP2 STN2 SVC2 SYP2 SZL2 THB2 TJS2 TMT2 TND3 \
     TOP2 TRY2 TTD2 TWD2 TZS2 UAH2 UGX0 USD2 USN2 UYI0 UYU2 UYW4 UZS2 VED2 \
     VES2 VND0 VUV0 WST2 XAF0 XCD2 XCG2 XOF0 XPF0 YER2 ZAR2 ZMW2 ZWG2";

/// A currency as the sale declares it: its ISO code and how many decimal
/// places its minor unit has (2 for CNY/USD, 0 for JPY/KRW, 3 for KWD…).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Currency {
    pub code: String,
    pub exponent: u32,
}

impl Currency {
    /// The currency of an ISO 4217 code with its minor-unit exponent;
    /// `None` for anything not in [`ISO_4217`] (a made-up code, lower case,
    /// gold or a test code).
    pub fn from_code(code: &str) -> Option<Currency> {
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return None;
        }
        let entry = ISO_4217
            .split_ascii_whitespace()
            .find(|e| e.starts_with(code))?;
        let exponent = entry[3..].parse().ok()?;
        Some(Currency {
            code: code.to_string(),
            exponent,
        })
    }

    /// Minor units in one major unit (100 for CNY).
    pub fn scale(&self) -> i64 {
        10_i64.pow(self.exponent)
    }

    /// The sign labels put before an amount; empty for currencies without
    /// one here (the code is then clear from the sale).
    pub fn symbol(&self) -> &'static str {
        match self.code.as_str() {
            "CNY" | "JPY" => "¥",
            "USD" => "$",
            "EUR" => "€",
            "GBP" => "£",
            _ => "",
        }
    }

    /// Formats minor units as a major-unit decimal with the currency's places.
    pub fn format_major(&self, minor: i64) -> String {
        if self.exponent == 0 {
            return minor.to_string();
        }
        let scale = self.scale();
        let sign = if minor < 0 { "-" } else { "" };
        let abs = minor.unsigned_abs();
        format!(
            "{sign}{}.{:0width$}",
            abs / scale as u64,
            abs % scale as u64,
            width = self.exponent as usize
        )
    }
}

/// Amount in major units with separators and no decimals when whole:
/// "¥100,000,000" — for labels (alert messages, charts, the report), not
/// for CSV.
pub fn money_label(cur: &Currency, minor: i64) -> String {
    let text = cur.format_major(minor);
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let frac = if frac.bytes().all(|b| b == b'0') {
        String::new()
    } else {
        format!(".{frac}")
    };
    format!("{sign}{}{grouped}{frac}", cur.symbol())
}

/// Why a decimal amount was refused; the caller adds the field name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountError {
    NotANumber,
    Negative,
    TooManyDecimals(u32),
    TooLarge,
}

impl fmt::Display for AmountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AmountError::NotANumber => f.write_str("must be a decimal number"),
            AmountError::Negative => f.write_str("must not be negative"),
            AmountError::TooManyDecimals(n) => write!(f, "must have at most {n} decimals"),
            AmountError::TooLarge => f.write_str("is too large"),
        }
    }
}

/// Parses decimal text (`"99.5"`, `"1e2"`, `"100000000.00"`) into minor units.
///
/// `max_decimals` bounds the digits after the point (2 for event prices), and
/// the result is scaled to `exponent` places. Values at or above `limit_major`
/// major units are refused. Negative values are refused.
pub fn parse_minor(
    text: &str,
    exponent: u32,
    max_decimals: u32,
    limit_major: u64,
) -> Result<i64, AmountError> {
    if let Some(v) = plain_minor(
        text.as_bytes(),
        exponent.min(max_decimals),
        exponent,
        limit_major,
    ) {
        return Ok(v);
    }
    let text = text.trim();
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exp10) = match body.find(['e', 'E']) {
        Some(i) => {
            let e: i32 = body[i + 1..].parse().map_err(|_| AmountError::NotANumber)?;
            (&body[..i], e)
        }
        None => (body, 0),
    };
    let (int_part, frac_part) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(AmountError::NotANumber);
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(AmountError::NotANumber);
    }
    // All digits as one integer, with `point` digits after the decimal point.
    let digits = int_part.bytes().chain(frac_part.bytes());
    let mut value: u128 = 0;
    let mut significant = 0;
    for d in digits {
        if value == 0 && d == b'0' {
            continue;
        }
        significant += 1;
        if significant > 30 {
            return Err(AmountError::TooLarge);
        }
        value = value * 10 + u128::from(d - b'0');
    }
    let mut point = frac_part.len() as i64 - i64::from(exp10);
    // Trailing zeros after the point carry no value: "99.500" is two decimals.
    while point > 0 && value.is_multiple_of(10) && value != 0 {
        value /= 10;
        point -= 1;
    }
    if value == 0 {
        return Ok(0);
    }
    if neg {
        return Err(AmountError::Negative);
    }
    if point > i64::from(max_decimals) || point > i64::from(exponent) {
        return Err(AmountError::TooManyDecimals(max_decimals.min(exponent)));
    }
    let shift = i64::from(exponent) - point;
    if shift > 30 {
        return Err(AmountError::TooLarge);
    }
    let minor = value
        .checked_mul(10_u128.pow(shift as u32))
        .ok_or(AmountError::TooLarge)?;
    let limit = u128::from(limit_major) * 10_u128.pow(exponent);
    if minor >= limit || minor > i64::MAX as u128 {
        return Err(AmountError::TooLarge);
    }
    Ok(minor as i64)
}

/// The common case, fast: plain digits with at most one point and few
/// enough digits for `i64` (`"99.50"`, `"128"`). Anything else — signs,
/// exponents, too many decimals, errors — returns `None` for the full parser.
fn plain_minor(text: &[u8], max_decimals: u32, exponent: u32, limit_major: u64) -> Option<i64> {
    if text.is_empty() || text.len() > 17 || text[0] == b'.' {
        return None;
    }
    let (mut value, mut decimals, mut dot) = (0i64, 0u32, false);
    for &b in text {
        match b {
            b'0'..=b'9' => {
                value = value * 10 + i64::from(b - b'0');
                decimals += u32::from(dot);
            }
            b'.' if !dot => dot = true,
            _ => return None,
        }
    }
    if dot && decimals == 0 {
        return None;
    }
    while decimals > 0 && value % 10 == 0 {
        value /= 10;
        decimals -= 1;
    }
    if decimals > max_decimals {
        return None;
    }
    let minor = value.checked_mul(10_i64.pow(exponent - decimals))?;
    let limit = i64::try_from(limit_major)
        .ok()?
        .checked_mul(10_i64.pow(exponent))?;
    (minor < limit).then_some(minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: u64 = 10_000_000_000;

    fn cny(text: &str) -> Result<i64, AmountError> {
        parse_minor(text, 2, 2, LIMIT)
    }

    #[test]
    fn same_amount_in_every_spelling() {
        for t in ["99.5", "99.50", "099.50", "9950e-2", "0.995e2", "99.500"] {
            assert_eq!(cny(t), Ok(9950), "{t}");
        }
        assert_eq!(cny("19.99"), Ok(1999));
        assert_eq!(cny("0.1"), Ok(10));
        assert_eq!(cny("0"), Ok(0));
        assert_eq!(cny("-0"), Ok(0));
        assert_eq!(cny("9999999999.99"), Ok(999_999_999_999));
        assert_eq!(cny("99.5"), Ok(9950));
        assert_eq!(cny("5.00"), Ok(500));
        assert_eq!(
            cny("5."),
            Ok(500),
            "full parser: a trailing point is allowed"
        );
        assert_eq!(cny(".5"), Ok(50));
    }

    #[test]
    fn fast_and_full_parsers_agree() {
        for t in [
            "0",
            "1",
            "10",
            "99.5",
            "99.50",
            "0.01",
            "1.10",
            "123456789.12",
            "9999999999.99",
            "00012.30",
        ] {
            let fast = plain_minor(t.as_bytes(), 2, 2, LIMIT);
            assert_eq!(fast.map(Ok), Some(cny(t)), "{t}");
        }
        for t in ["1.001", "10000000000", "1e2", "-1", "1.2.3", "", "abc"] {
            assert_eq!(plain_minor(t.as_bytes(), 2, 2, LIMIT), None, "{t}");
        }
    }

    #[test]
    fn refuses_what_is_not_money() {
        assert_eq!(cny("1.001"), Err(AmountError::TooManyDecimals(2)));
        assert_eq!(cny("-1"), Err(AmountError::Negative));
        assert_eq!(cny("10000000000"), Err(AmountError::TooLarge));
        assert_eq!(cny("abc"), Err(AmountError::NotANumber));
        assert_eq!(cny("1.2.3"), Err(AmountError::NotANumber));
        assert_eq!(cny(""), Err(AmountError::NotANumber));
        assert_eq!(cny("."), Err(AmountError::NotANumber));
        assert_eq!(cny("1e400"), Err(AmountError::TooLarge));
    }

    #[test]
    fn currency_exponents() {
        let jpy = Currency::from_code("JPY").expect("JPY");
        assert_eq!(parse_minor("120", jpy.exponent, 2, LIMIT), Ok(120));
        assert_eq!(
            parse_minor("120.5", jpy.exponent, 2, LIMIT),
            Err(AmountError::TooManyDecimals(0))
        );
        let kwd = Currency::from_code("KWD").expect("KWD");
        assert_eq!(parse_minor("1.25", kwd.exponent, 2, LIMIT), Ok(1250));
        assert_eq!(Currency::from_code("cny"), None);
        for made_up in ["XYZ", "ABC", "XAU", "CN", "CNYY", ""] {
            assert_eq!(Currency::from_code(made_up), None, "{made_up}");
        }
        assert_eq!(Currency::from_code("XPF").map(|c| c.exponent), Some(0));
        assert_eq!(Currency::from_code("CLF").map(|c| c.exponent), Some(4));
        assert_eq!(Currency::from_code("ZWG").map(|c| c.exponent), Some(2));
        let c = Currency::from_code("CNY").expect("CNY");
        assert_eq!(c.format_major(9950), "99.50");
        assert_eq!(c.format_major(-5), "-0.05");
        assert_eq!(jpy.format_major(120), "120");
    }

    #[test]
    fn money_labels() {
        let cny = Currency::from_code("CNY").expect("CNY");
        assert_eq!(money_label(&cny, 10_000_000_000), "¥100,000,000");
        assert_eq!(money_label(&cny, 123_456), "¥1,234.56");
        assert_eq!(money_label(&cny, -5_000), "-¥50");
        let kwd = Currency::from_code("KWD").expect("KWD");
        assert_eq!(money_label(&kwd, 1_234_500), "1,234.500");
        assert_eq!(money_label(&kwd, 1_000), "1");
    }
}
