//! The rules of docs/api.md, Events, applied to one raw event.
//!
//! Each rule fails with `"<field>: <rule>"` (e.g. `items[0].qty: must be an
//! integer from 1 to 1000000`), the message the client sees next to the line
//! number. A failing event leaves the batch untouched.

use std::borrow::Cow;

use serde_json::value::RawValue;

use super::field::{Field, FieldPath};
use super::raw::{RawEvent, RawItem, Scalar};
use crate::event::{Batch, Event, Item, Kind, buyer_key, idempotency_key};
use crate::money::{AmountError, Currency, parse_minor};

/// Largest accepted price, in major units (exclusive).
pub const MAX_PRICE_MAJOR: u64 = 10_000_000_000;
pub const MAX_ITEMS: usize = 1_000;
pub const MAX_QTY: i64 = 1_000_000;
pub const MAX_LEVEL: i64 = 1_000_000_000_000;
/// Largest `visitors` or `page_views` of one traffic event.
pub const MAX_VISITS: i64 = 1_000_000_000_000;
/// Longest `region`, in characters.
pub const MAX_REGION_CHARS: usize = 64;
/// How far in the future a timestamp may be.
pub const MAX_FUTURE_MS: i64 = 5 * 60 * 1000;
/// Epoch-ms values below this (March 1973) are almost surely seconds.
const MIN_PLAUSIBLE_MS: i64 = 100_000_000_000;

/// What the rules need from outside the event: the sale's currency, now,
/// the longest line accepted, and how many rejected lines a reply lists.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'c> {
    pub currency: &'c Currency,
    pub now_ms: i64,
    pub max_line_bytes: usize,
    /// Line errors listed (all are counted): `MAX_LISTED_ERRORS` for an
    /// HTTP reply; the bus source lists every one, for its dead letters.
    pub max_listed: usize,
}

impl<'c> Rules<'c> {
    /// Rules with the default line limit (1 MiB).
    pub fn new(currency: &'c Currency, now_ms: i64) -> Rules<'c> {
        Rules {
            currency,
            now_ms,
            max_line_bytes: 1024 * 1024,
            max_listed: super::MAX_LISTED_ERRORS,
        }
    }
}

/// Checks one raw event and appends it to `out`, or says what is wrong.
pub fn validate<'a>(
    raw: &mut RawEvent<'a>,
    raw_items: &mut [RawItem<'a>],
    rules: &Rules<'_>,
    out: &mut Batch<'a>,
) -> Result<(), String> {
    if let Some(at) = raw.dup {
        return Err(format!(
            "{at}: duplicate key (each field may be given once)"
        ));
    }
    let kind = match &raw.ty {
        Some(Scalar::Str(s)) if s == "order" => Kind::Order,
        Some(Scalar::Str(s)) if s == "refund" => Kind::Refund,
        Some(Scalar::Str(s)) if s == "stock" => Kind::Stock,
        Some(Scalar::Str(s)) if s == "traffic" => Kind::Traffic,
        Some(Scalar::Str(s)) if s == "spend" => Kind::Spend,
        Some(Scalar::Str(s)) if s == "note" => {
            return Err(format!(
                "type: must be {KINDS_QUOTED} (notes are posted to /api/v1/notes)"
            ));
        }
        None | Some(Scalar::Null) => return Err(format!("type: required ({KINDS})")),
        Some(_) => return Err(format!("type: must be {KINDS_QUOTED}")),
    };
    let ts_ms = timestamp(raw.ts.as_ref(), rules.now_ms)?;
    if let Some(c) = present(raw.currency.as_ref()) {
        match c {
            Scalar::Str(code) if code == rules.currency.code.as_str() => {}
            Scalar::Str(code) => {
                return Err(format!(
                    "currency: must be {} (the sale's currency), got {code:?}",
                    rules.currency.code
                ));
            }
            _ => {
                return Err(format!(
                    "currency: must be the string {:?}",
                    rules.currency.code
                ));
            }
        }
    }

    if kind == Kind::Stock {
        let sku = required_id(raw.sku.take(), "sku")?;
        let level = match present(raw.level.as_ref()) {
            Some(Scalar::Int(n)) if (0..=MAX_LEVEL).contains(n) => *n,
            None => return Err("level: required for stock events".into()),
            Some(_) => return Err(format!("level: must be an integer from 0 to {MAX_LEVEL}")),
        };
        out.events.push(Event::stock(ts_ms, sku, level));
        return Ok(());
    }

    if kind == Kind::Traffic {
        return traffic(raw, ts_ms, out);
    }
    if kind == Kind::Spend {
        return spend(raw, ts_ms, rules, out);
    }

    let id = required_id(raw.id.take(), "id")?;
    let store = required_id(raw.store.take(), "store")?;
    let channel = optional_id(raw.channel.take(), "channel")?;
    let buyer = optional_id(raw.buyer.take(), "buyer")?;
    if kind == Kind::Refund {
        optional_id(raw.order.take(), "order")?;
    }
    let (region, campaign) = match kind {
        Kind::Order => (
            region(raw.region.take())?,
            optional_id(raw.campaign.take(), "campaign")?,
        ),
        _ => (None, None),
    };
    let new_buyer = match present(raw.new_buyer.as_ref()) {
        None => false,
        Some(Scalar::Bool(b)) => *b,
        Some(_) => return Err("new_buyer: must be true or false".into()),
    };
    let range = match raw.items.take() {
        None => return Err("items: required (1 to 1000 items)".into()),
        Some(Err(())) => return Err("items: must be an array of 1 to 1000 items".into()),
        Some(Ok(r)) => r,
    };
    if range.is_empty() || range.len() > MAX_ITEMS {
        return Err(format!(
            "items: must hold 1 to 1000 items, got {}",
            range.len()
        ));
    }
    let first = out.items.len();
    for (i, it) in raw_items[range].iter_mut().enumerate() {
        match item(it, rules.currency) {
            Ok(item) => out.items.push(item),
            Err(e) => {
                out.items.truncate(first);
                return Err(format!("items[{i}]{e}"));
            }
        }
    }
    out.events.push(Event {
        store,
        channel,
        buyer: buyer.as_deref().map(buyer_key),
        new_buyer,
        items: first as u32..out.items.len() as u32,
        region,
        campaign,
        ..Event::bare(kind, idempotency_key(kind, &id), ts_ms)
    });
    Ok(())
}

/// The kinds as the `type` errors list them.
const KINDS: &str = "order, refund, stock, traffic or spend";
const KINDS_QUOTED: &str = "\"order\", \"refund\", \"stock\", \"traffic\" or \"spend\"";

/// A traffic event (docs/api.md, Events: traffic): visits of a slice of
/// time, for a store, a channel, a product page or the whole sale.
fn traffic<'a>(raw: &mut RawEvent<'a>, ts_ms: i64, out: &mut Batch<'a>) -> Result<(), String> {
    let id = required_id(raw.id.take(), "id")?;
    let store = optional_id(raw.store.take(), "store")?;
    let channel = optional_id(raw.channel.take(), "channel")?;
    let sku = optional_id(raw.sku.take(), "sku")?;
    let visitors = visits(raw.visitors.as_ref(), "visitors")?
        .ok_or("visitors: required for traffic events (an integer ≥ 0)")?;
    let page_views = visits(raw.page_views.as_ref(), "page_views")?.unwrap_or(0);
    out.events.push(Event {
        store: store.unwrap_or_default(),
        channel,
        sku: sku.unwrap_or_default(),
        visitors,
        page_views,
        ..Event::bare(Kind::Traffic, idempotency_key(Kind::Traffic, &id), ts_ms)
    });
    Ok(())
}

/// A spend event (docs/api.md, Events: spend): promotion cost, money as
/// prices are, for a campaign, channel or store, or the whole sale.
fn spend<'a>(
    raw: &mut RawEvent<'a>,
    ts_ms: i64,
    rules: &Rules<'_>,
    out: &mut Batch<'a>,
) -> Result<(), String> {
    let id = required_id(raw.id.take(), "id")?;
    let store = optional_id(raw.store.take(), "store")?;
    let channel = optional_id(raw.channel.take(), "channel")?;
    let campaign = optional_id(raw.campaign.take(), "campaign")?;
    let amount = match raw.amount {
        Some(v) if v.get() != "null" => {
            amount(v, rules.currency).map_err(|e| format!("amount: {e}"))?
        }
        _ => return Err("amount: required for spend events".into()),
    };
    out.events.push(Event {
        store: store.unwrap_or_default(),
        channel,
        campaign,
        amount,
        ..Event::bare(Kind::Spend, idempotency_key(Kind::Spend, &id), ts_ms)
    });
    Ok(())
}

/// `visitors` or `page_views`: an integer from 0 to `MAX_VISITS`, or absent.
fn visits(v: Option<&Scalar<'_>>, field: &str) -> Result<Option<u64>, String> {
    match present(v) {
        None => Ok(None),
        Some(Scalar::Int(n)) if (0..=MAX_VISITS).contains(n) => Ok(Some(*n as u64)),
        Some(_) => Err(format!(
            "{field}: must be an integer from 0 to {MAX_VISITS}"
        )),
    }
}

/// An order's `region` (docs/api.md, Regions): a string of 1 to 64
/// characters, normalised to its division's code when it names one.
fn region(v: Option<Scalar<'_>>) -> Result<Option<Cow<'_, str>>, String> {
    let s = match v {
        None | Some(Scalar::Null) => return Ok(None),
        Some(Scalar::Str(s)) => s,
        Some(_) => {
            return Err(format!(
                "region: must be a string of 1 to {MAX_REGION_CHARS} characters (a province's code or name)"
            ));
        }
    };
    let n = s.trim().chars().count();
    if n == 0 || n > MAX_REGION_CHARS {
        return Err(format!(
            "region: must be 1 to {MAX_REGION_CHARS} characters, got {n}"
        ));
    }
    Ok(Some(match s {
        Cow::Borrowed(b) => crate::geo::normalise(b),
        Cow::Owned(o) => Cow::Owned(crate::geo::normalise(&o).into_owned()),
    }))
}

/// The error for a number beyond any integer (`1e400`) in the field at
/// `at`: that field's rule for a value of the wrong kind.
pub fn beyond_range(at: FieldPath, rules: &Rules<'_>) -> String {
    let field = match at.item {
        Some((_, f)) if at.field == Some(Field::Items) => f,
        _ => at.field,
    };
    let rule = match field {
        None => "must be an object with sku, qty and price".to_string(),
        Some(Field::Type) => format!("must be {KINDS_QUOTED}"),
        Some(Field::Ts) => "must be epoch milliseconds or an RFC 3339 string".into(),
        Some(Field::Level) => format!("must be an integer from 0 to {MAX_LEVEL}"),
        Some(Field::Visitors | Field::PageViews) => {
            format!("must be an integer from 0 to {MAX_VISITS}")
        }
        Some(Field::Region) => {
            format!("must be a string of 1 to {MAX_REGION_CHARS} characters")
        }
        Some(Field::Qty) => format!("must be an integer from 1 to {MAX_QTY}"),
        Some(Field::NewBuyer) => "must be true or false".into(),
        Some(Field::Currency) => format!("must be the string {:?}", rules.currency.code),
        Some(Field::Items) => "must be an array of 1 to 1000 items".into(),
        Some(Field::Price | Field::Cost | Field::Amount) => {
            "must be a number or a decimal string such as \"99.50\"".into()
        }
        Some(_) => "must be a string of 1 to 128 characters".into(),
    };
    format!("{at}: {rule}")
}

/// A field given as JSON `null` counts as absent.
fn present<'s, 'a>(v: Option<&'s Scalar<'a>>) -> Option<&'s Scalar<'a>> {
    v.filter(|s| **s != Scalar::Null)
}

fn id_value<'a>(v: Scalar<'a>, field: &str) -> Result<Cow<'a, str>, String> {
    let s = match v {
        Scalar::Str(s) => s,
        Scalar::Int(n) => Cow::Owned(n.to_string()),
        _ => return Err(format!("{field}: must be a string of 1 to 128 characters")),
    };
    // Up to 128 bytes is at most 128 characters: count only longer ones.
    if s.is_empty() || (s.len() > 128 && s.chars().count() > 128) {
        let n = s.chars().count();
        return Err(format!("{field}: must be 1 to 128 characters, got {n}"));
    }
    Ok(s)
}

fn required_id<'a>(v: Option<Scalar<'a>>, field: &str) -> Result<Cow<'a, str>, String> {
    match v {
        None | Some(Scalar::Null) => Err(format!("{field}: required")),
        Some(v) => id_value(v, field),
    }
}

fn optional_id<'a>(v: Option<Scalar<'a>>, field: &str) -> Result<Option<Cow<'a, str>>, String> {
    match v {
        None | Some(Scalar::Null) => Ok(None),
        Some(v) => id_value(v, field).map(Some),
    }
}

pub(super) fn timestamp(v: Option<&Scalar<'_>>, now_ms: i64) -> Result<i64, String> {
    let ts = match present(v) {
        None => return Ok(now_ms),
        Some(Scalar::Int(ms)) if *ms >= MIN_PLAUSIBLE_MS => *ms,
        Some(Scalar::Int(ms)) if *ms >= 0 => {
            return Err(format!(
                "ts: {ms} is not epoch milliseconds (it looks like seconds)"
            ));
        }
        Some(Scalar::Str(s)) => chrono::DateTime::parse_from_rfc3339(s)
            .map_err(|_| format!("ts: {s:?} is not an RFC 3339 date-time"))?
            .timestamp_millis(),
        Some(_) => return Err("ts: must be epoch milliseconds or an RFC 3339 string".into()),
    };
    if ts > now_ms + MAX_FUTURE_MS {
        return Err("ts: more than 5 minutes in the future".into());
    }
    Ok(ts)
}

/// Checks one item; the error starts with `.field` (the caller adds `items[i]`).
fn item<'a>(it: &mut RawItem<'a>, cur: &Currency) -> Result<Item<'a>, String> {
    if !it.is_object {
        return Err(": must be an object with sku, qty and price".into());
    }
    let sku = required_id(it.sku.take(), ".sku")?;
    let qty = match present(it.qty.as_ref()) {
        Some(Scalar::Int(q)) if (1..=MAX_QTY).contains(q) => *q as u32,
        None => return Err(".qty: required".into()),
        Some(_) => return Err(format!(".qty: must be an integer from 1 to {MAX_QTY}")),
    };
    let price = match it.price {
        None => return Err(".price: required".into()),
        Some(raw) => amount(raw, cur).map_err(|e| format!(".price: {e}"))?,
    };
    let cost = match it.cost {
        Some(raw) if raw.get() != "null" => {
            Some(amount(raw, cur).map_err(|e| format!(".cost: {e}"))?)
        }
        _ => None,
    };
    Ok(Item {
        sku,
        qty,
        price,
        cost,
    })
}

/// A price or cost from its raw JSON text: a number, or a decimal string.
fn amount(raw: &RawValue, cur: &Currency) -> Result<i64, String> {
    let text = raw.get();
    let unquoted;
    let text = if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        if inner.contains('\\') {
            unquoted = serde_json::from_str::<String>(text)
                .map_err(|_| "must be a decimal number".to_string())?;
            unquoted.as_str()
        } else {
            inner
        }
    } else {
        text
    };
    parse_minor(text, cur.exponent, 2, MAX_PRICE_MAJOR).map_err(|e| match e {
        AmountError::TooLarge => format!("must be less than {MAX_PRICE_MAJOR}"),
        AmountError::NotANumber => "must be a number or a decimal string such as \"99.50\"".into(),
        other => other.to_string(),
    })
}
