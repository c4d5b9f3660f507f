//! One JSON event line as it was written, before any rule is checked.
//!
//! serde's derive would stop at the first wrong type with a message that names
//! no field ("invalid type: string, expected u32"). These hand-written visitors
//! instead take every value as a loose [`Scalar`] (or, for money, the raw
//! number text), so `validate` can say exactly which field breaks which rule.
//! Keys are matched without allocating, string values stay borrowed from the
//! body, and items go into one scratch vector reused for the whole batch.
//! A key given twice in an event or an item is noted (a bit per field), not
//! resolved: the line is rejected naming it, rather than "last wins" turning
//! an order into a stock event.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::field::{Field, FieldPath};

/// Any JSON value, reduced to what the rules need to tell apart.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar<'a> {
    Str(Cow<'a, str>),
    Int(i64),
    /// An integer beyond i64, or a number with a fraction or exponent.
    Float(f64),
    Bool(bool),
    Null,
    Array,
    Object,
}

impl<'de> de::Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or(Scalar::Float(v as f64), Scalar::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Object)
    }
}

/// An event's fields as found; `None` where the key was absent.
#[derive(Debug, Default)]
pub struct RawEvent<'a> {
    pub ty: Option<Scalar<'a>>,
    pub id: Option<Scalar<'a>>,
    pub ts: Option<Scalar<'a>>,
    pub store: Option<Scalar<'a>>,
    pub channel: Option<Scalar<'a>>,
    pub buyer: Option<Scalar<'a>>,
    pub new_buyer: Option<Scalar<'a>>,
    pub order: Option<Scalar<'a>>,
    pub sku: Option<Scalar<'a>>,
    pub level: Option<Scalar<'a>>,
    pub currency: Option<Scalar<'a>>,
    pub visitors: Option<Scalar<'a>>,
    pub page_views: Option<Scalar<'a>>,
    pub region: Option<Scalar<'a>>,
    pub campaign: Option<Scalar<'a>>,
    /// `amount` (spend), as its raw number text, like prices.
    pub amount: Option<&'a RawValue>,
    /// `Some(Ok(range))` into the scratch items, `Some(Err(()))` if not an array.
    pub items: Option<Result<std::ops::Range<usize>, ()>>,
    /// The first key given twice, in the event or one of its items.
    pub dup: Option<FieldPath>,
}

/// One element of `items` as found.
#[derive(Debug, Default)]
pub struct RawItem<'a> {
    /// False when the element was not a JSON object.
    pub is_object: bool,
    pub sku: Option<Scalar<'a>>,
    pub qty: Option<Scalar<'a>>,
    pub price: Option<&'a RawValue>,
    pub cost: Option<&'a RawValue>,
}

/// Reads one event object into `ev` (reset first), pushing its items into
/// `items`. Filling a reused struct in place avoids moving ~400 bytes of
/// optional fields through serde's return values for every line.
pub struct EventSeed<'s, 'de> {
    pub ev: &'s mut RawEvent<'de>,
    pub items: &'s mut Vec<RawItem<'de>>,
    /// Kept at the value being read, for errors the JSON itself raises.
    pub at: &'s mut FieldPath,
}

impl<'de> DeserializeSeed<'de> for EventSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EventSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an event object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let EventSeed { ev, items, at } = self;
        *ev = RawEvent::default();
        *at = FieldPath::default();
        let mut seen = 0u32;
        while let Some(key) = map.next_key::<Field>()? {
            let bit = key.bit();
            if seen & bit != 0 && ev.dup.is_none() {
                ev.dup = Some(FieldPath {
                    field: Some(key),
                    item: None,
                });
            }
            seen |= bit;
            at.field = (key != Field::Other).then_some(key);
            let slot = match key {
                Field::Type => &mut ev.ty,
                Field::Id => &mut ev.id,
                Field::Ts => &mut ev.ts,
                Field::Store => &mut ev.store,
                Field::Channel => &mut ev.channel,
                Field::Buyer => &mut ev.buyer,
                Field::NewBuyer => &mut ev.new_buyer,
                Field::Order => &mut ev.order,
                Field::Sku => &mut ev.sku,
                Field::Level => &mut ev.level,
                Field::Currency => &mut ev.currency,
                Field::Visitors => &mut ev.visitors,
                Field::PageViews => &mut ev.page_views,
                Field::Region => &mut ev.region,
                Field::Campaign => &mut ev.campaign,
                Field::Amount => {
                    ev.amount = Some(map.next_value()?);
                    at.field = None;
                    continue;
                }
                Field::Items => {
                    let start = items.len();
                    let ok = map.next_value_seed(ItemsSeed {
                        items: &mut *items,
                        at: &mut *at,
                        dup: &mut ev.dup,
                    })?;
                    ev.items = Some(if ok { Ok(start..items.len()) } else { Err(()) });
                    at.field = None;
                    continue;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    at.field = None;
                    continue;
                }
            };
            *slot = Some(map.next_value()?);
            at.field = None;
        }
        Ok(())
    }
}

/// Reads `items`; yields false (and consumes the value) when it is not an array.
struct ItemsSeed<'s, 'de> {
    items: &'s mut Vec<RawItem<'de>>,
    at: &'s mut FieldPath,
    dup: &'s mut Option<FieldPath>,
}

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_, 'de> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_, 'de> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of items")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let mut index = 0;
        loop {
            self.at.item = Some((index, None));
            let seed = ItemSeed {
                index,
                at: &mut *self.at,
                dup: &mut *self.dup,
            };
            match seq.next_element_seed(seed)? {
                Some(item) => self.items.push(item.unwrap_or_default()),
                None => break,
            }
            index += 1;
        }
        self.at.item = None;
        Ok(true)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(false)
    }
    fn visit_borrowed_str<E>(self, _: &'de str) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_str<E>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// One element of `items`: an object's fields, or `None` when it is not one.
struct ItemSeed<'s> {
    index: usize,
    at: &'s mut FieldPath,
    dup: &'s mut Option<FieldPath>,
}

impl<'de> DeserializeSeed<'de> for ItemSeed<'_> {
    type Value = Option<RawItem<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemSeed<'_> {
    type Value = Option<RawItem<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an item object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut it = RawItem {
            is_object: true,
            ..RawItem::default()
        };
        let mut seen = 0u32;
        while let Some(key) = map.next_key::<Field>()? {
            let known = matches!(key, Field::Sku | Field::Qty | Field::Price | Field::Cost);
            if known {
                if seen & key.bit() != 0 && self.dup.is_none() {
                    *self.dup = Some(FieldPath {
                        field: Some(Field::Items),
                        item: Some((self.index, Some(key))),
                    });
                }
                seen |= key.bit();
                self.at.item = Some((self.index, Some(key)));
            }
            match key {
                Field::Sku => it.sku = Some(map.next_value()?),
                Field::Qty => it.qty = Some(map.next_value()?),
                Field::Price => it.price = Some(map.next_value()?),
                Field::Cost => it.cost = Some(map.next_value()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            self.at.item = Some((self.index, None));
        }
        Ok(Some(it))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_borrowed_str<E>(self, _: &'de str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}
