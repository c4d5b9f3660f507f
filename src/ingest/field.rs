//! The fields of an event, and where in an event a value is being read.
//!
//! Keys are matched to [`Field`] from the borrowed key without allocating.
//! While a value is read the visitors keep a [`FieldPath`] (`ts`,
//! `items[3].qty`) up to date — two stores per key — so that when the JSON
//! itself fails (a number beyond any integer, `NaN`, a lone surrogate) the
//! error can still name the field, as every rule does. The same path names
//! a key given twice.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};

/// Field names an event or an item may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
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
    Visitors,
    PageViews,
    Amount,
    Region,
    Campaign,
    Other,
}

impl Field {
    /// Dispatches on length first, so each key costs one or two short
    /// compares instead of a chain of twenty.
    pub fn of(k: &[u8]) -> Field {
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
            (6, b"amount") => Field::Amount,
            (6, b"region") => Field::Region,
            (7, b"channel") => Field::Channel,
            (8, b"currency") => Field::Currency,
            (8, b"visitors") => Field::Visitors,
            (8, b"campaign") => Field::Campaign,
            (9, b"new_buyer") => Field::NewBuyer,
            (10, b"page_views") => Field::PageViews,
            _ => Field::Other,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Field::Type => "type",
            Field::Id => "id",
            Field::Ts => "ts",
            Field::Store => "store",
            Field::Channel => "channel",
            Field::Buyer => "buyer",
            Field::NewBuyer => "new_buyer",
            Field::Order => "order",
            Field::Sku => "sku",
            Field::Level => "level",
            Field::Currency => "currency",
            Field::Items => "items",
            Field::Qty => "qty",
            Field::Price => "price",
            Field::Cost => "cost",
            Field::Visitors => "visitors",
            Field::PageViews => "page_views",
            Field::Amount => "amount",
            Field::Region => "region",
            Field::Campaign => "campaign",
            Field::Other => "?",
        }
    }

    /// This field's bit in a set of fields seen (`Other` has none).
    pub fn bit(self) -> u32 {
        match self {
            Field::Other => 0,
            f => 1 << (f as u32),
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

/// Where in an event a value is: an event field, or an item's field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FieldPath {
    /// The event's field being read (`None` between fields).
    pub field: Option<Field>,
    /// Inside `items`: the element, and its field being read.
    pub item: Option<(usize, Option<Field>)>,
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match (self.field, self.item) {
            (Some(Field::Items), Some((i, None))) => write!(f, "items[{i}]"),
            (Some(Field::Items), Some((i, Some(field)))) => {
                write!(f, "items[{i}].{}", field.name())
            }
            (Some(field), _) => f.write_str(field.name()),
            (None, _) => f.write_str("?"),
        }
    }
}
