//! The cluster test's NDJSON lines as text: money as decimal strings,
//! items, timestamps as epoch milliseconds or RFC 3339, ids as strings or
//! integers, and lines that break one rule each (docs/api.md, Events).

use super::load::Item;

pub fn money(fen: i64) -> String {
    format!("\"{}.{:02}\"", fen / 100, fen % 100)
}

pub fn items_json(items: &[Item]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|it| {
            let cost = it.cost.map(|c| format!(",\"cost\":{}", money(c)));
            format!(
                "{{\"sku\":\"{}\",\"qty\":{},\"price\":{}{}}}",
                it.sku,
                it.qty,
                money(it.price),
                cost.unwrap_or_default()
            )
        })
        .collect();
    format!("[{}]", parts.join(","))
}

/// `ts` as epoch milliseconds, or (for some events) as RFC 3339.
pub fn ts_json(ts: i64, rfc: bool) -> String {
    match chrono::DateTime::from_timestamp_millis(ts) {
        Some(t) if rfc => format!(
            "\"{}\"",
            t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        ),
        _ => ts.to_string(),
    }
}

/// An id as JSON: a numeric id sent again may come as an integer.
pub fn id_json(id: &str, as_integer: bool) -> String {
    if as_integer && id.bytes().all(|b| b.is_ascii_digit()) {
        id.to_string()
    } else {
        format!("\"{id}\"")
    }
}

/// A line that breaks a rule, of kind `kind` (0–7); `reuse` is an order
/// id that is valid elsewhere (a bad line takes no id).
pub fn bad_line(kind: u64, reuse: &str, next: u64, now: i64) -> String {
    let future = now + 3_600_000;
    match kind {
        0 => format!(
            "{{\"type\":\"order\",\"id\":\"{reuse}\",\"store\":\"s1\",\"items\":[{{\"sku\":\"k01\",\"qty\":0,\"price\":\"1.00\"}}]}}"
        ),
        1 => "{\"type\":\"order\",\"id\":".to_string(),
        2 => format!(
            "{{\"type\":\"order\",\"id\":\"bad{}\",\"store\":\"s1\",\"items\":[{{\"sku\":\"k02\",\"qty\":1,\"price\":\"1.001\"}}]}}",
            next
        ),
        3 => "{\"type\":\"refund\",\"id\":\"rbad\",\"items\":[{\"sku\":\"k01\",\"qty\":1,\"price\":\"1.00\"}]}".to_string(),
        4 => "{\"type\":\"stock\",\"sku\":\"k01\"}".to_string(),
        5 => format!(
            "{{\"type\":\"order\",\"id\":\"{reuse}x\",\"ts\":{future},\"store\":\"s2\",\"items\":[{{\"sku\":\"k03\",\"qty\":1,\"price\":\"3.00\"}}]}}"
        ),
        6 => format!(
            "{{\"type\":\"order\",\"id\":\"{reuse}\",\"store\":\"s2\",\"currency\":\"USD\",\"items\":[{{\"sku\":\"k03\",\"qty\":1,\"price\":\"3.00\"}}]}}"
        ),
        // JSON, but not an object (never `[`: a body starting with one
        // would be read as a JSON array).
        _ => "\"an order\"".to_string(),
    }
}
