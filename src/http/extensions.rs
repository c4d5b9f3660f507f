//! `Sec-WebSocket-Extensions` for the screen socket: the client's offers
//! parsed (RFC 6455, 9.1) and the one `permessage-deflate` offer we can
//! honour chosen (RFC 7692; docs/api.md, Live frames, "Compression").
//!
//! The server compresses each message on its own with a 15-bit window and
//! never reads a compressed message, so it can honour an offer unless the
//! offer asks for a smaller server window, or is malformed (an unknown or
//! repeated parameter, a value out of range): such an offer is declined
//! and the next one considered, as RFC 7692 asks. The answer always says
//! `server_no_context_takeover` — the compressed copy of a frame is shared
//! by every screen of its topic, which only works if no message depends on
//! the one before.

/// One offered extension: its name and parameters (values unquoted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub name: String,
    pub params: Vec<(String, Option<String>)>,
}

/// The offers of every `Sec-WebSocket-Extensions` value, in order.
/// Elements that do not parse are skipped; the rest still count.
pub fn parse<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<Offer> {
    values
        .into_iter()
        .flat_map(|v| split_outside_quotes(v, ','))
        .filter_map(offer)
        .collect()
}

/// The `Sec-WebSocket-Extensions` answer for the first `permessage-deflate`
/// offer we can honour, or `None` to send every message plain.
pub fn choose_deflate(offers: &[Offer]) -> Option<String> {
    offers
        .iter()
        .filter(|o| o.name == "permessage-deflate")
        .find_map(answer)
}

/// Our answer to one `permessage-deflate` offer, if we can honour it.
fn answer(offer: &Offer) -> Option<String> {
    let mut reply = String::from("permessage-deflate; server_no_context_takeover");
    let mut seen: Vec<&str> = Vec::new();
    for (key, value) in &offer.params {
        if seen.contains(&key.as_str()) {
            return None;
        }
        seen.push(key);
        match (key.as_str(), value.as_deref()) {
            ("server_no_context_takeover", None) => {}
            ("client_no_context_takeover", None) => reply.push_str("; client_no_context_takeover"),
            // We compress with a 15-bit window: a smaller one is declined,
            // 15 itself must be echoed to accept (RFC 7692, 7.1.2.1).
            ("server_max_window_bits", Some(bits)) => {
                if window_bits(bits)? < 15 {
                    return None;
                }
                reply.push_str("; server_max_window_bits=15");
            }
            // The client may limit its own window; we never read
            // compressed messages, so we need not ask it to.
            ("client_max_window_bits", None) => {}
            ("client_max_window_bits", Some(bits)) => {
                window_bits(bits)?;
            }
            _ => return None,
        }
    }
    Some(reply)
}

/// A window size as RFC 7692 writes it: 8 to 15, no leading zero.
fn window_bits(value: &str) -> Option<u8> {
    if value.starts_with('0') || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok().filter(|b| (8..=15).contains(b))
}

/// One list element: `name *( ";" param [ "=" value ] )`.
fn offer(element: &str) -> Option<Offer> {
    let mut parts = split_outside_quotes(element, ';').into_iter();
    let name = parts.next().filter(|n| is_token(n))?.to_ascii_lowercase();
    let params = parts.map(param).collect::<Option<Vec<_>>>()?;
    Some(Offer { name, params })
}

fn param(part: &str) -> Option<(String, Option<String>)> {
    let (key, value) = match part.split_once('=') {
        Some((k, v)) => (k.trim(), Some(unquote(v.trim())?)),
        None => (part, None),
    };
    is_token(key).then(|| (key.to_ascii_lowercase(), value))
}

/// A token, or a quoted string holding one (RFC 6455, 9.1).
fn unquote(value: &str) -> Option<String> {
    let text = match value.strip_prefix('"') {
        None => value.to_string(),
        Some(rest) => {
            let inner = rest.strip_suffix('"')?;
            let mut text = String::new();
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => text.push(chars.next()?),
                    '"' => return None,
                    c => text.push(c),
                }
            }
            text
        }
    };
    is_token(&text).then_some(text)
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && !br#"()<>@,;:\"/[]?={}"#.contains(&b))
}

/// `s` split at `sep` where it is not inside a quoted string; parts
/// trimmed, empty ones (as in `a, ,b`) left out.
fn split_outside_quotes(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choose(values: &[&str]) -> Option<String> {
        choose_deflate(&parse(values.iter().copied()))
    }

    #[test]
    fn offers_parse_across_headers_lists_and_quotes() {
        let offers = parse([
            "permessage-deflate; client_max_window_bits, x-webkit-deflate-frame",
            r#"Permessage-Deflate ; server_max_window_bits="15" ;client_no_context_takeover"#,
            " , foo;bar=\"a\\\"b\", baz",
        ]);
        let names: Vec<&str> = offers.iter().map(|o| o.name.as_str()).collect();
        // `foo` carries a quoted value that is not a token: dropped alone.
        assert_eq!(
            names,
            [
                "permessage-deflate",
                "x-webkit-deflate-frame",
                "permessage-deflate",
                "baz"
            ]
        );
        assert_eq!(
            offers[0].params,
            [("client_max_window_bits".to_string(), None)]
        );
        assert_eq!(
            offers[2].params,
            [
                ("server_max_window_bits".to_string(), Some("15".to_string())),
                ("client_no_context_takeover".to_string(), None)
            ]
        );
    }

    #[test]
    fn a_quoted_comma_does_not_split_the_list() {
        let offers = parse([r#"a; p="x,y", permessage-deflate"#]);
        // The quoted value is not a token, so `a` is declined, but the
        // comma inside it did not make a bogus element.
        assert_eq!(offers.len(), 1);
        assert_eq!(offers[0].name, "permessage-deflate");
    }

    #[test]
    fn what_chromium_offers_is_accepted() {
        assert_eq!(
            choose(&["permessage-deflate; client_max_window_bits"]).as_deref(),
            Some("permessage-deflate; server_no_context_takeover")
        );
        assert_eq!(
            choose(&["permessage-deflate"]).as_deref(),
            Some("permessage-deflate; server_no_context_takeover")
        );
    }

    #[test]
    fn the_answer_echoes_what_the_offer_requires() {
        assert_eq!(
            choose(&["permessage-deflate; client_no_context_takeover; server_max_window_bits=15; server_no_context_takeover"]).as_deref(),
            Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15")
        );
    }

    #[test]
    fn an_offer_we_cannot_honour_gives_way_to_the_next_or_to_none() {
        assert_eq!(
            choose(&["permessage-deflate; server_max_window_bits=10"]),
            None
        );
        assert_eq!(
            choose(&["permessage-deflate; server_max_window_bits=10, permessage-deflate; client_no_context_takeover"]).as_deref(),
            Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover")
        );
        for bad in [
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_max_window_bits=015",
            "permessage-deflate; client_max_window_bits=7",
            "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; unknown_param",
            "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
            "x-webkit-deflate-frame",
        ] {
            assert_eq!(choose(&[bad]), None, "{bad}");
        }
        assert_eq!(choose(&[]), None);
    }
}
