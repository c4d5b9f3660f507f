// The figures a screen shows, merged from snapshots and ticks, and, in
// cluster mode, the rule that they never go back (docs/api.md, Screens in
// a cluster): the screen keeps the highest stream sequence it has shown
// (`state.streamSeq`); a node whose frames are below it is *held* — its
// snapshot and ticks are merged into `state.held`, out of sight, and shown
// from the first tick that reaches what was shown.

/** @typedef {import('./app.js').DataFrame} DataFrame the frame shapes are typed in app.js */
/**
 * @typedef {{id:string, gmv:number, orders:number, buyers:?number}} RegionRow
 *   from the frames' `[id, gmv, orders, buyers]` (buyers null in filtered topics)
 * @typedef {{id:string, channel:?string, spend:number, gmv:number, orders:number, roi:?number,
 *   budget_used?:?number}} CampaignRow
 */

/** Seconds of per-second series a screen keeps. */
export const SERIES_S = 300;
/** A node held below the figures shown this long is left for the next. */
export const HELD_MOVE_MS = 10000;
/**
 * A node at the stream's end (not behind) that is still below the figures
 * shown after this long is on another stream (the stream was recreated):
 * its figures are taken, the only time the counter may go back.
 */
const HELD_RESET_MS = 30000;

/** The figures a snapshot sets and ticks update: the state shown, or a held node's. */
export function emptyFigures() {
  return {
    seq: 0, eventsApplied: 0, /** @type {?Totals} */ totals: null, rates: null, windows: null,
    series: new Map(), /** @type {TimelineRow[]} */ timeline: [],
    channels: new Map(), stores: new Map(), topSkus: [], warnings: [],
    /** @type {Map<string, RegionRow>} by id */ regions: new Map(),
    /** @type {Map<string, CampaignRow>} by id */ campaigns: new Map(),
    /** @type {?Storage} the server's log is failing (null: all stored) */ storage: null,
  };
}

/**
 * A snapshot: shown, or held while its node is below what was shown.
 * @param {object} state the screen's state (figures, `streamSeq`, `held`…)
 * @param {DataFrame} f  @param {(row:object) => number} minuteOf
 */
export function showSnapshot(state, f, minuteOf) {
  state.stream = f.stream ?? null;
  if (!f.stream) {
    // One node: a snapshot is the truth (a restarted server may start lower).
    state.held = null;
    applySnapshot(state, f, minuteOf);
    state.shownGmv = f.totals.gmv; // a new connection may start anywhere: no roll
    return;
  }
  state.held = null;
  if (state.streamSeq !== null && f.stream.seq < state.streamSeq) {
    // A node behind what this screen showed: wait for it to catch up.
    state.held = emptyFigures();
    state.heldSince = performance.now();
    applySnapshot(state.held, f, minuteOf);
    return;
  }
  applySnapshot(state, f, minuteOf);
  // The counter rolls on from what it showed (figures only grow with seq).
  if (state.streamSeq === null) state.shownGmv = f.totals.gmv;
  state.streamSeq = f.stream.seq;
}

/**
 * A tick: shown, merged into the held node's figures, or (below what was
 * shown) dropped.
 * @param {object} state  @param {DataFrame} f  @param {(row:object) => number} minuteOf
 */
export function showTick(state, f, minuteOf) {
  state.stream = f.stream ?? null;
  if (!f.stream) {
    applyTick(state, f, minuteOf);
    return;
  }
  if (state.held) {
    applyTick(state.held, f, minuteOf);
    const stuck = !f.stream.behind && performance.now() - state.heldSince > HELD_RESET_MS;
    if (f.stream.seq >= state.streamSeq || stuck) {
      // Caught up (or on another stream): its figures are shown from now on.
      Object.assign(state, state.held);
      state.held = null;
      if (stuck) state.shownGmv = state.totals.gmv;
      state.streamSeq = f.stream.seq;
    }
    return;
  }
  if (f.stream.seq < state.streamSeq) return; // never lower
  applyTick(state, f, minuteOf);
  state.streamSeq = f.stream.seq;
}

/** A snapshot's figures into `d` (the state shown, or a held node's). @param {DataFrame} f */
function applySnapshot(d, f, minuteOf) {
  d.seq = f.seq;
  d.eventsApplied = f.events_applied;
  d.totals = f.totals;
  d.windows = f.windows;
  d.rates = f.rates;
  d.series = new Map(f.series.map(([s, o, g]) => [s, [o, g]]));
  d.timeline = [];
  for (const row of f.timeline) d.timeline[minuteOf(row)] = row;
  d.channels = new Map(f.channels.map((r) => [r.id, r]));
  d.stores = new Map(f.stores.map((r) => [r.id, r]));
  d.topSkus = f.top_skus ?? [];
  d.warnings = f.stock_warnings ?? [];
  d.regions = new Map();
  for (const cells of f.regions ?? []) setRegion(d, cells);
  d.campaigns = new Map((f.campaigns ?? []).map((r) => [r.id, r]));
  // A snapshot says so only while storage is failing.
  d.storage = f.storage && !f.storage.ok ? f.storage : null;
}

/** A tick's figures onto `d`. @param {DataFrame} f */
function applyTick(d, f, minuteOf) {
  d.seq = f.seq;
  d.eventsApplied = f.events_applied;
  d.totals = f.totals;
  d.windows = f.windows;
  d.rates = f.rates;
  for (const [s, o, g] of f.series) d.series.set(s, [o, g]);
  const newest = Math.max(...d.series.keys());
  for (const s of d.series.keys()) if (s <= newest - SERIES_S) d.series.delete(s);
  for (const row of f.timeline) d.timeline[minuteOf(row)] = row;
  // Channels in ticks are deltas: counters and ratios onto the snapshot's
  // row (name only when first seen; targets and windows stay as they were).
  for (const r of f.channels) d.channels.set(r.id, { ...d.channels.get(r.id), ...r });
  // Stores in ticks are arrays [id, gmv, orders, completion]; a store first
  // seen has its name in `store_names`.
  const names = f.store_names ?? {};
  for (const [id, gmv, orders, completion] of f.stores) {
    const row = { ...d.stores.get(id), id, gmv, orders, completion };
    if (Object.hasOwn(names, id)) row.name = names[id];
    d.stores.set(id, row);
  }
  // Rows that left the list this screen is shown (the top 200 stores, the
  // top 50 channels) are dropped, not left standing with old figures.
  for (const id of f.stores_left ?? []) d.stores.delete(id);
  for (const id of f.channels_left ?? []) d.channels.delete(id);
  // Regions in ticks are the changed rows, whole (arrays as in a
  // snapshot); campaigns the changed rows, merged onto the snapshot's like
  // channels. Neither list is capped, so nothing leaves it.
  for (const cells of f.regions ?? []) setRegion(d, cells);
  for (const r of f.campaigns ?? []) d.campaigns.set(r.id, { ...d.campaigns.get(r.id), ...r });
  // SKU lists in ticks carry what the panels draw, and replace the list.
  if (f.top_skus) d.topSkus = f.top_skus;
  if (f.stock_warnings) d.warnings = f.stock_warnings;
  // Ticks carry it while failing and once (ok) on recovery.
  if (f.storage) d.storage = f.storage.ok ? null : f.storage;
}

/** A region's cells `[id, gmv, orders, buyers]` as a row (docs/api.md, Tick rows). */
function setRegion(d, [id, gmv, orders, buyers]) {
  d.regions.set(id, { id, gmv, orders, buyers });
}
