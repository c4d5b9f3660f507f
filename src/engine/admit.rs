//! Before a batch is applied: every id resolved to its index once, and the
//! events that would create more entities than the caps allow refused.
//!
//! The resolve pass does the interner lookups the apply loop needs anyway
//! and leaves their indices in reusable scratch, so the hot path looks each
//! id up once, as before. Only an event naming an id not yet known takes
//! the slow path: the caps (`config::EntityCaps`) are checked against the
//! entities the sale holds plus those this batch already creates, and the
//! event is admitted (its new ids counted) or refused whole, before its
//! idempotency key is taken — so a refused line can be sent again once
//! the cap is raised.
//!
//! Caps are an admission rule, not part of the state: ingest applies with
//! them and logs only what they admitted; recovery replays the log
//! without them, so what was accepted once is accepted again even if a cap
//! was lowered in between.

use rustc_hash::FxHashSet;

use super::state::{OTHER_CHANNEL, State};
use crate::config::{EntityCaps, EntityKind, PER_REQUEST_KEY};
use crate::event::{Batch, Kind};

/// An id not known when the batch was resolved: interned when applied.
pub(crate) const UNKNOWN: u32 = u32::MAX;
/// An event that names no channel: it counts in its store's home channel.
pub(crate) const HOME: u32 = u32::MAX - 1;
/// An optional id the event does not give (a traffic event's store, an
/// order's region).
pub(crate) const NONE: u32 = u32::MAX - 2;

/// The caps as the engine applies them: the catalog's own entities plus
/// the unlisted ones allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    total: [usize; 5],
    caps: EntityCaps,
}

impl Caps {
    /// `listed`: how many entities of each kind the config's catalog holds
    /// (for regions 0: the state counts its unlisted regions itself).
    pub fn new(caps: EntityCaps, listed: [usize; 5]) -> Caps {
        let mut total = [0; 5];
        for k in EntityKind::ALL {
            total[k.index()] = listed[k.index()].saturating_add(caps.unlisted(k));
        }
        Caps { total, caps }
    }
}

/// A line a cap refused: its index in the batch, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub index: usize,
    pub error: String,
}

/// Per-batch scratch, reused from batch to batch.
#[derive(Debug, Clone, Default)]
pub(crate) struct Resolved {
    /// Per event: the store (order, refund, traffic, spend) or the SKU
    /// (stock), `NONE` or `UNKNOWN`.
    pub(crate) first: Vec<u32>,
    /// Per event: the channel, `HOME` or `UNKNOWN`.
    pub(crate) channel: Vec<u32>,
    /// Per event: the order's region, `NONE` or `UNKNOWN`.
    pub(crate) region: Vec<u32>,
    /// Per event: the order's or spend's campaign, `NONE` or `UNKNOWN`.
    pub(crate) campaign: Vec<u32>,
    /// Per event: the traffic's product page (SKU), `NONE` or `UNKNOWN`.
    pub(crate) page: Vec<u32>,
    /// Per item of the batch: the SKU or `UNKNOWN`.
    pub(crate) skus: Vec<u32>,
    /// Per event, once a cap refused something in this batch (else empty).
    refused: Vec<bool>,
}

impl Resolved {
    pub(crate) fn is_refused(&self, i: usize) -> bool {
        self.refused.get(i).copied().unwrap_or(false)
    }
}

/// The new ids this batch creates so far, by kind.
#[derive(Default)]
struct Pending<'b> {
    ids: [FxHashSet<&'b str>; 5],
}

impl Pending<'_> {
    fn total(&self) -> usize {
        self.ids.iter().map(FxHashSet::len).sum()
    }
}

fn find(ix: &rustc_hash::FxHashMap<Box<str>, u32>, id: &str) -> u32 {
    ix.get(id).copied().unwrap_or(UNKNOWN)
}

/// An optional id: `NONE` when absent (or empty, as traffic and spend
/// events leave an unnamed store).
fn find_opt(ix: &rustc_hash::FxHashMap<Box<str>, u32>, id: Option<&str>) -> u32 {
    match id {
        None | Some("") => NONE,
        Some(id) => find(ix, id),
    }
}

impl State {
    /// Resolves every id of `batch` into `out`; with `caps`, refuses the
    /// events that would break them (listed in `refused`).
    pub(crate) fn resolve<'b>(
        &self,
        batch: &'b Batch<'_>,
        caps: Option<&Caps>,
        out: &mut Resolved,
        refused: &mut Vec<Refused>,
    ) {
        out.first.clear();
        out.channel.clear();
        out.region.clear();
        out.campaign.clear();
        out.page.clear();
        out.refused.clear();
        out.skus.clear();
        out.skus.resize(batch.items.len(), UNKNOWN);
        let mut pending: Option<Pending<'b>> = None;
        for (i, e) in batch.events.iter().enumerate() {
            let mut new = false;
            let (mut region, mut campaign, mut page) = (NONE, NONE, NONE);
            if e.kind == Kind::Stock {
                let k = find(&self.sku_ix, &e.sku);
                new |= k == UNKNOWN;
                out.first.push(k);
                out.channel.push(HOME);
            } else {
                let s = if e.kind.has_items() {
                    find(&self.store_ix, &e.store)
                } else {
                    find_opt(&self.store_ix, Some(&e.store))
                };
                let c = e
                    .channel
                    .as_deref()
                    .map_or(HOME, |c| find(&self.channel_ix, c));
                new |= s == UNKNOWN || c == UNKNOWN;
                out.first.push(s);
                out.channel.push(c);
                for at in e.items.start as usize..e.items.end as usize {
                    let k = find(&self.sku_ix, &batch.items[at].sku);
                    new |= k == UNKNOWN;
                    out.skus[at] = k;
                }
                if e.region.is_some() || e.campaign.is_some() {
                    region = find_opt(&self.region_ix, e.region.as_deref());
                    campaign = find_opt(&self.campaign_ix, e.campaign.as_deref());
                    new |= region == UNKNOWN || campaign == UNKNOWN;
                }
                if e.kind == Kind::Traffic {
                    page = find_opt(&self.sku_ix, Some(&e.sku));
                    new |= page == UNKNOWN;
                }
            }
            out.region.push(region);
            out.campaign.push(campaign);
            out.page.push(page);
            let Some(caps) = caps.filter(|_| new) else {
                continue;
            };
            let pending = pending.get_or_insert_with(Pending::default);
            if let Err(error) = self.admit(batch, i, caps, out, pending) {
                if out.refused.is_empty() {
                    out.refused.resize(batch.events.len(), false);
                }
                out.refused[i] = true;
                refused.push(Refused { index: i, error });
            }
        }
    }

    /// Admits event `i` (counting its new ids) or says which id breaks
    /// which cap.
    fn admit<'b>(
        &self,
        batch: &'b Batch<'_>,
        i: usize,
        caps: &Caps,
        out: &Resolved,
        pending: &mut Pending<'b>,
    ) -> Result<(), String> {
        let e = &batch.events[i];
        // (kind, field, id) of each id this event would create.
        let mut fresh: Vec<(EntityKind, String, &'b str)> = Vec::new();
        let mut note = |kind: EntityKind, field: &dyn Fn() -> String, id: &'b str| {
            let known = pending.ids[kind.index()].contains(id)
                || fresh.iter().any(|(k, _, x)| *k == kind && *x == id);
            if !known {
                fresh.push((kind, field(), id));
            }
        };
        if e.kind == Kind::Stock {
            note(EntityKind::Sku, &|| "sku".into(), &e.sku);
        } else {
            if out.first[i] == UNKNOWN {
                note(EntityKind::Store, &|| "store".into(), &e.store);
            }
            // `other`, where unlisted stores go, is built in: never capped.
            if let Some(c) = e.channel.as_deref().filter(|c| *c != OTHER_CHANNEL)
                && out.channel[i] == UNKNOWN
            {
                note(EntityKind::Channel, &|| "channel".into(), c);
            }
            let range = e.items.start as usize..e.items.end as usize;
            for (j, at) in range.enumerate() {
                if out.skus[at] == UNKNOWN {
                    note(
                        EntityKind::Sku,
                        &|| format!("items[{j}].sku"),
                        &batch.items[at].sku,
                    );
                }
            }
            if out.page[i] == UNKNOWN {
                note(EntityKind::Sku, &|| "sku".into(), &e.sku);
            }
            // China's divisions are always known: only other strings count.
            if let Some(r) = e.region.as_deref()
                && out.region[i] == UNKNOWN
                && crate::geo::division(r).is_none()
            {
                note(EntityKind::Region, &|| "region".into(), r);
            }
            if let Some(c) = e.campaign.as_deref()
                && out.campaign[i] == UNKNOWN
            {
                note(EntityKind::Campaign, &|| "campaign".into(), c);
            }
        }
        let held = [
            self.channels.len(),
            self.stores.len(),
            self.skus.len(),
            self.unlisted_regions,
            self.campaigns.len(),
        ];
        let mut adding = [0usize; 5];
        for (kind, field, id) in &fresh {
            let k = kind.index();
            adding[k] += 1;
            if held[k] + pending.ids[k].len() + adding[k] > caps.total[k] {
                let noun = kind.noun();
                return Err(format!(
                    "{field}: new {noun} {id:?} refused: the sale may hold at most {} {noun}s not in the config ({})",
                    caps.caps.unlisted(*kind),
                    kind.key(),
                ));
            }
        }
        if let Some((kind, field, id)) = fresh.first()
            && pending.total() + fresh.len() > caps.caps.per_request
        {
            return Err(format!(
                "{field}: new {} {id:?} refused: one request may create at most {} new ids ({PER_REQUEST_KEY})",
                kind.noun(),
                caps.caps.per_request,
            ));
        }
        for (kind, _, id) in fresh {
            pending.ids[kind.index()].insert(id);
        }
        Ok(())
    }
}
