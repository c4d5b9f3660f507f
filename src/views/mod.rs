//! Views: what the API, the screens and the export show, built from the
//! engine's state at one instant.
//!
//! Everything here is a plain serialisable struct made by a pure function of
//! (`State`, `Config`, now): money in minor units, fractions as floats, times
//! as RFC 3339 in the sale's time zone. Derived figures (AOV, completion,
//! pace, projection, sell-out ETA) are computed here, once, for everyone.
//! `pushed` has the compact rows a live tick sends and `rounding` the
//! ratios as live frames carry them (4 significant digits); the API and
//! the export serialise the same figures exact. `notes` is the war-room
//! log's rows.

mod campaigns;
mod curve;
mod efficiency;
mod figures;
mod notes;
mod periods;
mod prices;
mod pushed;
mod regions;
mod rounding;
mod rows;
mod sale;
mod shape;
mod summary;
mod timeline;

pub use campaigns::{CampaignPush, CampaignRow, campaign_budgets, campaign_row, campaign_rows};
pub use curve::{Curve, Reference, curve};
pub use efficiency::{BudgetFigures, Efficiency, ReachFigures, channel_budget};
pub use figures::{completion, pace, projected_gmv};
pub use notes::{NoteEntry, NoteKind, merge as merge_log, newest_notes, note_entries};
pub use periods::{
    DayRow, Outside, PERIOD_SKUS, PeriodDetail, PeriodFigures, PeriodLine, PeriodsView, SaleDays,
    period_figures, periods, sale_days,
};
pub use prices::{
    Basket, BasketRow, BelowMargin, ChannelBasket, MAX_BELOW_MARGIN, PriceRow, Prices,
    SkuPriceTrend, basket_rows, below_margin, price_row, prices, sku_prices, top_price_skus,
};
pub use pushed::{
    ChannelDelta, ChannelEfficiency, StoreDelta, StoreDeltas, channel_delta, store_delta, tick_skus,
};
pub use regions::{
    RegionFigures, RegionPush, RegionRow, RegionScope, Regions, region_figures, regions,
    summed_region,
};
pub use rounding::{RATIO_DIGITS, ScreenRounded, ratio, round_ratio, rounded, rounded_rows};
pub use rows::{
    ChannelRow, RowFigures, RowSort, SkuRow, SkuSort, StockWarning, StoreRow, channel_row,
    channel_rows, sku_row, sku_rows, stock_warning_rows, store_row, store_rows,
};
pub use sale::{SaleInfo, fmt_time};
pub use shape::{
    NamedShape, PeakMinute, PeakSecond, SHAPE_STORES, Shape, Shapes, elapsed, sale_shape, shapes,
};
pub use summary::{
    Rates, ScopeFigures, Summary, Totals, WindowSet, baseline_now, rates_of, summary, totals,
    vs_baseline,
};
pub use timeline::{
    MAX_TIMELINE_ROWS, Minutes, SCREEN_ROWS, TimelineError, TimelineRange, TimelineRow,
    TimelineScope, screen_rows, timeline, timeline_rows,
};
