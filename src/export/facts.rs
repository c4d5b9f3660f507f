//! Everything the pack shows, copied out of the engine at one instant.

use serde::Serialize;

use super::efficiency::{self, CampaignRow, Reached, RegionRow};
use super::prices::PriceFacts;
use crate::config::Config;
use crate::engine::State;
use crate::money::Currency;
use crate::views::{
    self, ChannelRow, NoteEntry, RowSort, SkuRow, SkuSort, StoreRow, Summary, TimelineRow, fmt_time,
};

/// A threshold and when the sale's cumulative GMV first reached it (to the
/// minute: the end of the minute in which it was crossed).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Milestone {
    pub label: String,
    pub gmv: i64,
    pub reached_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SoldOut {
    pub id: String,
    pub name: String,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Peak {
    pub at: String,
    pub orders: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Facts {
    pub summary: Summary,
    pub channels: Vec<ChannelRow>,
    pub stores: Vec<StoreRow>,
    pub skus: Vec<SkuRow>,
    pub timeline: Vec<TimelineRow>,
    /// The plan's cumulative GMV at the end of each timeline minute.
    pub plan_cumulative_gmv: Vec<i64>,
    pub milestones: Vec<Milestone>,
    pub peak_second: Option<Peak>,
    pub peak_minute: Option<TimelineRow>,
    pub sold_out: Vec<SoldOut>,
    pub alerts: Vec<crate::alerts::AlertRecord>,
    /// The war-room log: notes and alert fires and resolves, by time.
    pub notes: Vec<NoteEntry>,
    /// Every region by GMV, every campaign by spend (money in minor units).
    pub regions: Vec<RegionRow>,
    pub campaigns: Vec<CampaignRow>,
    /// Price and basket trends (`prices`).
    pub prices: PriceFacts,
    /// The burst and decay of the sale, channels and top stores, and the
    /// days around the sale (docs/api.md, Shape; The days around the sale).
    pub shapes: views::Shapes,
    pub periods: views::PeriodsView,
    /// Traffic and spend of the sale, channels, stores and minutes (the
    /// API's rows in `summary`, `channels`, `stores` carry the same).
    #[serde(skip)]
    pub reach: Reached,
    #[serde(skip)]
    pub currency: Currency,
    /// The sale's zone and edges: the report's clock times and the "for
    /// next time" list's minutes before the end.
    #[serde(skip)]
    pub tz: chrono_tz::Tz,
    #[serde(skip)]
    pub starts_ms: i64,
    #[serde(skip)]
    pub ends_ms: i64,
}

impl Facts {
    pub fn collect(
        st: &State,
        cfg: &Config,
        now_ms: i64,
        alerts: Vec<crate::alerts::AlertRecord>,
    ) -> Facts {
        let sale = &cfg.sale;
        let summary = views::summary(st, cfg, now_ms);
        // Every minute: the next sale's baseline reads it minute for minute
        // (at most `MAX_SALE_DAYS` of them).
        let timeline = views::timeline_rows(
            cfg,
            now_ms,
            &[views::Minutes::of(&st.sale)],
            0,
            sale.baseline.as_ref(),
        );
        let minutes = sale.minutes().max(1) as f64;
        let target = sale.target.unwrap_or(0) as f64;
        let plan_cumulative_gmv = (0..timeline.len())
            .map(|m| (target * sale.plan.share_at((m + 1) as f64 / minutes)).round() as i64)
            .collect();
        let mut sold_out: Vec<(i64, SoldOut)> = st
            .skus
            .iter()
            .filter(|k| k.stock.is_some() && k.stock_left <= 0)
            .filter_map(|k| {
                let at = k.sold_out_at?;
                Some((
                    at,
                    SoldOut {
                        id: k.id.to_string(),
                        name: k.name.to_string(),
                        at: fmt_time(at, sale.timezone),
                    },
                ))
            })
            .collect();
        sold_out.sort_by_key(|(at, s)| (*at, s.id.clone()));
        Facts {
            reach: Reached::collect(st, cfg, now_ms, timeline.len()),
            regions: efficiency::regions(st),
            shapes: views::shapes(st, sale, now_ms),
            periods: views::periods(st, sale),
            campaigns: efficiency::campaigns(st, cfg),
            prices: PriceFacts::collect(st, cfg),
            milestones: milestones(cfg, &timeline, summary.totals.gmv),
            peak_second: st.peak_second.map(|(sec, orders)| Peak {
                at: fmt_time(sec * 1000, sale.timezone),
                orders,
            }),
            peak_minute: timeline
                .iter()
                .max_by_key(|r| (r.gmv, std::cmp::Reverse(r.minute_start.clone())))
                .filter(|r| r.gmv > 0)
                .cloned(),
            channels: views::channel_rows(st, cfg, now_ms, RowSort::Gmv, usize::MAX),
            stores: views::store_rows(st, now_ms, RowSort::Gmv, usize::MAX),
            skus: views::sku_rows(st, now_ms, SkuSort::Gmv, usize::MAX),
            sold_out: sold_out.into_iter().map(|(_, s)| s).collect(),
            notes: views::merge_log(
                views::note_entries(st, sale.timezone),
                crate::alerts::log_entries(&alerts, sale.timezone),
                None,
                None,
            ),
            alerts,
            currency: sale.currency.clone(),
            tz: sale.timezone,
            starts_ms: sale.starts_ms,
            ends_ms: sale.ends_ms,
            summary,
            timeline,
            plan_cumulative_gmv,
        }
    }
}

/// 50/80/100/120 % of the target, and GMV marks at 1, 2 and 5 × 10ⁿ of the
/// major unit (from a million) up to the GMV reached.
fn milestones(cfg: &Config, timeline: &[TimelineRow], gmv: i64) -> Vec<Milestone> {
    let sale = &cfg.sale;
    let scale = sale.currency.scale();
    let mut out = Vec::new();
    if let Some(target) = sale.target.filter(|t| *t > 0) {
        for share in [0.5, 0.8, 1.0, 1.2] {
            out.push((
                format!("{:.0} % of target", share * 100.0),
                (target as f64 * share).round() as i64,
            ));
        }
    }
    let mut mark = 1_000_000i64;
    'marks: while let Some(minor) = mark.checked_mul(scale) {
        for m in [1, 2, 5] {
            let Some(v) = minor.checked_mul(m) else {
                break 'marks;
            };
            if v > gmv {
                break 'marks;
            }
            out.push((
                format!("GMV {}", crate::money::money_label(&sale.currency, v)),
                v,
            ));
        }
        mark = match mark.checked_mul(10) {
            Some(m) => m,
            None => break,
        };
    }
    out.into_iter()
        .map(|(label, threshold)| Milestone {
            reached_at: timeline
                .iter()
                .position(|r| r.cumulative_gmv >= threshold)
                .map(|m| fmt_time(sale.starts_ms + (m as i64 + 1) * 60_000, sale.timezone)),
            label,
            gmv: threshold,
        })
        .collect()
}
