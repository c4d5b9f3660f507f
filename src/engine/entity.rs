//! The things counted: channels, stores and SKUs, each a row in a dense `Vec`
//! indexed by its interned id. In memory only: checkpoints store them in
//! storage's own format (`storage::format`), converted field by field.

use super::prices::SkuPrices;
use super::reach::Reach;
use super::ring::Ring;
use super::scope::Scope;
use super::timeline::Timeline;

/// Seconds of per-second history kept for the sale and channels (the live
/// per-second series); stores keep only the last minute.
pub const SERIES_SECS: usize = 300;
pub const STORE_SECS: usize = 60;

#[derive(Debug, Clone)]
pub struct Channel {
    pub id: Box<str>,
    pub name: Box<str>,
    pub target: Option<i64>,
    pub profit_target: Option<i64>,
    pub scope: Scope<SERIES_SECS>,
}

#[derive(Debug, Clone)]
pub struct Store {
    pub id: Box<str>,
    pub name: Box<str>,
    /// The store's home channel: configured, else `other`.
    pub channel: u32,
    pub target: Option<i64>,
    pub profit_target: Option<i64>,
    pub scope: Scope<STORE_SECS>,
}

/// Ten-second buckets of units sold, for the sell-out ETA: 5 minutes.
pub const VELOCITY_BUCKETS: usize = 30;

#[derive(Debug, Clone)]
pub struct Sku {
    pub id: Box<str>,
    pub name: Box<str>,
    pub target_units: Option<i64>,
    /// Configured unit cost, for items that carry none.
    pub cost: Option<i64>,
    /// The last known absolute level (config or `stock` event); `None` when
    /// the SKU's stock is not tracked.
    pub stock: Option<i64>,
    /// Units left: `stock` minus units ordered since, never below 0.
    pub stock_left: i64,
    pub low_stock: Option<i64>,
    pub units: u64,
    pub gmv: i64,
    pub refund_units: u64,
    pub refunds: i64,
    pub velocity: Ring<u32, VELOCITY_BUCKETS>,
    /// Event time at which `stock_left` reached 0.
    pub sold_out_at: Option<i64>,
    /// Visits of the product page (traffic events naming the SKU).
    pub visitors: u64,
    pub page_views: u64,
    /// Per hour of the sale: GMV, units, profit, costed GMV (`prices`).
    pub prices: SkuPrices,
}

impl Sku {
    pub fn new(id: &str, name: &str) -> Sku {
        Sku {
            id: id.into(),
            name: name.into(),
            target_units: None,
            cost: None,
            stock: None,
            stock_left: 0,
            low_stock: None,
            units: 0,
            gmv: 0,
            refund_units: 0,
            refunds: 0,
            velocity: Ring::default(),
            sold_out_at: None,
            visitors: 0,
            page_views: 0,
            prices: SkuPrices::default(),
        }
    }

    /// The low-stock line: configured, else 10 % of the last known level.
    pub fn low_line(&self) -> Option<i64> {
        self.low_stock.or(self.stock.map(|s| s / 10))
    }

    /// Units sold in the last 5 minutes (to ten seconds) before `now_ms`.
    pub fn units_last_5m(&self, now_ms: i64) -> u32 {
        let t = now_ms.div_euclid(10_000);
        self.velocity.sum(t - VELOCITY_BUCKETS as i64 + 1, t)
    }
}

/// Where buyers are: a province-level division of China by its code, or
/// any other region string as sent (docs/api.md, Regions). Gross order
/// figures: refunds carry no region.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Region {
    pub id: Box<str>,
    pub gmv: i64,
    pub orders: u64,
    pub units: u64,
    /// Distinct buyers who ordered from the region (exact).
    pub buyers: u64,
}

/// A promotion campaign, keyed by name: the spend reported for it and
/// the orders the shop attributes to it.
#[derive(Debug, Clone, Default)]
pub struct Campaign {
    pub id: Box<str>,
    /// The channel it runs in: configured, else the channel of its
    /// earliest event by event time (a spend's channel or store, an
    /// order's channel; on a tie the lower channel id), so arrival order
    /// never decides it.
    pub channel: Option<u32>,
    /// The event time `channel` was taken from: `i64::MIN` when
    /// configured, `i64::MAX` while none is known.
    pub channel_ts: i64,
    pub gmv: i64,
    pub orders: u64,
    pub units: u64,
    /// Attributed orders per minute of the sale.
    pub timeline: Timeline,
    /// Its spend (visitors stay 0: traffic names no campaign).
    pub reach: Reach,
}

impl Campaign {
    pub fn new(id: &str) -> Campaign {
        Campaign {
            id: id.into(),
            channel_ts: i64::MAX,
            ..Campaign::default()
        }
    }
}
