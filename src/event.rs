//! Validated events: the language ingest speaks to the engine.
//!
//! A [`Batch`] holds the accepted lines of one request in order. Ids stay
//! borrowed from the request body (`Cow` owns only when JSON escapes forced a
//! copy); buyer ids and idempotency keys are already hashed to 128-bit
//! integers, so the engine never hashes a string twice. Items of all events
//! live in one flat vector, so a batch of thousands of events costs two
//! allocations, not thousands.

use std::borrow::Cow;
use std::ops::Range;

use xxhash_rust::xxh3::{xxh3_128, xxh3_128_with_seed};

use crate::note::{NoteBody, NoteId};

/// What an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Order,
    Refund,
    Stock,
    /// Visits counted by shop or platform analytics (docs/api.md, Events).
    Traffic,
    /// Promotion cost as an ad platform reports it.
    Spend,
    /// A war-room log note (docs/api.md, War-room log (notes)): posted to
    /// `/api/v1/notes`, never to `/api/v1/events`. Its id is in `key`, its
    /// text, scope and author in `note`.
    Note,
    /// The deletion of the note whose id is in `key`.
    NoteDeleted,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Order => "order",
            Kind::Refund => "refund",
            Kind::Stock => "stock",
            Kind::Traffic => "traffic",
            Kind::Spend => "spend",
            Kind::Note => "note",
            Kind::NoteDeleted => "note_deleted",
        }
    }

    /// Whether the kind carries an `id` (idempotency key): all but stock
    /// and the notes (whose `key` is the note's id, fresh on every post).
    pub fn is_keyed(self) -> bool {
        !matches!(self, Kind::Stock | Kind::Note | Kind::NoteDeleted)
    }

    /// Whether the kind is a war-room log entry rather than sales.
    pub fn is_note(self) -> bool {
        matches!(self, Kind::Note | Kind::NoteDeleted)
    }

    /// Whether the kind carries line items: orders and refunds.
    pub fn has_items(self) -> bool {
        matches!(self, Kind::Order | Kind::Refund)
    }
}

/// The idempotency key of (`type`, `id`): a 128-bit hash, so a collision
/// between two different ids is practically impossible (≈10⁻²⁰ at 10⁹ ids).
pub fn idempotency_key(kind: Kind, id: &str) -> u128 {
    xxh3_128_with_seed(id.as_bytes(), kind as u64 + 1)
}

/// A buyer id hashed for exact distinct counting without keeping the string.
pub fn buyer_key(buyer: &str) -> u128 {
    xxh3_128(buyer.as_bytes())
}

/// One accepted event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event<'a> {
    pub kind: Kind,
    /// Idempotency key; 0 for stock events (they carry no id).
    pub key: u128,
    pub ts_ms: i64,
    /// Order/refund: the store. Traffic/spend: the store, or empty when
    /// none is named. Empty for stock.
    pub store: Cow<'a, str>,
    pub channel: Option<Cow<'a, str>>,
    pub buyer: Option<u128>,
    pub new_buyer: bool,
    /// Order/refund: this event's range in [`Batch::items`].
    pub items: Range<u32>,
    /// Stock: the SKU and its absolute level. Traffic: the product page
    /// the visits are attributed to, or empty.
    pub sku: Cow<'a, str>,
    pub level: i64,
    /// Order: the buyer's region, normalised (`geo::normalise`).
    pub region: Option<Cow<'a, str>>,
    /// Order: the campaign the shop attributes it to. Spend: the campaign
    /// the cost belongs to.
    pub campaign: Option<Cow<'a, str>>,
    /// Traffic: visitors and page views (0 when not given).
    pub visitors: u64,
    pub page_views: u64,
    /// Spend: the cost in minor units.
    pub amount: i64,
    /// Note: its text, scope and author (one pointer; `None` elsewhere).
    pub note: Option<Box<NoteBody>>,
}

impl<'a> Event<'a> {
    /// A stock event: `sku`'s absolute level at `ts_ms` (no id, no store).
    pub fn stock(ts_ms: i64, sku: Cow<'a, str>, level: i64) -> Event<'a> {
        Event {
            sku,
            level,
            ..Event::bare(Kind::Stock, 0, ts_ms)
        }
    }

    /// An event with no fields set beyond its kind, key and time: the
    /// start every constructor fills in.
    pub fn bare(kind: Kind, key: u128, ts_ms: i64) -> Event<'a> {
        Event {
            kind,
            key,
            ts_ms,
            store: Cow::Borrowed(""),
            channel: None,
            buyer: None,
            new_buyer: false,
            items: 0..0,
            sku: Cow::Borrowed(""),
            level: 0,
            region: None,
            campaign: None,
            visitors: 0,
            page_views: 0,
            amount: 0,
            note: None,
        }
    }

    /// A note posted at `ts_ms` with id `id`.
    pub fn note(id: NoteId, ts_ms: i64, body: NoteBody) -> Event<'a> {
        Event {
            note: Some(Box::new(body)),
            ..Event::bare(Kind::Note, u128::from(id.0), ts_ms)
        }
    }

    /// The deletion of note `id`, at `ts_ms`.
    pub fn note_deleted(id: NoteId, ts_ms: i64) -> Event<'a> {
        Event::bare(Kind::NoteDeleted, u128::from(id.0), ts_ms)
    }

    /// A note event's id (its `key`).
    pub fn note_id(&self) -> NoteId {
        NoteId(self.key as u64)
    }
}

/// One order or refund line item. Money in minor units.
#[derive(Debug, Clone, PartialEq)]
pub struct Item<'a> {
    pub sku: Cow<'a, str>,
    pub qty: u32,
    pub price: i64,
    pub cost: Option<i64>,
}

impl Item<'_> {
    /// `qty × price`; cannot overflow (qty ≤ 10⁶, price < 10¹²·10).
    pub fn amount(&self) -> i64 {
        i64::from(self.qty) * self.price
    }
}

/// The accepted events of one request, in the order given.
#[derive(Debug, Default, Clone)]
pub struct Batch<'a> {
    pub events: Vec<Event<'a>>,
    pub items: Vec<Item<'a>>,
}

impl<'a> Batch<'a> {
    pub fn clear(&mut self) {
        self.events.clear();
        self.items.clear();
    }

    pub fn items_of(&self, e: &Event<'a>) -> &[Item<'a>] {
        &self.items[e.items.start as usize..e.items.end as usize]
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// A copy of the events in `range`, their items renumbered: one part
    /// of a batch too large for one message.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Batch<'a> {
        let mut out = Batch::default();
        for e in self.events.get(range).unwrap_or_default() {
            let start = out.items.len() as u32;
            out.items.extend_from_slice(self.items_of(e));
            let mut e = e.clone();
            e.items = start..out.items.len() as u32;
            out.events.push(e);
        }
        out
    }

    /// A copy without the events at `skip` (rising indices), their items
    /// renumbered: what is logged when some events were refused at apply.
    pub fn without(&self, skip: &[usize]) -> Batch<'a> {
        let mut out = Batch::default();
        let mut skip = skip.iter().peekable();
        for (i, e) in self.events.iter().enumerate() {
            if skip.next_if(|&&s| s == i).is_some() {
                continue;
            }
            let start = out.items.len() as u32;
            out.items.extend_from_slice(self.items_of(e));
            let mut e = e.clone();
            e.items = start..out.items.len() as u32;
            out.events.push(e);
        }
        out
    }
}
