//! docs/api.md, Events: every rule, one bad line each, rejected alone with the field
//! named, while the good lines around it land.

use crate::support::{START, ingest_at, post};

const GOOD_A: &str = r#"{"type":"order","id":"A","ts":1794326401000,"store":"s1","items":[{"sku":"k1","qty":1,"price":10}]}"#;
const GOOD_B: &str = r#"{"type":"order","id":"B","ts":1794326402000,"store":"s1","items":[{"sku":"k2","qty":2,"price":"5.50"}]}"#;

fn order_with(fields: &str) -> String {
    format!(r#"{{"type":"order","id":"X","ts":1794326403000,"store":"s1",{fields}}}"#)
}

fn item(fields: &str) -> String {
    order_with(&format!(r#""items":[{{{fields}}}]"#))
}

#[test]
fn each_bad_line_is_rejected_alone_with_its_field_named() {
    let long = "x".repeat(129);
    let too_many_items = format!(
        r#""items":[{}]"#,
        vec![r#"{"sku":"k1","qty":1,"price":1}"#; 1001].join(",")
    );
    let cases: Vec<(String, &str)> = vec![
        (r#"{"id":"X","store":"s1","items":[{"sku":"k1","qty":1,"price":1}]}"#.into(), "type: required"),
        (r#"{"type":"sale","id":"X"}"#.into(), "type: must be"),
        (r#"{"type":7,"id":"X"}"#.into(), "type: must be"),
        (r#"{"type":"order","store":"s1","items":[{"sku":"k1","qty":1,"price":1}]}"#.into(), "id: required"),
        (r#"{"type":"order","id":"","store":"s1","items":[{"sku":"k1","qty":1,"price":1}]}"#.into(), "id: must be 1 to 128"),
        (format!(r#"{{"type":"refund","id":"{long}","store":"s1","items":[{{"sku":"k1","qty":1,"price":1}}]}}"#), "id: must be 1 to 128"),
        (r#"{"type":"order","id":true,"store":"s1","items":[{"sku":"k1","qty":1,"price":1}]}"#.into(), "id: must be a string"),
        (r#"{"type":"order","id":"X","ts":1794326401000,"items":[{"sku":"k1","qty":1,"price":1}]}"#.into(), "store: required"),
        (format!(r#"{{"type":"order","id":"X","store":"{long}","items":[{{"sku":"k1","qty":1,"price":1}}]}}"#), "store: must be 1 to 128"),
        (r#"{"type":"order","id":"X","ts":"yesterday","store":"s1","items":[{"sku":"k1","qty":1,"price":1}]}"#.into(), "ts: \"yesterday\" is not an RFC 3339"),
        (r#"{"type":"order","id":"X","ts":1.5,"store":"s1","items":[{"sku":"k1","qty":1,"price":1}]}"#.into(), "ts: must be epoch milliseconds"),
        (r#"{"type":"order","id":"X","ts":1794326401,"store":"s1","items":[{"sku":"k1","qty":1,"price":1}]}"#.into(), "ts: 1794326401 is not epoch milliseconds"),
        (format!(r#"{{"type":"order","id":"X","ts":{},"store":"s1","items":[{{"sku":"k1","qty":1,"price":1}}]}}"#, START + 3_600_000 + 5 * 60_000 + 1), "ts: more than 5 minutes in the future"),
        (order_with(r#""channel":"","items":[{"sku":"k1","qty":1,"price":1}]"#), "channel: must be 1 to 128"),
        (order_with(&format!(r#""buyer":"{long}","items":[{{"sku":"k1","qty":1,"price":1}}]"#)), "buyer: must be 1 to 128"),
        (order_with(r#""new_buyer":"yes","items":[{"sku":"k1","qty":1,"price":1}]"#), "new_buyer: must be true or false"),
        (order_with(r#""currency":"USD","items":[{"sku":"k1","qty":1,"price":1}]"#), "currency: must be CNY"),
        (order_with(r#""x":1"#), "items: required"),
        (order_with(r#""items":{"sku":"k1"}"#), "items: must be an array"),
        (order_with(r#""items":[]"#), "items: must hold 1 to 1000 items, got 0"),
        (order_with(&too_many_items), "items: must hold 1 to 1000 items, got 1001"),
        (order_with(r#""items":[5]"#), "items[0]: must be an object"),
        (item(r#""qty":1,"price":1"#), "items[0].sku: required"),
        (item(r#""sku":"","qty":1,"price":1"#), "items[0].sku: must be 1 to 128"),
        (item(r#""sku":"k1","price":1"#), "items[0].qty: required"),
        (item(r#""sku":"k1","qty":0,"price":1"#), "items[0].qty: must be an integer from 1 to 1000000"),
        (item(r#""sku":"k1","qty":1000001,"price":1"#), "items[0].qty: must be an integer from 1 to 1000000"),
        (item(r#""sku":"k1","qty":1.5,"price":1"#), "items[0].qty: must be an integer"),
        (item(r#""sku":"k1","qty":"2","price":1"#), "items[0].qty: must be an integer"),
        (item(r#""sku":"k1","qty":1"#), "items[0].price: required"),
        (item(r#""sku":"k1","qty":1,"price":-1"#), "items[0].price: must not be negative"),
        (item(r#""sku":"k1","qty":1,"price":"1.001""#), "items[0].price: must have at most 2 decimals"),
        (item(r#""sku":"k1","qty":1,"price":1.001"#), "items[0].price: must have at most 2 decimals"),
        (item(r#""sku":"k1","qty":1,"price":"0.125""#), "items[0].price: must have at most 2 decimals"),
        (item(r#""sku":"k1","qty":1,"price":10000000000"#), "items[0].price: must be less than 10000000000"),
        (item(r#""sku":"k1","qty":1,"price":"abc""#), "items[0].price: must be a number"),
        (item(r#""sku":"k1","qty":1,"price":null"#), "items[0].price: must be a number"),
        (item(r#""sku":"k1","qty":1,"price":1,"cost":"x""#), "items[0].cost: must be a number"),
        (order_with(r#""items":[{"sku":"k1","qty":1,"price":1},{"sku":"k1","qty":-2,"price":1}]"#), "items[1].qty:"),
        (r#"{"type":"refund","id":"R","order":"","store":"s1","items":[{"sku":"k1","qty":1,"price":1}]}"#.into(), "order: must be 1 to 128"),
        (r#"{"type":"stock","level":5}"#.into(), "sku: required"),
        (r#"{"type":"stock","sku":"k1"}"#.into(), "level: required"),
        (r#"{"type":"stock","sku":"k1","level":-1}"#.into(), "level: must be an integer from 0"),
        (r#"{"type":"stock","sku":"k1","level":"5"}"#.into(), "level: must be an integer"),
        (r#"{"type":"order","id":"X",}"#.into(), "invalid JSON at column"),
        (r#"{"type":"order","id":"X""#.into(), "invalid JSON at column"),
        (r#"{"type":"order"} trailing"#.into(), "invalid JSON at column"),
        ("42".into(), "must be a JSON object"),
        (r#"["type","order"]"#.into(), "must be a JSON object"),
    ];
    for (bad, want) in cases {
        let (ingest, _clock) = ingest_at(START + 3_600_000);
        let body = format!("{GOOD_A}\n{bad}\n{GOOD_B}\n");
        let reply = post(&ingest, &body);
        assert_eq!(
            (reply.accepted, reply.rejected),
            (2, 1),
            "line {bad:.120} → {reply:?}"
        );
        assert_eq!(reply.errors.len(), 1);
        assert_eq!(reply.errors[0].line, 2);
        assert!(
            reply.errors[0].error.starts_with(want),
            "line {bad:.120}\n  wanted {want:?}\n  got    {:?}",
            reply.errors[0].error
        );
        let gmv = ingest.engine().read(|st, _| st.sale.counters.gmv);
        assert_eq!(gmv, 1000 + 1100, "good lines applied around {bad:.80}");
    }
}

#[test]
fn money_spellings_are_exact_and_equal() {
    let (ingest, _clock) = ingest_at(START + 3_600_000);
    let body = [
        r#"{"type":"order","id":"1","store":"s1","items":[{"sku":"k9","qty":1,"price":99.5}]}"#,
        r#"{"type":"order","id":"2","store":"s1","items":[{"sku":"k9","qty":1,"price":"99.50"}]}"#,
        r#"{"type":"order","id":"3","store":"s1","items":[{"sku":"k9","qty":1,"price":99.50}]}"#,
        r#"{"type":"order","id":"4","store":"s1","items":[{"sku":"k9","qty":3,"price":0.1},{"sku":"k9","qty":1,"price":0.2}]}"#,
        r#"{"type":"order","id":"5","store":"s1","items":[{"sku":"k9","qty":1,"price":"19.99"}]}"#,
        r#"{"type":"order","id":"6","store":"s1","items":[{"sku":"k9","qty":1,"price":"\u0031\u0039.99"}]}"#,
    ]
    .join("\n");
    let reply = post(&ingest, &body);
    assert_eq!(reply.accepted, 6, "{reply:?}");
    let gmv = ingest.engine().read(|st, _| st.sale.counters.gmv);
    assert_eq!(gmv, 3 * 9950 + 30 + 20 + 1999 * 2);
}

#[test]
fn ids_may_be_integers_and_escaped_strings() {
    let (ingest, _clock) = ingest_at(START + 3_600_000);
    let body = concat!(
        r#"{"type":"order","id":123,"store":"\u5e97","items":[{"sku":"k1","qty":1,"price":1}]}"#,
        "\n",
        r#"{"type":"order","id":"123","store":"店","items":[{"sku":"k1","qty":1,"price":1}]}"#,
    );
    let reply = post(&ingest, body);
    assert_eq!((reply.accepted, reply.duplicates), (1, 1), "{reply:?}");
    assert!(ingest.engine().read(|st, _| st.store_index("店").is_some()));
}

#[test]
fn framing_array_single_object_and_unreadable_bodies() {
    let (ingest, _clock) = ingest_at(START + 3_600_000);
    let array = format!("[{GOOD_A}, {{\"type\":\"nope\"}}, {GOOD_B}]");
    let reply = ingest
        .submit(array.as_bytes(), Some("application/json"))
        .expect("array")
        .reply;
    assert_eq!((reply.accepted, reply.rejected), (2, 1));
    assert_eq!(reply.errors[0].line, 2, "array index, 1-based");

    let pretty = "{\n  \"type\": \"order\",\n  \"id\": \"P\",\n  \"store\": \"s1\",\n  \"items\": [{\"sku\": \"k1\", \"qty\": 1, \"price\": 1}]\n}\n";
    let reply = ingest
        .submit(pretty.as_bytes(), Some("application/json"))
        .expect("single")
        .reply;
    assert_eq!(reply.accepted, 1, "{reply:?}");

    assert!(ingest.submit(b"", None).is_err());
    assert!(ingest.submit(b" \n\n ", None).is_err());
    assert!(ingest.submit(b"not json\nat all\n", None).is_err());
    assert!(ingest.submit(b"[1, 2", Some("application/json")).is_err());
    assert!(ingest.submit(b"[]", Some("application/json")).is_err());
    let applied = ingest.engine().read(|st, _| st.events_applied);
    assert_eq!(applied, 3, "nothing from refused bodies was applied");
}

#[test]
fn errors_list_stops_at_100_but_counts_all() {
    let (ingest, _clock) = ingest_at(START + 3_600_000);
    let mut body = String::new();
    for i in 0..250 {
        body.push_str(&format!("{{\"type\":\"order\",\"id\":\"{i}\"}}\n"));
    }
    body.push_str(GOOD_A);
    let reply = post(&ingest, &body);
    assert_eq!(
        (reply.accepted, reply.rejected, reply.errors.len()),
        (1, 250, 100)
    );
    assert_eq!(reply.errors[99].line, 100);
}

#[test]
fn blank_lines_count_in_line_numbers() {
    let (ingest, _clock) = ingest_at(START + 3_600_000);
    let reply = post(&ingest, &format!("{GOOD_A}\r\n\n{{\"type\":1}}\n"));
    assert_eq!(reply.errors[0].line, 3);
    assert_eq!(reply.accepted, 1);
}

#[test]
fn a_line_with_bytes_that_are_not_utf8_is_rejected_alone() {
    let (ingest, _clock) = ingest_at(START + 3_600_000);
    let mut body = Vec::new();
    body.extend_from_slice(GOOD_A.as_bytes());
    body.extend_from_slice(b"\n{\"type\":\"order\",\"id\":\"C\",\"store\":\"s\xff1\",\"items\":[{\"sku\":\"k1\",\"qty\":1,\"price\":1}]}\n");
    body.extend_from_slice(
        r#"{"type":"order","id":"店1","store":"店","items":[{"sku":"k1","qty":1,"price":1}]}"#
            .as_bytes(),
    );
    let reply = ingest
        .submit(&body, Some("application/x-ndjson"))
        .expect("readable")
        .reply;
    assert_eq!((reply.accepted, reply.rejected), (2, 1), "{reply:?}");
    assert_eq!(reply.errors[0].line, 2);
    assert!(
        reply.errors[0].error.contains("invalid JSON at column"),
        "{reply:?}"
    );
    assert!(ingest.engine().read(|st, _| st.store_index("店").is_some()));
}

/// Issue 12, item 16: a UTF-8 byte order mark at the start of a body (as
/// Windows tools write one) is skipped, in every framing.
#[test]
fn a_byte_order_mark_at_the_start_is_skipped() {
    let (ingest, _clock) = ingest_at(START + 3_600_000);
    let ndjson = format!("\u{feff}{GOOD_A}\n{GOOD_B}\n");
    let reply = post(&ingest, &ndjson);
    assert_eq!((reply.accepted, reply.rejected), (2, 0), "{reply:?}");
    let array = format!(
        "\u{feff}[{}]",
        order_with(r#""items":[{"sku":"k1","qty":1,"price":1}]"#)
    );
    let reply = ingest
        .submit(array.as_bytes(), Some("application/json"))
        .expect("an array after a BOM")
        .reply;
    assert_eq!(reply.accepted, 1, "{reply:?}");
    let single = format!("\u{feff}{}", GOOD_A.replace("\"A\"", "\"S\""));
    let reply = ingest
        .submit(single.as_bytes(), Some("application/json"))
        .expect("one object after a BOM")
        .reply;
    assert_eq!(reply.accepted, 1, "{reply:?}");
}

/// Issue 12, item 17: a key given twice is not "last wins" (which turned an
/// order into a stock event): the line is rejected naming the key.
#[test]
fn a_key_given_twice_rejects_the_line_naming_it() {
    let (ingest, _clock) = ingest_at(START + 3_600_000);
    let cases = [
        (
            r#"{"type":"order","id":"D1","store":"s1","items":[{"sku":"k1","qty":1,"price":1}],"type":"stock","sku":"k1","level":0}"#,
            "type: duplicate key",
        ),
        (
            r#"{"type":"order","id":"D2","id":"D3","store":"s1","items":[{"sku":"k1","qty":1,"price":1}]}"#,
            "id: duplicate key",
        ),
        (
            r#"{"type":"order","id":"D4","store":"s1","items":[{"sku":"k1","qty":1,"price":1},{"sku":"k1","qty":1,"qty":900,"price":1}]}"#,
            "items[1].qty: duplicate key",
        ),
    ];
    for (n, (line, want)) in cases.into_iter().enumerate() {
        let good = GOOD_A.replace("\"A\"", &format!("\"G{n}\""));
        let reply = post(&ingest, &format!("{good}\n{line}"));
        assert_eq!(
            (reply.accepted, reply.rejected),
            (1, 1),
            "{line}: {reply:?}"
        );
        assert_eq!(reply.errors[0].line, 2);
        assert!(
            reply.errors[0].error.starts_with(want),
            "{:?}",
            reply.errors
        );
    }
    // Unknown keys may repeat: they are ignored anyway.
    let fine = order_with(r#""note":1,"note":2,"items":[{"sku":"k1","qty":1,"price":1}]"#);
    assert_eq!(post(&ingest, &fine).accepted, 1);
    let st = ingest.engine().read(|st, _| st.events_applied);
    assert_eq!(st, 4, "only the good lines");
}

/// Issue 12, item 18: values the JSON reader itself refuses — a number
/// beyond any integer, `NaN`, an escaped lone surrogate — name their field.
#[test]
fn values_the_json_reader_refuses_name_their_field() {
    let (ingest, _clock) = ingest_at(START + 3_600_000);
    let cases = [
        (
            item(r#""sku":"k1","qty":1e400,"price":1"#),
            "items[0].qty: must be an integer from 1 to 1000000",
        ),
        (
            r#"{"type":"stock","sku":"k1","level":1e400}"#.to_string(),
            "level: must be an integer from 0 to 1000000000000",
        ),
        (
            r#"{"type":"stock","ts":1e400,"sku":"k1","level":1}"#.to_string(),
            "ts: must be epoch milliseconds or an RFC 3339 string",
        ),
        (
            item(r#""sku":"k1","qty":1,"price":NaN"#),
            "items[0].price: invalid JSON at column",
        ),
        (
            order_with(r#""buyer":"\ud800","items":[{"sku":"k1","qty":1,"price":1}]"#),
            "buyer: invalid JSON at column",
        ),
        (
            item(r#""sku":"\udc00x","qty":1,"price":1"#),
            "items[0].sku: invalid JSON at column",
        ),
    ];
    for (line, want) in cases {
        let reply = post(&ingest, &format!("{GOOD_A}\n{line}"));
        assert_eq!(reply.rejected, 1, "{line}");
        assert!(
            reply.errors[0].error.starts_with(want),
            "{line}: {:?}",
            reply.errors[0].error
        );
    }
}
