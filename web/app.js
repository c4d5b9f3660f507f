// The war-room screen: one WebSocket to /api/v1/live, state merged from
// hello / snapshot / tick / alert frames, everything drawn from that state.
// Query: ?store=ID or ?channel=ID (a store manager's view, both pages),
// ?lang=zh|en, ?token=… (passed to the socket), ?servers=http://a:8080,…
// (cluster nodes to move to when this one is gone; else hello's list),
// ?rotate=N / ?page=1|2 (the pages, see pages.js). The war-room log (notes
// and alerts) is the feed and the charts' markers (notes.js, markers.js);
// an admin's `?token=` also gets the box to add a note (notebox.js).
// Keys: f = full screen; ←/→, 1/2, r: the pages.

import { Format } from './format.js';
import { lineChart, barChart } from './charts.js';
import { SERIES_S, HELD_MOVE_MS, emptyFigures, showSnapshot, showTick } from './figures.js';
import { setupPages } from './pages.js';
import { drawEfficiency } from './efficiency.js';
import { drawRegions, loadDivisions } from './regions.js';
import { mergeNotes, logItems, drawLog, viewScopes } from './notes.js';
import { setupNoteBox } from './notebox.js';

/**
 * @typedef {{gmv:number, orders:number, units:number}} Window
 * @typedef {{gmv:number, refunds:number, net_gmv:number, orders:number, refund_count:number, units:number,
 *   buyers:number, new_buyers:number, aov:?number, units_per_order:?number, profit:number, margin:?number,
 *   profit_target:?number, profit_completion:?number, target:?number, completion:?number, pace:?number,
 *   projected_gmv:?number, visitors:number, page_views:number, spend:number, conversion:?number, roi:?number,
 *   cost_to_sales:?number, budget?:number, budget_used?:number, budget_plan?:?number}} Totals
 * @typedef {{id:string, name:string, gmv:number, orders:number, target:?number, completion:?number, channel?:string,
 *   visitors?:number, spend?:number, conversion?:?number, roi?:?number, cost_to_sales?:?number, budget_used?:?number}} Row
 * @typedef {{id:string, name:string, units:number, gmv:number, stock:?number, stock_left:?number,
 *   sellout_eta_s:?number, warning:?('low'|'out')}} SkuRow
 * @typedef {{minute_start:string, gmv:number, orders:number, units:number, cumulative_gmv:number}} TimelineRow
 * @typedef {{type:'hello', sale:{name:string, currency:string, starts:string, ends:string, timezone:string, target:?number},
 *   plan:[number, number][], tick_ms:number, server_time_ms:number, servers?:string[]}} Hello
 * @typedef {[string, number, number, ?number]} StoreCells a store in a tick: [id, gmv, orders, completion]
 * @typedef {{type:'snapshot'|'tick', seq:number, since?:number, every_ms?:number, server_time_ms:number, events_applied:number, totals:Totals,
 *   windows:{'1m':Window,'5m':Window,'15m':Window}, rates:{orders_per_s:number, gmv_per_s:number},
 *   series:[number, number, number][], timeline:TimelineRow[], channels:Row[], stores:(Row[]|StoreCells[]),
 *   store_names?:Object<string, string>, stores_left?:string[], channels_left?:string[],
 *   top_skus?:SkuRow[], stock_warnings?:SkuRow[], alerts?:object[],
 *   regions?:[string, number, number, ?number][], campaigns?:import('./figures.js').CampaignRow[],
 *   storage?:Storage, stream?:Stream, notes?:import('./notes.js').Note[], notes_deleted?:string[]}} DataFrame
 *   Ratios carry 4 significant digits. In a snapshot `channels` and `stores` are full rows; in a tick
 *   channels are deltas (no name unless first seen, no targets or windows) and stores are StoreCells.
 * @typedef {{ok:boolean, unstored?:number, reason?:('write_failed'|'disk_full')}} Storage
 *   Present while the server's log is failing (and once, ok, when it recovers).
 * @typedef {{seq:number, lag_ms:number, behind:boolean, node:string}} Stream
 *   Cluster mode only: the stream sequence the frame's figures reflect, on which node.
 */

const params = new URLSearchParams(location.search);
const view = { store: params.get('store'), channel: params.get('channel'), token: params.get('token') };
const scopes = viewScopes(view);
const fmt = new Format(params.get('lang') || 'zh', 'CNY');
const $ = (id) => document.getElementById(id);

const STORE_PAGE = 10;
const PAGE_EVERY_MS = 8000;

const state = {
  // `everyMs`: how often the newest frame said its topic is published now
  // (the server lowers it while screens cannot keep up).
  sale: null, plan: [[0, 0], [1, 1]], tickMs: 250, everyMs: 250, alerts: [],
  /** @type {Map<string, import('./notes.js').Note>} the war-room log's notes, by id */ notes: new Map(),
  ...emptyFigures(),
  lastFrame: 0, clockOffset: 0, haveSnapshot: false, shownGmv: 0,
  storePage: 0, pageTurned: 0, dirty: true,
  // Cluster mode: the highest stream sequence shown, and a node's figures
  // held out of sight while they are below it (see figures.js).
  /** @type {?number} */ streamSeq: null,
  /** @type {?Stream} the newest frame's note, shown or held */ stream: null,
  /** @type {?ReturnType<typeof emptyFigures>} */ held: null, heldSince: 0,
};
window.warroom = { state, fmt, errors: [] };
// Kept for the browser test (and anyone debugging a wall screen).
window.addEventListener('error', (e) => window.warroom.errors.push(String(e.message)));

// ---- connection -------------------------------------------------------

let socket = null;
let attempt = 0;

/** Node base URLs (`http://host:port`): this page's own first, then the rest, each once. */
function serverList(list) {
  const out = [location.origin];
  for (const raw of list) {
    try {
      const u = new URL(String(raw).trim());
      if ((u.protocol === 'http:' || u.protocol === 'https:') && !out.includes(u.origin)) out.push(u.origin);
    } catch {
      // Not an address: left out (the others still work).
    }
  }
  return out;
}

const givenServers = (params.get('servers') ?? '').split(',').filter((s) => s.trim());
let servers = serverList(givenServers);
let current = 0;
state.servers = servers;

/** The hello's `[cluster] screens`, when the page's address named none. */
function useServers(list) {
  if (givenServers.length || !Array.isArray(list)) return;
  const on = servers[current];
  servers = serverList(list);
  state.servers = servers;
  current = Math.max(0, servers.indexOf(on));
}

function liveUrl(base) {
  const q = new URLSearchParams();
  if (view.store) q.set('stores', view.store);
  if (view.channel) q.set('channels', view.channel);
  if (view.token) q.set('token', view.token);
  const u = new URL(base);
  const scheme = u.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${u.host}/api/v1/live?${q}`;
}

function connect() {
  state.haveSnapshot = false;
  setConn('connecting');
  const ws = new WebSocket(liveUrl(servers[current]));
  socket = ws;
  state.server = servers[current];
  ws.onmessage = (ev) => {
    if (socket !== ws) return;
    try {
      onFrame(JSON.parse(ev.data));
    } catch (e) {
      console.error('bad frame', e);
      if (window.warroom.errors.length < 20) window.warroom.errors.push(`bad frame: ${e}`);
    }
  };
  ws.onclose = () => {
    if (socket !== ws) return;
    socket = null;
    // Forever, round the servers, with exponential backoff and jitter: at
    // most ~3 s apart with several nodes (the next one is likely up), ~10 s
    // with one (thousands of screens must not stampede a restarting server).
    current = (current + 1) % servers.length;
    const [base, cap] = servers.length > 1 ? [250, 3000] : [500, 10000];
    const delay = Math.min(cap, base * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random());
    attempt += 1;
    setConn(state.lastFrame ? 'stale' : 'connecting');
    setTimeout(connect, delay);
  };
  ws.onerror = () => ws.close();
}

function setConn(kind) {
  const el = $('conn');
  if (el.dataset.state === kind) return;
  el.dataset.state = kind;
  el.className = 'conn ' + kind;
  $('conn-text').textContent = fmt.word(kind);
}

/**
 * Every 250 ms: a screen with no frame for 3 of its topic's intervals
 * (`every_ms` of the newest frame) shows itself stale.
 */
setInterval(() => {
  if (!state.lastFrame) return;
  const age = performance.now() - state.lastFrame;
  if (age > 3 * state.everyMs) setConn('stale');
  else if (state.haveSnapshot) setConn('live');
  // A socket that looks open but carries nothing is dead: start over.
  if (socket && age > Math.max(10000, 12 * state.everyMs)) socket.close();
  // A node held below the figures shown for long: try the next one.
  if (socket && state.held && servers.length > 1 && performance.now() - state.heldSince > HELD_MOVE_MS) socket.close();
}, 250);

// ---- frames -----------------------------------------------------------

/** @param {Hello | DataFrame | {type:'alert'}} f */
function onFrame(f) {
  state.lastFrame = performance.now();
  if (f.server_time_ms) state.clockOffset = f.server_time_ms - Date.now();
  if (f.type === 'hello') {
    state.sale = f.sale;
    state.plan = f.plan;
    state.baseline = f.baseline ?? null;
    $('legend-base').hidden = !state.baseline;
    state.tickMs = f.tick_ms;
    state.everyMs = f.tick_ms;
    fmt.setCurrency(f.sale.currency);
    useServers(f.servers);
  } else if (f.type === 'snapshot') {
    mergeAlerts(f.alerts);
    mergeNotes(state, f);
    showSnapshot(state, f, minuteIndex);
    state.haveSnapshot = true;
    attempt = 0;
    setConn('live');
  } else if (f.type === 'tick') {
    // A catch-up frame is a tick like any other (its `seq` may jump).
    if (f.every_ms) state.everyMs = f.every_ms;
    mergeAlerts(f.alerts);
    mergeNotes(state, f);
    showTick(state, f, minuteIndex);
  } else if (f.type === 'alert' && f.event === 'digest') {
    // More alerts in one second than a feed can show: one line for the rest.
    const rules = Object.values(f.by_rule ?? {}).map((r) => `${r.title} ${fmt.count(r.count)}`);
    state.alerts.unshift({
      id: `digest-${f.server_time_ms}`, severity: 'info', status: 'digest',
      title: `+${fmt.count(f.more)}`, summary: rules.join(' · '),
      fired_at: f.server_time, fired_at_ms: f.server_time_ms, resolved_at: null,
    });
    state.alerts.length = Math.min(state.alerts.length, 50);
  } else if (f.type === 'alert' && f.alert) {
    // Fire, repeat or resolve: the same alert (by id) is updated in place.
    const i = state.alerts.findIndex((a) => a.id === f.alert.id);
    if (i >= 0) state.alerts.splice(i, 1);
    state.alerts.unshift(f.alert);
    state.alerts.length = Math.min(state.alerts.length, 50);
  }
  state.dirty = true;
}

function minuteIndex(row) {
  return Math.round((Date.parse(row.minute_start) - Date.parse(state.sale.starts)) / 60000);
}

/** A snapshot's recent alerts (or a catch-up tick's), merged into the feed. */
function mergeAlerts(alerts) {
  if (alerts) {
    // A snapshot may be a few ticks older than an alert frame already seen:
    // keep what is newer, add what is missing.
    const seen = new Map(state.alerts.map((a) => [a.id, a]));
    for (const a of alerts) if (!seen.has(a.id)) seen.set(a.id, a);
    state.alerts = [...seen.values()].sort((x, y) => y.fired_at_ms - x.fired_at_ms || y.id - x.id).slice(0, 50);
  }
}

// ---- drawing ----------------------------------------------------------

function text(id, value) {
  const el = $(id);
  if (el.textContent !== value) el.textContent = value;
}

function planShare(x) {
  const p = state.plan;
  x = Math.min(1, Math.max(0, x));
  for (let i = 1; i < p.length; i++) {
    const [x0, y0] = p[i - 1], [x1, y1] = p[i];
    if (x <= x1) return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
  }
  return 1;
}

function saleClock() {
  if (!state.sale) return { now: Date.now(), share: 0 };
  const now = Date.now() + state.clockOffset;
  const starts = Date.parse(state.sale.starts), ends = Date.parse(state.sale.ends);
  return { now, starts, ends, share: (now - starts) / (ends - starts) };
}

function drawClock() {
  if (!state.sale) return;
  const { now, starts, ends } = saleClock();
  const wall = new Intl.DateTimeFormat(fmt.lang === 'zh' ? 'zh-CN' : 'en-GB', {
    timeZone: state.sale.timezone, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
  }).format(new Date(now));
  let phase;
  if (now < starts) phase = `${fmt.word('to_start')} ${fmt.duration((starts - now) / 1000)}`;
  else if (now >= ends) phase = fmt.word('ended');
  else phase = `${fmt.word('since_start')} ${fmt.duration((now - starts) / 1000)} · ${fmt.word('to_end')} ${fmt.duration((ends - now) / 1000)}`;
  text('clock', `${wall} · ${phase}`);
}

function fitText(el) {
  el.style.fontSize = '';
  for (let i = 0; i < 12 && el.scrollWidth > el.clientWidth; i++) {
    el.style.fontSize = parseFloat(getComputedStyle(el).fontSize) * 0.9 + 'px';
  }
}

let lastGmvLength = 0;
function drawCounter(dt) {
  const t = state.totals;
  if (!t) return;
  // Rolls toward the newest figure and never backwards within a connection.
  if (t.gmv > state.shownGmv) {
    const gap = t.gmv - state.shownGmv;
    state.shownGmv += Math.max(1, gap * Math.min(1, dt / 600));
    if (state.shownGmv > t.gmv) state.shownGmv = t.gmv;
  }
  const el = $('gmv');
  el.dataset.value = String(t.gmv);
  const shown = fmt.moneyFull(Math.round(state.shownGmv));
  text('gmv', shown);
  if (shown.length !== lastGmvLength) {
    lastGmvLength = shown.length;
    fitText(el);
  }
}

function drawHeadline() {
  const t = state.totals;
  text('net-gmv', fmt.money(t.net_gmv));
  text('orders', fmt.count(t.orders));
  text('buyers', fmt.count(t.buyers));
  text('aov', fmt.money(t.aov));
  text('upo', fmt.num(t.units_per_order));
  text('profit', t.margin === null ? fmt.money(t.profit) : `${fmt.money(t.profit)} (${fmt.pct(t.margin, 0)})`);
  text('rate', fmt.count(Math.round(state.rates.orders_per_s)));
  text('refunds', fmt.money(t.refunds));
  const vs = t.vs_baseline;
  const el = $('vs-baseline');
  el.hidden = vs === undefined || vs === null;
  if (!el.hidden) {
    el.className = 'vs ' + (vs >= 0 ? 'ahead' : 'behind');
    text('vs-baseline', `${fmt.word('vs_baseline')} ${vs >= 0 ? '+' : ''}${fmt.pct(vs)} (${fmt.money(t.baseline_gmv)})`);
  }
}

function drawTarget() {
  const t = state.totals;
  const c = t.completion;
  $('completion').dataset.value = c === null ? '' : String(c);
  text('completion', fmt.pct(c));
  text('target', fmt.money(t.target));
  text('projected', fmt.money(t.projected_gmv));
  $('ring-fg').setAttribute('stroke-dasharray', `${Math.min(1, c ?? 0) * 100} 100`);
  const expected = planShare(saleClock().share);
  $('ring-plan').setAttribute('stroke-dasharray', `${Math.min(1, expected) * 100} 100`);
  const pace = $('pace');
  if (t.pace === null) {
    pace.className = 'pace';
    text('pace', '—');
  } else {
    const delta = t.pace - 1;
    const kind = delta > 0.02 ? 'ahead' : delta < -0.02 ? 'behind' : 'on_plan';
    pace.className = 'pace ' + (kind === 'on_plan' ? '' : kind);
    text('pace', `${fmt.word(kind)} ${delta >= 0 ? '+' : ''}${fmt.pct(delta)}`);
  }
}

function drawCharts() {
  if (!state.sale) return;
  const { starts, ends, share } = saleClock();
  const total = (ends - starts) / 60000;
  const nowMin = Math.max(1, Math.min(total, share * total));
  const target = state.totals.target ?? 0;
  const actual = [[0, 0]];
  state.timeline.forEach((row, m) => row && actual.push([Math.min(m + 1, nowMin), row.cumulative_gmv]));
  const plan = [];
  const steps = Math.min(240, Math.ceil(nowMin));
  for (let i = 0; i <= steps; i++) {
    const m = (nowMin * i) / steps;
    plan.push([m, planShare(m / total) * target]);
  }
  const hhmm = (ms) => new Intl.DateTimeFormat('en-GB', { timeZone: state.sale.timezone, hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(ms));
  const lines = [{ points: plan, color: '#5b8def', dash: [6, 4] }];
  if (state.baseline) {
    // Last sale, minute for minute since its start (同比).
    const base = [[0, 0]];
    for (let m = 0; m < Math.min(state.baseline.length, Math.ceil(nowMin)); m++) base.push([m + 1, state.baseline[m]]);
    lines.push({ points: base, color: '#8a97ad', dash: [2, 4] });
  }
  lines.push({ points: actual, color: '#ffcc4d', width: 3, fill: true });
  // The log's notes and alerts, in each chart's x units (minutes since the
  // start; bars of the last hour).
  const log = logItems(state, scopes, fmt);
  const sinceStart = (ms) => (ms - starts) / 60000;
  // The smallest money axis: 100 in major units (¥100, $100), so a quiet
  // hour shows ¥0 … ¥100, not ¥0.01 four times.
  const moneyFloor = 100 * fmt.scale;
  lineChart($('chart-cum'), lines, { xMin: 0, xMax: nowMin, yMax: moneyFloor, yFormat: (v) => fmt.money(v), labels: [[0, hhmm(starts)], [1, hhmm(starts + nowMin * 60000)]],
    markers: log.map((i) => ({ ...i, x: sinceStart(i.ts) })) });

  const current = Math.floor(Math.min(total - 1, Math.max(0, share * total)));
  const perMinute = [];
  for (let m = current - 59; m <= current; m++) perMinute.push(m >= 0 ? state.timeline[m]?.gmv ?? 0 : 0);
  barChart($('chart-min'), perMinute, { color: '#ffcc4d', yMax: moneyFloor, yFormat: (v) => fmt.money(v), labels: [[0, '-60m'], [0.5, '-30m'], [1, fmt.lang === 'zh' ? '现在' : 'now']],
    markers: log.map((i) => ({ ...i, x: sinceStart(i.ts) - (current - 59) })) });

  const nowS = Math.floor((Date.now() + state.clockOffset) / 1000);
  const rate = [];
  for (let s = nowS - SERIES_S + 1; s < nowS; s++) rate.push([s - nowS, state.series.get(s)?.[0] ?? 0]);
  lineChart($('chart-rate'), [{ points: rate, color: '#3ad29f', width: 2, fill: true }],
    { xMin: -SERIES_S, xMax: 0, yMax: 4, yFormat: (v) => (v < 10 ? String(Math.round(v * 10) / 10) : fmt.count(Math.round(v))), labels: [[0, '-5m'], [1, fmt.lang === 'zh' ? '现在' : 'now']] });
}

function barRows(el, rows, startRank) {
  if (rows.length === 0) {
    el.innerHTML = `<li class="empty">${fmt.word('no_data')}</li>`;
    return;
  }
  el.replaceChildren(...rows.map((r, i) => {
    const li = document.createElement('li');
    li.dataset.id = r.id;
    const c = r.completion;
    li.innerHTML = `<span class="n">${startRank + i}</span><span class="name"></span>` +
      `<span class="v">${fmt.money(r.gmv)}${c === null ? '' : ' · ' + fmt.pct(c, 0)}</span>` +
      `<span class="track"><span class="fill${c >= 1 ? ' done' : ''}" style="width:${Math.min(100, (c ?? 0) * 100)}%"></span></span>`;
    // A store new to the top 200 comes with its name; the id stands in
    // only for a row that somehow has none.
    li.querySelector('.name').textContent = r.name ?? r.id;
    return li;
  }));
}

function drawLists(nowMs) {
  const channels = [...state.channels.values()].filter((r) => r.gmv > 0 || r.target)
    .sort((a, b) => (b.completion ?? -1) - (a.completion ?? -1) || b.gmv - a.gmv);
  barRows($('channels'), channels, 1);

  const stores = [...state.stores.values()].sort((a, b) => b.gmv - a.gmv || a.id.localeCompare(b.id));
  const pages = Math.max(1, Math.ceil(stores.length / STORE_PAGE));
  if (nowMs - state.pageTurned > PAGE_EVERY_MS) {
    state.storePage = (state.storePage + 1) % pages;
    state.pageTurned = nowMs;
  }
  const page = state.storePage >= pages ? 0 : state.storePage;
  barRows($('stores'), stores.slice(page * STORE_PAGE, (page + 1) * STORE_PAGE), page * STORE_PAGE + 1);
  $('stores').dataset.top = stores[0]?.id ?? '';
  text('store-page', pages > 1 ? `${page + 1}/${pages}` : '');

  $('skus').replaceChildren(...state.topSkus.map((k, i) => {
    const li = document.createElement('li');
    li.innerHTML = `<span class="n">${i + 1}</span><span class="name"></span><span class="v">${fmt.money(k.gmv)} · ${fmt.count(k.units)}</span>`;
    li.querySelector('.name').textContent = k.name;
    return li;
  }));

  const warn = $('stock');
  if (state.warnings.length === 0) warn.innerHTML = `<li class="empty">${fmt.word('no_warnings')}</li>`;
  else warn.replaceChildren(...state.warnings.map((k) => {
    const li = document.createElement('li');
    const tag = k.warning === 'out' ? ['out', fmt.word('out')]
      : k.sellout_eta_s !== null ? ['eta', `${fmt.word('eta')} ${fmt.duration(k.sellout_eta_s)}`]
      : ['low', fmt.word('low')];
    li.innerHTML = `<span class="tag ${tag[0]}">${tag[1]}</span><span class="name"></span><span class="v">${fmt.count(k.stock_left)}</span>`;
    li.querySelector('.name').textContent = k.name;
    return li;
  }));

  drawLog($('alerts'), state, scopes, fmt);
}

/** The red banner across the top while figures shown are not yet stored. */
function drawStorage() {
  const el = $('storage-alarm');
  const s = state.storage;
  el.hidden = !s;
  if (!s) {
    el.dataset.unstored = '';
    return;
  }
  const n = s.unstored ?? 0;
  el.dataset.unstored = String(n);
  const key = n > 0 ? 'storage_unstored' : s.reason === 'disk_full' ? 'storage_disk_full' : 'storage_write_failed';
  text('storage-alarm', fmt.word(key).replace('{n}', fmt.count(n)));
}

/** Cluster mode: a banner while this node is behind, the node in a corner. */
function drawStream() {
  const s = state.stream;
  const alarm = $('stream-alarm');
  alarm.hidden = !s?.behind;
  if (s?.behind) {
    const key = s.lag_ms > 0 ? 'stream_behind' : 'stream_catching_up';
    text('stream-alarm', fmt.word(key).replace('{s}', String(Math.round(s.lag_ms / 1000))));
  }
  const label = $('node');
  label.hidden = !s;
  if (s) {
    label.dataset.node = s.node;
    text('node', `${fmt.word('node')} ${s.node}${state.held ? ' · ' + fmt.word('held') : ''}`);
  }
}

function drawScope() {
  if (!state.sale) return;
  text('sale-name', state.sale.name);
  document.title = `${state.sale.name} · warroom`;
  let scope = '';
  if (view.store) scope = `${fmt.word('stores')}: ${state.stores.get(view.store)?.name ?? view.store}`;
  else if (view.channel) scope = `${fmt.word('channels')}: ${state.channels.get(view.channel)?.name ?? view.channel}`;
  text('scope', scope);
}

let lastDraw = performance.now();
let lastFull = 0;
function frameLoop(now) {
  const dt = now - lastDraw;
  lastDraw = now;
  drawCounter(dt);
  // Everything else at most ~8 times a second, and only when data changed
  // (the clock and charts also move with time: redraw each second anyway).
  if ((state.dirty && now - lastFull > 120) || now - lastFull > 1000) {
    lastFull = now;
    state.dirty = false;
    // One failing panel must never stop the others (or the loop).
    const panels = [drawClock, drawStorage, drawStream, drawScope, drawHeadline, drawTarget, drawCharts, () => drawLists(now),
      () => drawEfficiency(state, fmt), () => drawRegions(state, fmt)];
    for (const draw of state.totals ? panels : panels.slice(0, 3)) {
      try {
        draw();
      } catch (e) {
        if (window.warroom.errors.length < 20) window.warroom.errors.push(String(e));
      }
    }
  }
  requestAnimationFrame(frameLoop);
}

// ---- page behaviour -----------------------------------------------------

document.documentElement.lang = fmt.lang;
for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = fmt.word(el.dataset.i18n);
window.warroom.showPage = setupPages(params, (k) => fmt.word(k));
loadDivisions(view.token, () => { state.dirty = true; });
setupNoteBox(view, () => state.server ?? location.origin, fmt);

document.addEventListener('keydown', (e) => {
  if (typing(e)) return;
  if (e.key === 'f' || e.key === 'F') {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen?.();
  }
});

/** A key typed into the note box is text, not a command. */
function typing(e) {
  return e.target instanceof Element && Boolean(e.target.closest('input, textarea, select'));
}

let idleTimer = 0;
function awake() {
  document.body.classList.remove('idle');
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => document.body.classList.add('idle'), 3000);
}
document.addEventListener('mousemove', awake);
awake();
window.addEventListener('resize', () => { state.dirty = true; lastGmvLength = 0; });

connect();
requestAnimationFrame(frameLoop);
