//! A log record's payload: a batch of validated events, compactly — the
//! payload of log formats 1 and 2 (unchanged since the first release; a
//! change is a new log format, see `log`).
//!
//! Not the request bytes: ids are already 128-bit keys, buyers hashed, money
//! integers, and numbers varints — about a third of the NDJSON size — and
//! decoding borrows every string from the record, so replay allocates
//! nothing per event. Layout per event:
//!
//! ```text
//! kind u8 | flags u8 | ts zigzag-varint |
//!   order/refund: key 16 bytes | store str | [channel str] | [buyer 16 bytes] |
//!                 item count varint | items: sku str, qty varint, price varint, [cost varint]
//!                 [region str] | [campaign str]             (log format 4, orders)
//!   stock:        sku str | level varint
//!   traffic:      key 16 bytes | store str | [channel str] | sku str |
//!                 visitors varint | page_views varint       (log format 4)
//!   spend:        key 16 bytes | store str | [channel str] | [campaign str] |
//!                 amount varint                             (log format 4)
//!   note:         id 8 bytes | scope str | text str | [author str]
//!   note_deleted: id 8 bytes                                (notes, see below)
//! str = varint length + UTF-8 bytes; an empty store or sku: none named
//! ```
//!
//! Format 4 only added kinds (3 traffic, 4 spend) and flags (region,
//! campaign): every record of formats 1–3 decodes as it did. The war-room
//! log added kinds 5 (a note) and 6 (a note's deletion) and the flag
//! `HAS_AUTHOR`; a record holding them is published under the format that
//! first holds them (`cluster::publish`, `record_format`). A kind byte
//! above 6 is a decode error (damage, or a newer format's record in a
//! segment whose marker was lost).

use std::borrow::Cow;

use crate::event::{Batch, Event, Item, Kind};
use crate::note::{NoteBody, NoteId, NoteScope};

const HAS_CHANNEL: u8 = 1;
const HAS_BUYER: u8 = 2;
const NEW_BUYER: u8 = 4;
const HAS_COST: u8 = 8;
const HAS_REGION: u8 = 16;
const HAS_CAMPAIGN: u8 = 32;
/// A note names its author.
const HAS_AUTHOR: u8 = 64;

/// A record that does not decode: the log is damaged at this record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("undecodable log record: {0}")]
pub struct DecodeError(pub &'static str);

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

fn string(out: &mut Vec<u8>, s: &str) {
    varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// Appends the encoding of `batch` to `out`.
pub fn encode(batch: &Batch<'_>, out: &mut Vec<u8>) {
    varint(out, batch.events.len() as u64);
    for e in &batch.events {
        out.push(match e.kind {
            Kind::Order => 0,
            Kind::Refund => 1,
            Kind::Stock => 2,
            Kind::Traffic => 3,
            Kind::Spend => 4,
            Kind::Note => 5,
            Kind::NoteDeleted => 6,
        });
        let items = batch.items_of(e);
        let mut flags = 0;
        if e.channel.is_some() {
            flags |= HAS_CHANNEL;
        }
        if e.buyer.is_some() {
            flags |= HAS_BUYER;
        }
        if e.new_buyer {
            flags |= NEW_BUYER;
        }
        if e.region.is_some() {
            flags |= HAS_REGION;
        }
        if e.campaign.is_some() {
            flags |= HAS_CAMPAIGN;
        }
        if e.note.as_ref().is_some_and(|n| n.author.is_some()) {
            flags |= HAS_AUTHOR;
        }
        out.push(flags);
        varint(out, zigzag(e.ts_ms));
        match e.kind {
            Kind::Stock => {
                string(out, &e.sku);
                varint(out, e.level as u64);
                continue;
            }
            Kind::Traffic | Kind::Spend => {
                out.extend_from_slice(&e.key.to_le_bytes());
                string(out, &e.store);
                if let Some(c) = &e.channel {
                    string(out, c);
                }
                if e.kind == Kind::Traffic {
                    string(out, &e.sku);
                    varint(out, e.visitors);
                    varint(out, e.page_views);
                } else {
                    if let Some(c) = &e.campaign {
                        string(out, c);
                    }
                    varint(out, e.amount as u64);
                }
                continue;
            }
            Kind::Note | Kind::NoteDeleted => {
                out.extend_from_slice(&e.note_id().0.to_le_bytes());
                if let Some(n) = &e.note {
                    string(out, &n.scope.to_string());
                    string(out, &n.text);
                    if let Some(a) = &n.author {
                        string(out, a);
                    }
                }
                continue;
            }
            Kind::Order | Kind::Refund => {}
        }
        out.extend_from_slice(&e.key.to_le_bytes());
        string(out, &e.store);
        if let Some(c) = &e.channel {
            string(out, c);
        }
        if let Some(b) = e.buyer {
            out.extend_from_slice(&b.to_le_bytes());
        }
        varint(out, items.len() as u64);
        for it in items {
            string(out, &it.sku);
            varint(out, u64::from(it.qty));
            varint(out, it.price as u64);
            match it.cost {
                Some(c) => {
                    out.push(HAS_COST);
                    varint(out, c as u64);
                }
                None => out.push(0),
            }
        }
        if let Some(r) = &e.region {
            string(out, r);
        }
        if let Some(c) = &e.campaign {
            string(out, c);
        }
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, DecodeError> {
        let b = *self.buf.get(self.at).ok_or(DecodeError("truncated"))?;
        self.at += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(DecodeError("varint too long"))
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or(DecodeError("truncated"))?;
        let s = &self.buf[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u128(&mut self) -> Result<u128, DecodeError> {
        let b = self.bytes(16)?;
        let mut a = [0u8; 16];
        a.copy_from_slice(b);
        Ok(u128::from_le_bytes(a))
    }

    fn str(&mut self) -> Result<Cow<'a, str>, DecodeError> {
        let n = self.varint()? as usize;
        let b = self.bytes(n)?;
        std::str::from_utf8(b)
            .map(Cow::Borrowed)
            .map_err(|_| DecodeError("bad UTF-8"))
    }
}

/// Decodes a record into `out` (cleared first), borrowing from `buf`.
pub fn decode<'a>(buf: &'a [u8], out: &mut Batch<'a>) -> Result<(), DecodeError> {
    out.clear();
    let mut r = Reader { buf, at: 0 };
    let n = r.varint()?;
    for _ in 0..n {
        let kind = match r.byte()? {
            0 => Kind::Order,
            1 => Kind::Refund,
            2 => Kind::Stock,
            3 => Kind::Traffic,
            4 => Kind::Spend,
            5 => Kind::Note,
            6 => Kind::NoteDeleted,
            _ => return Err(DecodeError("unknown event kind")),
        };
        let flags = r.byte()?;
        let ts_ms = unzigzag(r.varint()?);
        if kind.is_note() {
            out.events.push(note(&mut r, kind, flags, ts_ms)?);
            continue;
        }
        if kind == Kind::Stock {
            let sku = r.str()?;
            let level = r.varint()? as i64;
            out.events.push(Event::stock(ts_ms, sku, level));
            continue;
        }
        let key = r.u128()?;
        let store = r.str()?;
        let channel = if flags & HAS_CHANNEL != 0 {
            Some(r.str()?)
        } else {
            None
        };
        if kind == Kind::Traffic {
            let sku = r.str()?;
            let visitors = r.varint()?;
            let page_views = r.varint()?;
            out.events.push(Event {
                store,
                channel,
                sku,
                visitors,
                page_views,
                ..Event::bare(kind, key, ts_ms)
            });
            continue;
        }
        if kind == Kind::Spend {
            let campaign = (flags & HAS_CAMPAIGN != 0).then(|| r.str()).transpose()?;
            let amount = r.varint()? as i64;
            out.events.push(Event {
                store,
                channel,
                campaign,
                amount,
                ..Event::bare(kind, key, ts_ms)
            });
            continue;
        }
        let buyer = if flags & HAS_BUYER != 0 {
            Some(r.u128()?)
        } else {
            None
        };
        let count = r.varint()?;
        let first = out.items.len() as u32;
        for _ in 0..count {
            let sku = r.str()?;
            let qty = u32::try_from(r.varint()?).map_err(|_| DecodeError("qty"))?;
            let price = r.varint()? as i64;
            let cost = if r.byte()? & HAS_COST != 0 {
                Some(r.varint()? as i64)
            } else {
                None
            };
            out.items.push(Item {
                sku,
                qty,
                price,
                cost,
            });
        }
        let region = (flags & HAS_REGION != 0).then(|| r.str()).transpose()?;
        let campaign = (flags & HAS_CAMPAIGN != 0).then(|| r.str()).transpose()?;
        out.events.push(Event {
            store,
            channel,
            buyer,
            new_buyer: flags & NEW_BUYER != 0,
            items: first..out.items.len() as u32,
            region,
            campaign,
            ..Event::bare(kind, key, ts_ms)
        });
    }
    if r.at != buf.len() {
        return Err(DecodeError("trailing bytes"));
    }
    Ok(())
}

/// A note or a deletion, after its kind, flags and time. Notes are rare:
/// their strings are owned (one allocation each), not borrowed.
fn note<'a>(
    r: &mut Reader<'_>,
    kind: Kind,
    flags: u8,
    ts_ms: i64,
) -> Result<Event<'a>, DecodeError> {
    let mut id = [0u8; 8];
    id.copy_from_slice(r.bytes(8)?);
    let id = NoteId(u64::from_le_bytes(id));
    if kind == Kind::NoteDeleted {
        return Ok(Event::note_deleted(id, ts_ms));
    }
    let scope = NoteScope::parse(&r.str()?).ok_or(DecodeError("bad note scope"))?;
    let text = r.str()?.into_owned();
    let author = (flags & HAS_AUTHOR != 0)
        .then(|| r.str().map(Cow::into_owned))
        .transpose()?;
    Ok(Event::note(
        id,
        ts_ms,
        NoteBody {
            text,
            scope,
            author,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{Rules, parse};
    use crate::money::Currency;

    #[test]
    fn round_trips_a_parsed_batch() {
        let body = concat!(
            r#"{"type":"order","id":"A1","ts":1794326401234,"store":"店1","channel":"tmall","buyer":"u1","new_buyer":true,"items":[{"sku":"k1","qty":2,"price":"99.50","cost":61},{"sku":"k2","qty":1,"price":0}]}"#,
            "\n",
            r#"{"type":"refund","id":"R1","ts":1794326402000,"store":"s2","items":[{"sku":"k1","qty":1,"price":99.5}]}"#,
            "\n",
            r#"{"type":"stock","ts":1794326403000,"sku":"k9","level":5000}"#,
            "\n",
            r#"{"type":"order","id":"A2","ts":1794326401234,"store":"s1","region":"31","campaign":"直通车","items":[{"sku":"k1","qty":1,"price":5}]}"#,
            "\n",
            r#"{"type":"traffic","id":"T1","ts":1794326401234,"store":"s1","channel":"tmall","sku":"k1","visitors":1234,"page_views":5000}"#,
            "\n",
            r#"{"type":"traffic","id":"T2","visitors":0}"#,
            "\n",
            r#"{"type":"spend","id":"ad-77","channel":"tmall","campaign":"直通车","amount":"12000.00"}"#,
            "\n",
            r#"{"type":"spend","id":"ad-78","store":"s1","amount":3}"#,
        );
        let cur = Currency::from_code("CNY").expect("CNY");
        let rules = Rules::new(&cur, 1_794_326_500_000);
        let parsed = parse(body.as_bytes(), false, &rules).expect("parse");
        let mut buf = Vec::new();
        encode(&parsed.batch, &mut buf);
        assert!(
            buf.len() < body.len() / 2,
            "{} vs {}",
            buf.len(),
            body.len()
        );
        let mut back = Batch::default();
        decode(&buf, &mut back).expect("decode");
        assert_eq!(back.events, parsed.batch.events);
        assert_eq!(back.items, parsed.batch.items);
        assert!(decode(&buf[..buf.len() - 1], &mut back).is_err());
        assert_eq!(unzigzag(zigzag(-5)), -5);
    }

    /// Every kind with each optional field present and absent, in all
    /// combinations, decodes to the very events encoded.
    #[test]
    fn every_kind_and_optional_field_round_trips() {
        let mut batch = Batch::default();
        let opt = |on: bool, s: &'static str| on.then_some(Cow::Borrowed(s));
        for bits in 0u32..64 {
            let on = |b: u32| bits & (1 << b) != 0;
            let ts = i64::from(bits) * 1_000 - 5_000;
            for kind in [Kind::Order, Kind::Refund] {
                let first = batch.items.len() as u32;
                batch.items.push(Item {
                    sku: "k1".into(),
                    qty: bits + 1,
                    price: 9_950,
                    cost: on(4).then_some(6_100),
                });
                if on(5) {
                    batch.items.push(Item {
                        sku: "品2".into(),
                        qty: 1,
                        price: 0,
                        cost: None,
                    });
                }
                let orders = kind == Kind::Order;
                batch.events.push(Event {
                    store: "店1".into(),
                    channel: opt(on(0), "tmall"),
                    buyer: on(1).then_some(u128::MAX - u128::from(bits)),
                    new_buyer: on(1) && on(5),
                    items: first..batch.items.len() as u32,
                    region: opt(orders && on(2), "31"),
                    campaign: opt(orders && on(3), "直通车"),
                    ..Event::bare(kind, u128::from(bits) << 64 | 7, ts)
                });
            }
            batch.events.push(Event {
                store: if on(0) { "s1".into() } else { "".into() },
                channel: opt(on(1), "jd"),
                sku: if on(2) { "k1".into() } else { "".into() },
                visitors: if on(3) { 1_000_000_000_000 } else { 0 },
                page_views: if on(4) { u64::from(bits) * 3 } else { 0 },
                ..Event::bare(Kind::Traffic, u128::from(bits) << 8, ts)
            });
            batch.events.push(Event {
                store: if on(0) { "s1".into() } else { "".into() },
                channel: opt(on(1), "jd"),
                campaign: opt(on(2), "京准通"),
                amount: if on(3) { i64::MAX } else { i64::from(bits) },
                ..Event::bare(Kind::Spend, u128::from(bits) << 16, ts)
            });
            batch
                .events
                .push(Event::stock(ts, "k9".into(), i64::from(bits)));
            let scope = match bits % 4 {
                0 => NoteScope::Sale,
                1 => NoteScope::Channel("tmall".into()),
                2 => NoteScope::Store("店:1".into()),
                _ => NoteScope::Sku("k1".into()),
            };
            let id = NoteId(u64::MAX - u64::from(bits));
            let body = NoteBody {
                text: format!("00:{bits:02} 支付网关慢, switched to backup"),
                scope,
                author: on(0).then(|| "值班 ops".to_string()),
            };
            batch.events.push(Event::note(id, ts, body));
            batch.events.push(Event::note_deleted(id, ts + 1));
        }
        let mut buf = Vec::new();
        encode(&batch, &mut buf);
        let mut back = Batch::default();
        decode(&buf, &mut back).expect("decode");
        assert_eq!(back.events, batch.events);
        assert_eq!(back.items, batch.items);
    }

    /// A kind byte no format defines is a decode error, not an event.
    #[test]
    fn an_unknown_kind_is_a_decode_error() {
        let mut batch = Batch::default();
        batch.events.push(Event::stock(1, Cow::Borrowed("k1"), 5));
        let mut buf = Vec::new();
        encode(&batch, &mut buf);
        decode(&buf, &mut Batch::default()).expect("a stock event");
        assert_eq!(buf[1], 2, "the kind byte follows the count");
        for kind in [7u8, 8, 0x7f, 0xff] {
            buf[1] = kind;
            assert_eq!(
                decode(&buf, &mut Batch::default()),
                Err(DecodeError("unknown event kind")),
                "kind {kind}"
            );
        }
    }
}
