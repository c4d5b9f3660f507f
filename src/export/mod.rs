//! The post-event pack (复盘; docs/api.md, Export): what analysts read the next
//! morning.
//!
//! `facts` copies everything the pack shows out of the engine in one read;
//! the rest are pure functions of those facts: `table` (CSV for Excel: UTF-8
//! with BOM, amounts in major units; `table_notes` the war-room log), `charts` (SVG and PNG with plotters;
//! PNG text needs a CJK font found at run time), `report` (one
//! self-contained HTML file), `prices` (price and basket trends,
//! `sku_prices.csv`) and `pack` (the file set, as a folder or a zip, and
//! the periodic `snapshot.json`).

mod charts;
mod clock;
mod efficiency;
mod facts;
mod impact_charts;
mod pack;
mod prices;
mod report;
mod report_impact;
mod report_next;
mod report_night;
mod report_prices;
mod report_reach;
mod report_target;
mod spend_chart;
mod table;
mod table_impact;
mod table_notes;
mod table_reach;
mod ticked;
mod tile_map;

pub use efficiency::{CampaignRow, Efficiency, RegionRow, ratio};
pub use facts::{Facts, Milestone, SoldOut};
pub use pack::{Pack, build, snapshot_json, snapshot_task, unzip_into};
pub use prices::{MAX_PRICE_SKUS, PriceFacts};
pub use tile_map::{tile_map_svg, tile_rect};
