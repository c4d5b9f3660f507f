//! One JSON event line as it was written, before any rule is checked.
//!
//! serde's derive would stop at the first wrong type with a message that names
//! no field ("invalid type: string, expected u32"). These hand-written visitors
//! instead take every value as a loose [`Scalar`] (or, for money, the raw
//! number text), so `validate` can say exactly which field breaks which rule.
//! Keys are matched without allocating, string values stay borrowed from the
//! body, and items go into one scratch vector reused for the whole batch.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

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
    /// `Some(Ok(range))` into the scratch items, `Some(Err(()))` if not an array.
    pub items: Option<Result<std::ops::Range<usize>, ()>>,
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

/// Field names, matched from the borrowed key without allocating.
enum Field {
    Type,
    Id,
    Ts,
    Store,
    Channel,
    Buyer,
    NewBuyer,
    Order,
    Sku,
    Level,
    Currency,
    Items,
    Qty,
    Price,
    Cost,
    Other,
}

impl Field {
    /// Dispatches on length first, so each key costs one or two short
    /// compares instead of a chain of fifteen.
    fn of(k: &[u8]) -> Field {
        match (k.len(), k) {
            (2, b"id") => Field::Id,
            (2, b"ts") => Field::Ts,
            (3, b"sku") => Field::Sku,
            (3, b"qty") => Field::Qty,
            (4, b"type") => Field::Type,
            (4, b"cost") => Field::Cost,
            (5, b"store") => Field::Store,
            (5, b"buyer") => Field::Buyer,
            (5, b"order") => Field::Order,
            (5, b"level") => Field::Level,
            (5, b"items") => Field::Items,
            (5, b"price") => Field::Price,
            (7, b"channel") => Field::Channel,
            (8, b"currency") => Field::Currency,
            (9, b"new_buyer") => Field::NewBuyer,
            _ => Field::Other,
        }
    }
}

impl<'de> de::Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E>(self, v: &str) -> Result<Field, E> {
                Ok(Field::of(v.as_bytes()))
            }
        }
        d.deserialize_identifier(FieldVisitor)
    }
}

/// Reads one event object into `ev` (reset first), pushing its items into
/// `items`. Filling a reused struct in place avoids moving ~400 bytes of
/// optional fields through serde's return values for every line.
pub struct EventSeed<'s, 'de> {
    pub ev: &'s mut RawEvent<'de>,
    pub items: &'s mut Vec<RawItem<'de>>,
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
        let ev = self.ev;
        *ev = RawEvent::default();
        while let Some(key) = map.next_key::<Field>()? {
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
                Field::Items => {
                    let start = self.items.len();
                    let ok = map.next_value_seed(ItemsSeed { items: self.items })?;
                    ev.items = Some(if ok {
                        Ok(start..self.items.len())
                    } else {
                        Err(())
                    });
                    continue;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            *slot = Some(map.next_value()?);
        }
        Ok(())
    }
}

/// Reads `items`; yields false (and consumes the value) when it is not an array.
struct ItemsSeed<'s, 'de> {
    items: &'s mut Vec<RawItem<'de>>,
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
        while let Some(item) = seq.next_element::<ItemValue<'de>>()? {
            self.items.push(item.0);
        }
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

/// One element of `items`: an object's fields, or a marker that it was not one.
struct ItemValue<'de>(RawItem<'de>);

impl<'de> de::Deserialize<'de> for ItemValue<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match d.deserialize_any(ScalarOrItem)? {
            Some(item) => Ok(ItemValue(item)),
            None => Ok(ItemValue(RawItem::default())),
        }
    }
}

struct ScalarOrItem;

impl<'de> Visitor<'de> for ScalarOrItem {
    type Value = Option<RawItem<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an item object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut it = RawItem {
            is_object: true,
            ..RawItem::default()
        };
        while let Some(key) = map.next_key::<Field>()? {
            match key {
                Field::Sku => it.sku = Some(map.next_value()?),
                Field::Qty => it.qty = Some(map.next_value()?),
                Field::Price => it.price = Some(map.next_value()?),
                Field::Cost => it.cost = Some(map.next_value()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
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
