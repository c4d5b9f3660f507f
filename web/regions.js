// Page 2's regions: the tile map of China's 34 province-level divisions
// (tilemap.js, coloured by GMV, hover and legend) and beside it the top
// regions (name, GMV, share of the scope's GMV) and, under them, regions
// that are not divisions (cross-border sales, ids as sent). The divisions
// table comes once from `GET /api/v1/regions/divisions` (docs/api.md,
// Regions); until it arrives the lists show ids and the map waits.

import { drawTileMap } from './tilemap.js';

/** @typedef {import('./figures.js').RegionRow} RegionRow */
/** @typedef {import('./tilemap.js').DivisionCell} DivisionCell */

/** Regions listed beside the map. */
const TOP_ROWS = 15;
/** Regions outside the divisions listed under them. */
const OTHER_ROWS = 8;
const RETRY_MS = 5000;

const $ = (id) => document.getElementById(id);

/** @type {?DivisionCell[]} */
let divisions = null;
/** @type {Map<string, DivisionCell>} */
let byCode = new Map();
/** What the map was last drawn from: it is redrawn only when this changes. */
let drawn = '';

/**
 * Fetches the divisions once (retrying while the server is away), then
 * calls `done` so the page redraws. The token, if the page has one, goes
 * in the header (a URL token is for the page and the socket only).
 * @param {?string} token  @param {() => void} done
 */
export function loadDivisions(token, done) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  fetch('/api/v1/regions/divisions', { headers })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
    .then((body) => {
      // `{"divisions": [...]}` (docs/api.md, `/api/v1/regions`); a bare list too.
      const list = Array.isArray(body) ? body : body?.divisions;
      if (!Array.isArray(list)) throw new Error('no divisions in the answer');
      divisions = list;
      byCode = new Map(list.map((d) => [d.code, d]));
      done();
    })
    .catch(() => setTimeout(() => loadDivisions(token, done), RETRY_MS));
}

/** A region's name in the page's language: a division's, else its id. */
export function regionName(id, lang) {
  const d = byCode.get(id);
  if (!d) return id;
  return lang === 'en' ? d.name_en : d.short_zh;
}

/** @param {object} state the screen's figures  @param {import('./format.js').Format} fmt */
export function drawRegions(state, fmt) {
  const total = state.totals.gmv;
  const share = (gmv) => (total > 0 ? gmv / total : null);
  /** @type {RegionRow[]} */
  const rows = [...state.regions.values()].filter((r) => r.gmv > 0)
    .sort((a, b) => b.gmv - a.gmv || a.id.localeCompare(b.id))
    .map((r) => ({ ...r, share: share(r.gmv), name: regionName(r.id, fmt.lang) }));
  // Before the table arrives every region looks foreign: list them all on top.
  const inChina = rows.filter((r) => !divisions || byCode.has(r.id));
  const others = divisions ? rows.filter((r) => !byCode.has(r.id)) : [];
  drawTop(inChina.slice(0, TOP_ROWS), fmt);
  drawOthers(others.slice(0, OTHER_ROWS), fmt);
  drawMap(inChina, fmt);
}

function drawTop(rows, fmt) {
  const el = $('regions');
  if (rows.length === 0) {
    el.innerHTML = `<li class="empty">${fmt.word('no_data')}</li>`;
    return;
  }
  const top = rows[0].gmv;
  el.replaceChildren(...rows.map((r, i) => {
    const li = document.createElement('li');
    li.dataset.id = r.id;
    li.dataset.gmv = String(r.gmv);
    li.innerHTML = `<span class="n">${i + 1}</span><span class="name"></span><span class="v"></span>` +
      '<span class="track"><span class="fill"></span></span>';
    li.querySelector('.name').textContent = r.name;
    li.querySelector('.v').textContent = `${fmt.money(r.gmv)} · ${fmt.pct(r.share, 1)}`;
    // The bar ranks against the top region; the share is in the figure.
    li.querySelector('.fill').style.width = `${(r.gmv / top) * 100}%`;
    return li;
  }));
}

function drawOthers(rows, fmt) {
  const el = $('other-regions');
  el.hidden = rows.length === 0;
  document.querySelector('.other-label').hidden = rows.length === 0;
  el.replaceChildren(...rows.map((r) => {
    const li = document.createElement('li');
    li.dataset.id = r.id;
    li.dataset.gmv = String(r.gmv);
    li.innerHTML = '<span class="name"></span><span class="v"></span>';
    li.querySelector('.name').textContent = r.name;
    li.title = r.name; // a long id is cut in the list, whole on hover
    li.querySelector('.v').textContent = `${fmt.money(r.gmv)} · ${fmt.pct(r.share, 1)}`;
    return li;
  }));
}

function drawMap(rows, fmt) {
  const el = $('tilemap');
  // On the hidden page the map has no size: drawn when its page is shown.
  if (!divisions || el.clientWidth === 0 || el.clientHeight === 0) return;
  const key = `${el.clientWidth}x${el.clientHeight}|${fmt.lang}|${fmt.currency}|` +
    rows.map((r) => `${r.id}:${r.gmv}:${r.orders}:${r.buyers}:${r.share}`).join(',');
  if (key === drawn) return;
  drawn = key;
  drawTileMap(el, rows, divisions, { fmt });
}
