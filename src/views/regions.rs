//! Sales by region (docs/api.md, `/api/v1/regions`): for the whole sale,
//! one channel or one store, highest GMV first.
//!
//! The sale's rows are the engine's region rows, buyers exact. A channel's
//! or a store's come from its region map (`State::channel_regions`,
//! `store_regions`), which keeps GMV, orders and units but not buyers —
//! exact distinct buyers per (scope, region) would cost a pair set per
//! scope for a figure the map does not colour by — so `buyers` is `null`
//! there and `aov` is GMV ÷ orders. Live frames use the same maps
//! (`region_figures`).

use serde::Serialize;

use crate::engine::{Bucket, Region, State, Wv};
use crate::geo;

/// Which scope a region read is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionScope {
    Sale,
    /// A channel index.
    Channel(usize),
    /// A store index.
    Store(usize),
}

/// One region's figures in a scope: `buyers` only for the whole sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionFigures {
    pub region: usize,
    pub gmv: i64,
    pub orders: u64,
    pub buyers: Option<u64>,
}

/// The key of a (channel or store, region) pair in the engine's maps.
fn key(scope: usize, region: usize) -> u64 {
    (scope as u64) << 32 | region as u64
}

/// The figures of region `r` summed over `scopes` (channel or store
/// indices) of the map `by`; `None` when none of them sold there.
pub fn summed_region(
    by: &rustc_hash::FxHashMap<u64, Wv>,
    scopes: &[usize],
    r: usize,
) -> Option<RegionFigures> {
    let mut v: Option<Wv> = None;
    for &s in scopes {
        if let Some(w) = by.get(&key(s, r)) {
            v.get_or_insert_with(Wv::default).add(*w);
        }
    }
    v.map(|v| RegionFigures {
        region: r,
        gmv: v.gmv,
        orders: v.orders,
        buyers: None,
    })
}

fn sale_figures(r: usize, row: &Region) -> RegionFigures {
    RegionFigures {
        region: r,
        gmv: row.gmv,
        orders: row.orders,
        buyers: Some(row.buyers),
    }
}

/// Every region with sales in `scope`, in first-seen order.
pub fn region_figures(st: &State, scope: RegionScope) -> Vec<RegionFigures> {
    let all = 0..st.regions.len();
    match scope {
        RegionScope::Sale => all.map(|r| sale_figures(r, &st.regions[r])).collect(),
        RegionScope::Channel(c) => all
            .filter_map(|r| summed_region(&st.channel_regions, &[c], r))
            .collect(),
        RegionScope::Store(s) => all
            .filter_map(|r| summed_region(&st.store_regions, &[s], r))
            .collect(),
    }
}

/// One row of `/api/v1/regions`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RegionRow {
    /// The division's code, or the region as sent.
    pub id: String,
    /// The division's short Chinese name (`上海`), or the id.
    pub name: String,
    pub name_en: String,
    pub gmv: i64,
    pub orders: u64,
    /// Distinct buyers (exact); `null` in a channel's or store's view.
    pub buyers: Option<u64>,
    /// GMV ÷ buyers (÷ orders when no buyer ids were sent, and in a
    /// channel's or store's view).
    pub aov: Option<i64>,
    /// GMV ÷ the scope's GMV.
    pub share: Option<f64>,
}

/// `/api/v1/regions`: the rows and the GMV their shares divide by.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Regions {
    pub regions: Vec<RegionRow>,
    /// The scope's GMV (orders without a region included).
    pub gmv: i64,
    /// GMV of the scope's orders that named no region.
    pub unassigned_gmv: i64,
}

pub fn regions(st: &State, scope: RegionScope) -> Regions {
    let gmv = match scope {
        RegionScope::Sale => st.sale.counters.gmv,
        RegionScope::Channel(c) => st.channels[c].scope.counters.gmv,
        RegionScope::Store(s) => st.stores[s].scope.counters.gmv,
    };
    let mut figures = region_figures(st, scope);
    figures.sort_by(|a, b| {
        b.gmv
            .cmp(&a.gmv)
            .then_with(|| st.regions[a.region].id.cmp(&st.regions[b.region].id))
    });
    let in_regions = figures.iter().fold(0i64, |s, f| s.saturating_add(f.gmv));
    let regions = figures
        .into_iter()
        .map(|f| {
            let id = &*st.regions[f.region].id;
            let d = geo::division(id);
            let per = match f.buyers {
                Some(b) if b > 0 => b,
                _ => f.orders,
            };
            RegionRow {
                id: id.to_string(),
                name: d.map_or(id, |d| d.short_zh).to_string(),
                name_en: d.map_or(id, |d| d.name_en).to_string(),
                gmv: f.gmv,
                orders: f.orders,
                buyers: f.buyers,
                aov: (per > 0).then(|| (f.gmv as f64 / per as f64).round() as i64),
                share: (gmv != 0).then(|| f.gmv as f64 / gmv as f64),
            }
        })
        .collect();
    Regions {
        regions,
        gmv,
        unassigned_gmv: gmv.saturating_sub(in_regions),
    }
}

/// A region as live frames carry it: the array `[id, gmv, orders,
/// buyers]` (`buyers` `null` in a channel's or store's frames).
#[derive(Debug, Clone, PartialEq)]
pub struct RegionPush {
    pub id: String,
    pub gmv: i64,
    pub orders: u64,
    pub buyers: Option<u64>,
}

impl Serialize for RegionPush {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (&self.id, self.gmv, self.orders, self.buyers).serialize(s)
    }
}

impl RegionPush {
    pub fn of(st: &State, f: RegionFigures) -> RegionPush {
        RegionPush {
            id: st.regions[f.region].id.to_string(),
            gmv: f.gmv,
            orders: f.orders,
            buyers: f.buyers,
        }
    }
}
