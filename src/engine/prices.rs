//! A SKU's price and margin record: per hour of the sale, GMV, units,
//! profit and costed GMV, and the profit and costed GMV over all its
//! orders and refunds (docs/api.md, Prices).
//!
//! Hours are kept only where the SKU sold: the newest hour inline in the
//! SKU's row, the ones before it in a `Vec` of `(hour, figures)` sorted by
//! hour — a SKU that sold in one hour of a month-long sale holds one entry
//! (40 bytes), not the month. An hour is coarse enough that a sparse list
//! beats `Timeline`'s fixed chunks here (a chunk of 32 hours would cost a
//! kilobyte per SKU that sold once). Orders arrive in about time order, so
//! an order line adds to the inline hour — a compare and four adds in the
//! cache line the row's other counters were just written to, no pointer
//! followed (the order path measured about 10 % slower with every hour in
//! the heap list); a new hour moves the inline one to the list, and an
//! older hour is a binary search, out of line.
//!
//! Refunds are counted as they are for the sale's totals: GMV and units
//! are gross (orders only; refunds are their own figures on the rows),
//! while profit and costed GMV are net — a refund subtracts its items'
//! profit and costed GMV, from the totals and from the hour of the sale it
//! is stamped in.

/// One hour of one SKU (or its totals). Money in minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PriceHour {
    /// Gross: orders only.
    pub gmv: i64,
    /// Gross: orders only.
    pub units: u64,
    /// Σ qty × (price − cost) over items with a cost, orders minus refunds.
    pub profit: i64,
    /// GMV of the items with a cost, orders minus refunds.
    pub costed: i64,
}

/// What one order or refund line adds: its amount and units, and its
/// profit and amount when a cost is known.
#[derive(Debug, Clone, Copy)]
pub struct Line {
    pub amount: i64,
    pub units: u64,
    /// `(profit, costed amount)` when the item or its SKU has a cost.
    pub costed: Option<(i64, i64)>,
}

/// A SKU's hours and totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkuPrices {
    /// The newest hour seen: `(hour since the sale's start, figures)`.
    newest: Option<(u32, PriceHour)>,
    /// The hours before `newest`, by rising hour.
    older: Vec<(u32, PriceHour)>,
    /// Profit over every order and refund (inside the sale or not, as the
    /// sale's totals count them).
    pub profit: i64,
    /// Costed GMV likewise.
    pub costed: i64,
}

impl SkuPrices {
    /// Counts an order line: totals always, the hour when it fell inside
    /// the sale.
    #[inline]
    pub fn order(&mut self, hour: Option<u32>, line: Line) {
        if let Some((p, c)) = line.costed {
            self.profit = self.profit.saturating_add(p);
            self.costed = self.costed.saturating_add(c);
        }
        if let Some(h) = hour {
            let v = self.hour_mut(h);
            v.gmv = v.gmv.saturating_add(line.amount);
            v.units = v.units.saturating_add(line.units);
            if let Some((p, c)) = line.costed {
                v.profit = v.profit.saturating_add(p);
                v.costed = v.costed.saturating_add(c);
            }
        }
    }

    /// Counts a refund line: only its profit and costed amount, subtracted
    /// (see the module doc).
    pub fn refund(&mut self, hour: Option<u32>, line: Line) {
        let Some((p, c)) = line.costed else { return };
        self.profit = self.profit.saturating_sub(p);
        self.costed = self.costed.saturating_sub(c);
        if let Some(h) = hour {
            let v = self.hour_mut(h);
            v.profit = v.profit.saturating_sub(p);
            v.costed = v.costed.saturating_sub(c);
        }
    }

    #[inline]
    fn hour_mut(&mut self, h: u32) -> &mut PriceHour {
        if !matches!(self.newest, Some((newest, _)) if newest == h) {
            return self.hour_elsewhere(h);
        }
        match &mut self.newest {
            Some((_, v)) => v,
            None => unreachable!("checked just above"),
        }
    }

    #[cold]
    #[inline(never)]
    fn hour_elsewhere(&mut self, h: u32) -> &mut PriceHour {
        match self.newest {
            Some((newest, _)) if h < newest => {}
            _ => {
                // A newer hour (or the first): the inline one moves down.
                self.older.extend(self.newest.take());
                return &mut self.newest.insert((h, PriceHour::default())).1;
            }
        }
        let i = match self.older.binary_search_by_key(&h, |(x, _)| *x) {
            Ok(i) => i,
            Err(i) => {
                self.older.insert(i, (h, PriceHour::default()));
                i
            }
        };
        &mut self.older[i].1
    }

    /// The hours held, by rising hour (a copy: views and checkpoints only).
    pub fn hours(&self) -> Vec<(u32, PriceHour)> {
        let mut all = Vec::with_capacity(self.older.len() + 1);
        all.extend_from_slice(&self.older);
        all.extend(self.newest);
        all
    }

    /// Whether any hour of the sale was counted.
    pub fn has_hours(&self) -> bool {
        self.newest.is_some()
    }

    /// Whether nothing was ever counted (checkpoints skip such SKUs).
    pub fn is_empty(&self) -> bool {
        !self.has_hours() && self.profit == 0 && self.costed == 0
    }

    /// From stored parts; `None` unless the hours strictly rise.
    pub fn from_parts(mut hours: Vec<(u32, PriceHour)>, profit: i64, costed: i64) -> Option<Self> {
        if !hours.windows(2).all(|w| w[0].0 < w[1].0) {
            return None;
        }
        let newest = hours.pop();
        Some(SkuPrices {
            newest,
            older: hours,
            profit,
            costed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(amount: i64, units: u64, costed: Option<(i64, i64)>) -> Line {
        Line {
            amount,
            units,
            costed,
        }
    }

    #[test]
    fn hours_are_kept_sorted_and_sparse() {
        let mut p = SkuPrices::default();
        p.order(Some(700), line(100, 1, Some((30, 100))));
        p.order(Some(2), line(50, 2, None));
        p.order(Some(700), line(100, 1, Some((40, 100))));
        p.order(None, line(999, 9, Some((1, 999))));
        p.refund(Some(2), line(100, 1, Some((30, 100))));
        p.refund(Some(5), line(50, 2, None));
        let hours: Vec<u32> = p.hours().iter().map(|h| h.0).collect();
        assert_eq!(hours, [2, 700], "an uncosted refund adds no hour");
        assert_eq!(
            p.hours()[0].1,
            PriceHour {
                gmv: 50,
                units: 2,
                profit: -30,
                costed: -100
            }
        );
        assert_eq!((p.hours()[1].1.gmv, p.hours()[1].1.profit), (200, 70));
        assert_eq!((p.profit, p.costed), (41, 1099));
        let back = SkuPrices::from_parts(p.hours().to_vec(), p.profit, p.costed);
        assert_eq!(back.as_ref(), Some(&p));
        let mut swapped = p.hours().to_vec();
        swapped.reverse();
        assert!(SkuPrices::from_parts(swapped, 0, 0).is_none());
    }
}
