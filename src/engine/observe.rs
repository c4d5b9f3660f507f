//! Applying an event stamped outside the sale when the sale watches the
//! days around it (`periods`): the event counts in its period only. Stock
//! events never come here (a stock level is a level, whenever it is sent).

use super::periods::{PeriodOrder, Side, day_index, first_ms, side};
use super::state::State;
use crate::config::Sale;
use crate::event::{Event, Item, Kind};

impl State {
    /// Counts `e` in its period; `at` and `skus` are its resolved store,
    /// channel and SKU indices (`admit`).
    pub(super) fn observe(
        &mut self,
        e: &Event<'_>,
        at: (u32, u32),
        items: &[Item<'_>],
        skus: &[u32],
        sale: &Sale,
    ) {
        let side = side(sale, e.ts_ms);
        match e.kind {
            Kind::Order => {
                let (store, channel) = self.scopes_of(e, at);
                let mut lines = Vec::with_capacity(items.len());
                let (mut gmv, mut units) = (0i64, 0u64);
                for (it, &k) in items.iter().zip(skus) {
                    let k = self.sku_at(k, &it.sku);
                    let amount = it.amount();
                    lines.push((k, amount, u64::from(it.qty)));
                    gmv = gmv.saturating_add(amount);
                    units += u64::from(it.qty);
                }
                let day = match side {
                    Side::Outside => 0,
                    s => day_index(sale, first_ms(sale, s), e.ts_ms),
                };
                self.periods.of(side).add_order(&PeriodOrder {
                    day,
                    gmv,
                    units,
                    channel,
                    store,
                    buyer: e.buyer,
                    items: &lines,
                });
            }
            Kind::Refund => {
                let amount = items
                    .iter()
                    .fold(0i64, |a, it| a.saturating_add(it.amount()));
                let units = items.iter().map(|it| u64::from(it.qty)).sum();
                self.periods.of(side).add_refund(amount, units);
            }
            Kind::Traffic => {
                let p = self.periods.of(side);
                p.visitors = p.visitors.saturating_add(e.visitors);
            }
            Kind::Spend => {
                let p = self.periods.of(side);
                p.spend = p.spend.saturating_add(e.amount);
            }
            // Not diverted (see `periods::diverted`'s caller).
            Kind::Stock | Kind::Note | Kind::NoteDeleted => {}
        }
    }
}
