// The region map: China's 34 province-level divisions as a tile grid, one
// square each, placed roughly where it lies (docs/api.md, Regions). No map
// data and no library: the grid comes from the server (`divisions`, the
// table behind `src/geo.rs`), so it is written once; the report draws the
// same map as SVG (src/export/tile_map.rs) with the same scale.
//
// Colour is GMV on a sequential scale in the screen's gold: the square root
// of a division's share of the top division's GMV, from a dim gold (the
// least above zero) to the GMV gold (the most); a division without sales is
// an empty card with an outline. Each tile shows its short Chinese name,
// sized so the longest (黑龙江, 内蒙古) fits and shrunk further if a font
// draws it wider; the top ones show their GMV too. Hovering a tile shows
// its name, GMV, orders, buyers and share (a box kept inside the element;
// each tile's `aria-label` holds the same); a legend under the map gives the
// scale. Rows for regions outside China are not drawn here (the screen
// lists them with the top regions).
//
// Use: drawTileMap(el, rows, divisions, {fmt}) after each update; it
// redraws the whole map (34 tiles) at the element's size.

/**
 * @typedef {{id:string, name?:string, gmv:number, orders?:number, buyers?:number, share?:?number}} RegionRow
 *   a row of /api/v1/regions (money in minor units, share a fraction)
 * @typedef {{code:string, short_zh:string, name_en:string, row:number, col:number, name_zh?:string}} DivisionCell
 *   a division as `divisions_json` gives it
 * @typedef {{code:string, x:number, y:number, size:number}} TilePlace
 * @typedef {{cell:number, size:number, rows:number, cols:number, x0:number, y0:number,
 *   legendY:number, tiles:TilePlace[]}} TileLayout
 */

const SVG = 'http://www.w3.org/2000/svg';

/** The colours, shared with the report's map (src/export/tile_map.rs). */
export const TILE_COLORS = {
  empty: '#131a26', emptyStroke: '#243045', text: '#e8edf5', darkText: '#0b0f17', muted: '#8a97ad',
  low: [0x4a, 0x3f, 0x1e], high: [0xff, 0xcc, 0x4d],
};

const WORDS = {
  zh: { gmv: '成交额', orders: '订单数', buyers: '买家数', share: '占比', none: '无成交' },
  en: { gmv: 'GMV', orders: 'Orders', buyers: 'Buyers', share: 'Share', none: 'no sales' },
};

/** The gap between tiles, as a share of a grid step. */
const GAP = 0.08;
/** The legend's height, as a share of a grid step. */
const LEGEND = 0.5;

/**
 * Where each tile goes in a box of `width` × `height`: square tiles on the
 * divisions' grid, as large as fit with the legend below, centred. Pure.
 * @param {DivisionCell[]} divisions  @param {number} width  @param {number} height
 * @returns {TileLayout}
 */
export function tileLayout(divisions, width, height) {
  const rows = Math.max(1, ...divisions.map((d) => d.row + 1));
  const cols = Math.max(1, ...divisions.map((d) => d.col + 1));
  const cell = Math.max(1, Math.min(width / cols, height / (rows + LEGEND)));
  const size = cell * (1 - GAP);
  const x0 = (width - cell * cols) / 2;
  const y0 = (height - cell * (rows + LEGEND)) / 2;
  const tiles = divisions.map((d) => ({
    code: d.code, x: x0 + d.col * cell + (cell - size) / 2, y: y0 + d.row * cell + (cell - size) / 2, size,
  }));
  return { cell, size, rows, cols, x0, y0, legendY: y0 + rows * cell, tiles };
}

/** Where a GMV falls on the scale: 0 for none, 1 for the top division. */
export function scaleOf(gmv, max) {
  if (!(gmv > 0) || !(max > 0)) return 0;
  return Math.min(1, Math.sqrt(gmv / max));
}

/** The fill for a point on the scale; null for an empty tile. */
export function colorOf(t) {
  if (!(t > 0)) return null;
  const hex = (i) => {
    const a = TILE_COLORS.low[i], b = TILE_COLORS.high[i];
    return Math.round(a + (b - a) * t).toString(16).padStart(2, '0');
  };
  return `#${hex(0)}${hex(1)}${hex(2)}`;
}

function node(name, attrs, parent) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (parent) parent.appendChild(e);
  return e;
}

/** Numbers without a Format (format.js) given: plain, in the page's language. */
function plainFormat(lang) {
  const locale = lang === 'en' ? 'en-US' : 'zh-CN';
  return {
    lang,
    money: (m) => (m / 100).toLocaleString(locale, { maximumFractionDigits: 2 }),
    count: (n) => n.toLocaleString(locale),
    pct: (f) => (f * 100).toFixed(1) + '%',
  };
}

/**
 * Draws the map into `el` (its contents are replaced; it should have a size).
 * @param {HTMLElement} el
 * @param {RegionRow[]} rows  rows whose id is not a division's code are ignored
 * @param {DivisionCell[]} divisions
 * @param {{fmt?:{lang:string, money:(m:number)=>string, count:(n:number)=>string, pct:(f:?number)=>string},
 *   lang?:'zh'|'en', top?:number}} [opt]  `fmt`: a Format from format.js; `top`: how many tiles
 *   show their GMV (5)
 */
export function drawTileMap(el, rows, divisions, opt = {}) {
  const lang = (opt.fmt?.lang ?? opt.lang) === 'en' ? 'en' : 'zh';
  const fmt = opt.fmt ?? plainFormat(lang);
  const words = WORDS[lang];
  const byCode = new Map(rows.map((r) => [String(r.id), r]));
  const known = divisions.filter((d) => byCode.has(d.code));
  const max = Math.max(0, ...known.map((d) => byCode.get(d.code).gmv || 0));
  const top = new Set(known.filter((d) => byCode.get(d.code).gmv > 0)
    .sort((a, b) => byCode.get(b.code).gmv - byCode.get(a.code).gmv)
    .slice(0, opt.top ?? 5).map((d) => d.code));

  // The content box: a card's padding is not the map's.
  const cs = getComputedStyle(el);
  const padX = (parseFloat(cs.paddingLeft) || 0) + (parseFloat(cs.paddingRight) || 0);
  const padY = (parseFloat(cs.paddingTop) || 0) + (parseFloat(cs.paddingBottom) || 0);
  const width = Math.max(1, (el.clientWidth || 640) - padX), height = Math.max(1, (el.clientHeight || 560) - padY);
  const lay = tileLayout(divisions, width, height);
  const svg = node('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', class: 'tilemap' });
  svg.style.display = 'block';
  const font = Math.floor((lay.size * 0.86) / 3);
  const small = Math.max(9, Math.floor(lay.size * 0.19));
  const labels = [];
  const place = new Map(lay.tiles.map((t) => [t.code, t]));

  for (const d of divisions) {
    const p = place.get(d.code);
    const r = byCode.get(d.code);
    const t = scaleOf(r?.gmv, max);
    const fill = colorOf(t);
    // The figures as a label for assistive tools; no <title>, whose native
    // tooltip would show beside the hover box.
    const g = node('g', { 'data-code': d.code, class: 'tile', 'aria-label': tip(d, r, fmt, words, lang).join(', ') }, svg);
    node('rect', {
      x: p.x, y: p.y, width: p.size, height: p.size, rx: p.size * 0.1,
      fill: fill ?? TILE_COLORS.empty, stroke: fill ? 'none' : TILE_COLORS.emptyStroke, 'stroke-width': 1,
    }, g);
    const ink = t > 0.55 ? TILE_COLORS.darkText : TILE_COLORS.text;
    const valued = top.has(d.code) && lay.size >= 44;
    const cx = p.x + p.size / 2, cy = p.y + p.size / 2;
    const name = node('text', {
      x: cx, y: valued ? cy - small * 0.3 : cy, 'font-size': font, 'font-weight': 700,
      'text-anchor': 'middle', 'dominant-baseline': valued ? 'auto' : 'central', fill: ink,
    }, g);
    name.textContent = d.short_zh;
    labels.push([name, p.size * 0.9]);
    if (valued) {
      const v = node('text', {
        x: cx, y: cy + small * 1.25, 'font-size': small, 'text-anchor': 'middle', fill: ink,
      }, g);
      v.textContent = fmt.money(r.gmv);
      labels.push([v, p.size * 0.92]);
    }
    g.addEventListener('pointerenter', (e) => showTip(el, e, tip(d, r, fmt, words, lang)));
    g.addEventListener('pointermove', (e) => moveTip(el, e));
    g.addEventListener('pointerleave', () => hideTip(el));
  }
  el.replaceChildren(svg, tipBox(el));
  legend(svg, lay, max, fmt, words);
  // Never cut a name: a font that draws it wider than the tile is squeezed
  // to fit (measured once the SVG is in the page).
  for (const [text, room] of labels) {
    const w = typeof text.getComputedTextLength === 'function' ? text.getComputedTextLength() : 0;
    if (w > room) {
      text.setAttribute('textLength', room);
      text.setAttribute('lengthAdjust', 'spacingAndGlyphs');
    }
  }
}

/** A tile's figures, one line each. */
function tip(d, r, fmt, words, lang) {
  const head = lang === 'en' ? `${d.name_en} ${d.short_zh}` : `${d.short_zh} ${d.name_en}`;
  if (!r || !(r.gmv > 0)) return [head, words.none];
  // A filtered screen's regions carry no buyers (null): no line, not a 0.
  const buyers = r.buyers === null || r.buyers === undefined ? [] : [`${words.buyers} ${fmt.count(r.buyers)}`];
  return [
    head,
    `${words.gmv} ${fmt.money(r.gmv)}`,
    `${words.orders} ${fmt.count(r.orders ?? 0)}`,
    ...buyers,
    `${words.share} ${fmt.pct(r.share ?? null)}`,
  ];
}

/** Width of an SVG text in the page (0 before it is laid out). */
const measure = (t) => (typeof t.getComputedTextLength === 'function' ? t.getComputedTextLength() : 0);

/**
 * The scale under the map, laid out left to right from measured text (the
 * SVG is in the page by now): an empty swatch and its word, then the word
 * GMV, a bar from the least to the most, and the most.
 */
function legend(svg, lay, max, fmt, words) {
  const h = Math.max(8, lay.cell * 0.18);
  const y = lay.legendY + (lay.cell * LEGEND - h) / 2;
  const font = Math.max(9, Math.floor(lay.cell * 0.2));
  const left = lay.x0 + (lay.cell - lay.size) / 2;
  const right = lay.x0 + lay.cell * lay.cols - (lay.cell - lay.size) / 2;
  const g = node('g', { class: 'tilemap-legend', 'font-size': font, fill: TILE_COLORS.muted }, svg);
  const mid = { y: y + h / 2, 'dominant-baseline': 'central' };
  node('rect', { x: left, y, width: h, height: h, rx: 2, fill: TILE_COLORS.empty, stroke: TILE_COLORS.emptyStroke }, g);
  const none = node('text', { x: left + h * 1.5, ...mid }, g);
  none.textContent = words.none;
  const gmv = node('text', { x: left + h * 1.5 + measure(none) + font * 1.2, ...mid }, g);
  gmv.textContent = words.gmv;
  const most = node('text', { x: 0, ...mid }, g);
  most.textContent = fmt.money(max);
  const barX = Number(gmv.getAttribute('x')) + measure(gmv) + font * 0.4;
  const barW = Math.max(h * 2, Math.min(lay.cell * 3, right - barX - measure(most) - font * 0.4));
  most.setAttribute('x', barX + barW + font * 0.4);
  const id = `tilemap-scale-${Math.random().toString(36).slice(2, 8)}`;
  const grad = node('linearGradient', { id }, node('defs', {}, g));
  for (let i = 0; i <= 4; i++) {
    // The bar runs in value, the scale in its square root.
    node('stop', { offset: i / 4, 'stop-color': colorOf(Math.max(1e-9, Math.sqrt(i / 4))) }, grad);
  }
  node('rect', { x: barX, y, width: barW, height: h, rx: 2, fill: `url(#${id})` }, g);
}

/** The hover box, kept across redraws so a tooltip survives a tick. */
function tipBox(el) {
  if (!el._tilemapTip) {
    const box = document.createElement('div');
    box.className = 'tilemap-tip';
    Object.assign(box.style, {
      position: 'absolute', pointerEvents: 'none', display: 'none', zIndex: 10, whiteSpace: 'pre',
      background: 'var(--card, #131a26)', border: '1px solid var(--line, #243045)', color: 'var(--text, #e8edf5)',
      borderRadius: '.4em', padding: '.4em .6em', fontSize: '.9em', lineHeight: 1.4,
      fontVariantNumeric: 'tabular-nums', boxShadow: '0 .3em 1em #0008',
    });
    el._tilemapTip = box;
  }
  if (getComputedStyle(el).position === 'static') el.style.position = 'relative';
  return el._tilemapTip;
}

function showTip(el, e, lines) {
  const box = el._tilemapTip;
  if (!box) return;
  box.textContent = lines.join('\n');
  box.style.display = 'block';
  moveTip(el, e);
}

function moveTip(el, e) {
  const box = el._tilemapTip;
  if (!box || box.style.display === 'none') return;
  const r = el.getBoundingClientRect();
  // Right of the pointer, or left of it near the right edge; kept inside el.
  let x = e.clientX - r.left + 14, y = e.clientY - r.top + 14;
  if (x + box.offsetWidth > r.width) x = e.clientX - r.left - box.offsetWidth - 14;
  if (y + box.offsetHeight > r.height) y = r.height - box.offsetHeight;
  box.style.left = `${Math.max(0, x)}px`;
  box.style.top = `${Math.max(0, y)}px`;
}

function hideTip(el) {
  if (el._tilemapTip) el._tilemapTip.style.display = 'none';
}
