//! The SKUs' price records in the checkpoint body: per hour of the sale,
//! GMV, units, profit and costed GMV, and each SKU's profit and costed
//! GMV over everything (docs/api.md, Prices; `engine::prices`).
//!
//! Its own struct, appended at the end of the body ([`StateV4::prices`]),
//! so it can move to a later format as a whole. Only SKUs that counted
//! something are stored, by their index into the body's SKU rows; the
//! SKU's `list_price` and `standard_margin` are configuration and are not
//! stored here. Reading checks that every index names a SKU row and that
//! each SKU's hours strictly rise (the engine's binary search trusts it).
//!
//! [`StateV4::prices`]: super::checkpoint_v4::StateV4

use serde::{Deserialize, Serialize};

use super::FormatError;
use crate::engine::{PriceHour, Sku, SkuPrices};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PricesV4 {
    /// `(index into the SKU rows, its record)`, by rising index.
    pub skus: Vec<(u32, SkuPricesV4)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkuPricesV4 {
    /// `(hour since the sale's start, figures)`, by rising hour.
    pub hours: Vec<(u32, PriceHourV4)>,
    pub profit: i64,
    pub costed: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PriceHourV4 {
    pub gmv: i64,
    pub units: u64,
    pub profit: i64,
    pub costed: i64,
}

twins!(PriceHour <-> PriceHourV4 { gmv, units, profit, costed });

impl PricesV4 {
    /// Takes every SKU's record out of the rows (they are about to be
    /// written field by field without it).
    pub fn take(skus: &mut [Sku]) -> PricesV4 {
        let skus = skus
            .iter_mut()
            .enumerate()
            .filter(|(_, k)| !k.prices.is_empty())
            .map(|(i, k)| {
                let p = std::mem::take(&mut k.prices);
                let hours = p.hours().iter().map(|&(h, v)| (h, v.into())).collect();
                let record = SkuPricesV4 {
                    hours,
                    profit: p.profit,
                    costed: p.costed,
                };
                (i as u32, record)
            })
            .collect();
        PricesV4 { skus }
    }

    /// Puts the records back on the SKU rows read from the same body.
    pub fn put(self, skus: &mut [Sku]) -> Result<(), FormatError> {
        let bad = |what: String| Err(FormatError::Decode(what));
        let rows = skus.len();
        for (i, record) in self.skus {
            let Some(sku) = skus.get_mut(i as usize) else {
                return bad(format!("prices name SKU row {i} of {rows}"));
            };
            let hours = record
                .hours
                .into_iter()
                .map(|(h, v)| (h, v.into()))
                .collect();
            let Some(p) = SkuPrices::from_parts(hours, record.profit, record.costed) else {
                return bad(format!("SKU {}: price hours must rise", sku.id));
            };
            sku.prices = p;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::PriceLine as Line;

    fn skus() -> Vec<Sku> {
        let mut skus = vec![Sku::new("a", "A"), Sku::new("b", "B"), Sku::new("c", "C")];
        let line = |amount, costed| Line {
            amount,
            units: 1,
            costed,
        };
        skus[0].prices.order(Some(3), line(900, Some((300, 900))));
        skus[0].prices.order(Some(1), line(500, None));
        skus[2].prices.order(None, line(700, Some((100, 700))));
        skus[2].prices.refund(Some(0), line(700, Some((100, 700))));
        skus
    }

    #[test]
    fn records_round_trip_and_only_skus_that_counted_are_stored() {
        let want = skus();
        let mut rows = want.clone();
        let body = PricesV4::take(&mut rows);
        assert_eq!(
            body.skus.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            [0, 2]
        );
        assert!(rows.iter().all(|k| k.prices.is_empty()), "taken out");
        let bytes = postcard::to_allocvec(&body).expect("encode");
        let read: PricesV4 = postcard::from_bytes(&bytes).expect("decode");
        read.put(&mut rows).expect("put");
        for (r, w) in rows.iter().zip(&want) {
            assert_eq!(r.prices, w.prices, "SKU {}", w.id);
        }
    }

    #[test]
    fn a_bad_index_or_falling_hours_are_refused_by_name() {
        let mut rows = skus();
        let mut body = PricesV4::take(&mut rows);
        let mut beyond = body.clone();
        beyond.skus[1].0 = 3;
        let err = beyond
            .put(&mut rows.clone())
            .expect_err("beyond")
            .to_string();
        assert!(err.contains("SKU row 3 of 3"), "{err}");
        body.skus[0].1.hours.reverse();
        let err = body.put(&mut rows).expect_err("falling").to_string();
        assert!(err.contains("SKU a"), "{err}");
    }
}
