//! The orders side of `State::apply`: an order counted in its SKUs, the
//! sale, its channel and store (totals, windows, the timeline minute, the
//! busiest second, each SKU's price hour) and its buyer counted once per
//! channel and store; a refund; a stock level. Kept apart from `state`,
//! which holds the rows and the apply loop that calls these once per
//! event, and from `efficiency`, which counts traffic, spend and an
//! order's region and campaign from what `order` returns (`Counted`).

use super::peaks::offer;
use super::prices::Line;
use super::ring::Wv;
use super::state::{BuyerInfo, NO_BUYER, NO_STORE, State};
use crate::config::Sale;
use crate::event::{Event, Item};

/// What an order counted, for its region and campaign (`efficiency`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Counted {
    pub(super) v: Wv,
    /// Its minute of the sale, if it fell inside.
    pub(super) minute: Option<u32>,
    pub(super) channel: usize,
    pub(super) store: usize,
}

/// The minute of the sale `ts_ms` falls in, if inside the sale.
pub(super) fn sale_minute(sale: &Sale, ts_ms: i64) -> Option<u32> {
    (ts_ms >= sale.starts_ms && ts_ms < sale.ends_ms)
        .then(|| ((ts_ms - sale.starts_ms) / 60_000) as u32)
}

/// An item as a price line: its amount and units, and its profit and
/// amount when the item's `cost` or else the SKU's configured one is known.
#[inline]
fn line_of(it: &Item<'_>, amount: i64, sku_cost: Option<i64>) -> Line {
    Line {
        amount,
        units: u64::from(it.qty),
        costed: it
            .cost
            .or(sku_cost)
            .map(|cost| (i64::from(it.qty).saturating_mul(it.price - cost), amount)),
    }
}

impl State {
    pub(super) fn buyer_index(&mut self, b: u128) -> u32 {
        let next = self.buyer_info.len() as u32;
        let idx = self.buyers.get_or_insert_with(b, || next);
        if idx == next {
            self.buyer_info.push(BuyerInfo {
                first_store: NO_STORE,
                counted_new: false,
                channels: 0,
            });
        }
        idx
    }

    #[allow(clippy::too_many_arguments)] // the apply loop's hot call: no bundling struct
    pub(super) fn order(
        &mut self,
        e: &Event<'_>,
        at: (u32, u32),
        items: &[Item<'_>],
        skus: &[u32],
        buyer: u32,
        sale: &Sale,
        now_ms: i64,
    ) -> Counted {
        let (store, channel) = self.scopes_of(e, at);
        // Future timestamps (≤ 5 min, allowed for clock skew) count as now in
        // the windows, so they never push the rings past the present.
        let window_ms = e.ts_ms.min(now_ms);
        let mut v = Wv {
            gmv: 0,
            orders: 1,
            units: 0,
        };
        let (mut profit, mut costed) = (0i64, 0i64);
        let minute = sale_minute(sale, e.ts_ms);
        let hour = minute.map(|m| m / 60);
        for (it, &k) in items.iter().zip(skus) {
            let k = self.sku_at(k, &it.sku);
            let sku = &mut self.skus[k];
            let amount = it.amount();
            let line = line_of(it, amount, sku.cost);
            sku.prices.order(hour, line);
            sku.units += u64::from(it.qty);
            sku.gmv = sku.gmv.saturating_add(amount);
            sku.velocity.add(window_ms.div_euclid(10_000), it.qty);
            if sku.stock.is_some() && sku.stock_left > 0 {
                sku.stock_left = (sku.stock_left - i64::from(it.qty)).max(0);
                if sku.stock_left == 0 {
                    sku.sold_out_at = Some(e.ts_ms);
                }
            }
            if let Some((p, c)) = line.costed {
                profit = profit.saturating_add(p);
                costed = costed.saturating_add(c);
            }
            v.gmv = v.gmv.saturating_add(amount);
            v.units += u64::from(it.qty);
        }
        self.sale.add_order(v, profit, costed, window_ms, minute);
        let sec = window_ms.div_euclid(1000);
        let in_sec = self.sale.windows.secs.get(sec).orders;
        if self.peak_second.is_none_or(|(_, peak)| in_sec > peak) {
            self.peak_second = Some((sec, in_sec));
        }
        let ch = &mut self.channels[channel].scope;
        ch.add_order(v, profit, costed, window_ms, minute);
        offer(
            &mut self.peaks.channels,
            channel,
            sec,
            ch.windows.secs.get(sec).orders,
        );
        let st = &mut self.stores[store].scope;
        st.add_order(v, profit, costed, window_ms, minute);
        offer(
            &mut self.peaks.stores,
            store,
            sec,
            st.windows.secs.get(sec).orders,
        );

        if buyer != NO_BUYER {
            self.count_buyer(buyer, e.new_buyer, store, channel);
        }
        Counted {
            v,
            minute,
            channel,
            store,
        }
    }

    /// Counts a buyer once per channel and per store (exactly), and once as
    /// new when an order says so.
    fn count_buyer(&mut self, idx: u32, new_buyer: bool, store: usize, channel: usize) {
        let info = &mut self.buyer_info[idx as usize];
        if new_buyer && !info.counted_new {
            info.counted_new = true;
            self.new_buyers += 1;
        }
        let pair = |scope: usize| (scope as u64) << 32 | u64::from(idx);
        let store_new = if info.first_store == NO_STORE {
            info.first_store = store as u32;
            true
        } else {
            info.first_store as usize != store && self.store_buyers.insert(pair(store))
        };
        let channel_new = if channel < 64 {
            let bit = 1u64 << channel;
            let was = info.channels & bit != 0;
            info.channels |= bit;
            !was
        } else {
            self.channel_buyers.insert(pair(channel))
        };
        if store_new {
            self.stores[store].scope.counters.buyers += 1;
        }
        if channel_new {
            self.channels[channel].scope.counters.buyers += 1;
        }
    }

    pub(super) fn refund(
        &mut self,
        e: &Event<'_>,
        at: (u32, u32),
        items: &[Item<'_>],
        skus: &[u32],
        sale: &Sale,
        now_ms: i64,
    ) {
        let (store, channel) = self.scopes_of(e, at);
        let (mut amount, mut units, mut profit, mut costed) = (0i64, 0u64, 0i64, 0i64);
        // A refund's profit leaves the hour it is stamped in (`prices`).
        let hour = sale_minute(sale, e.ts_ms).map(|m| m / 60);
        for (it, &k) in items.iter().zip(skus) {
            let k = self.sku_at(k, &it.sku);
            let sku = &mut self.skus[k];
            let a = it.amount();
            sku.refund_units += u64::from(it.qty);
            sku.refunds = sku.refunds.saturating_add(a);
            let line = line_of(it, a, sku.cost);
            sku.prices.refund(hour, line);
            if let Some((p, c)) = line.costed {
                profit = profit.saturating_add(p);
                costed = costed.saturating_add(c);
            }
            amount = amount.saturating_add(a);
            units += u64::from(it.qty);
        }
        self.sale.add_refund(amount, units, profit, costed);
        let bucket = e.ts_ms.min(now_ms).div_euclid(10_000);
        self.refund_tens.add(
            bucket,
            Wv {
                gmv: amount,
                orders: 1,
                units,
            },
        );
        self.channels[channel]
            .scope
            .add_refund(amount, units, profit, costed);
        self.stores[store]
            .scope
            .add_refund(amount, units, profit, costed);
    }

    pub(super) fn stock(&mut self, e: &Event<'_>, resolved: u32) {
        let k = self.sku_at(resolved, &e.sku);
        let sku = &mut self.skus[k];
        sku.stock = Some(e.level);
        sku.stock_left = e.level;
        sku.sold_out_at = (e.level == 0).then_some(e.ts_ms);
    }
}
