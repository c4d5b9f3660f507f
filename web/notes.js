// The war-room log on the screen (docs/api.md, Health, metrics, the
// screen → The war-room log): the notes people write during the night,
// merged from the frames' `notes` / `notes_deleted`, and the alerts that
// fired, as one feed (newest first, alerts labelled) and as the items the
// charts mark on their time axis (markers.js).
//
// A filtered view (`?store=` / `?channel=`) shows the sale's notes and
// those scoped to its own stores or channels; the unfiltered screen shows
// every note. Notes are not figures: a cluster node held below what the
// screen shows (figures.js) still adds its notes — they are keyed by id,
// so a note seen twice is one note.

/**
 * @typedef {{id:string, ts:number, at:string, text:string, scope:string, author?:string,
 *   kind:'note'}} Note  as in `GET /api/v1/notes` (people's notes only: alerts have their own frames)
 * @typedef {{key:string, ts:number, kind:'note'|'alert', severity:string, label:string,
 *   text:string, author:?string, when:string}} LogItem  one line of the feed, one tick on a chart
 */

/** Notes a screen keeps: the snapshot's newest 500, and those added since. */
export const NOTES_KEPT = 500;

/** Notes and alerts the feed holds (the card shows the newest that fit). */
const FEED_NOTES = 30;
const FEED_ALERTS = 20;

/** The view's scopes (`?store=a,b` → `store:a`, `store:b`); empty: the whole sale. */
export function viewScopes(view) {
  const ids = (list, kind) => (list ?? '').split(',').map((s) => s.trim()).filter(Boolean).map((id) => `${kind}:${id}`);
  return [...ids(view.store, 'store'), ...ids(view.channel, 'channel')];
}

/** Whether a note belongs on this view: every note unfiltered, else the sale's and the view's own. */
export function inView(note, scopes) {
  return scopes.length === 0 || note.scope === 'sale' || scopes.includes(note.scope);
}

/**
 * A frame's notes into `state.notes` (a Map by id): a snapshot's replace
 * them (it holds all of the newest 500, so deletions missed while away go
 * too), a tick's are added, its `notes_deleted` removed.
 * @param {{notes:Map<string, Note>}} state  @param {{type:string, notes?:Note[], notes_deleted?:string[]}} f
 */
export function mergeNotes(state, f) {
  if (f.type === 'snapshot' && Array.isArray(f.notes)) state.notes = new Map();
  for (const n of f.notes ?? []) if (n && n.kind !== 'alert_fired' && n.kind !== 'alert_resolved') state.notes.set(n.id, n);
  for (const id of f.notes_deleted ?? []) state.notes.delete(id);
  if (state.notes.size > NOTES_KEPT) {
    const newest = [...state.notes.values()].sort((a, b) => b.ts - a.ts).slice(0, NOTES_KEPT);
    state.notes = new Map(newest.map((n) => [n.id, n]));
  }
  return Boolean(f.notes?.length || f.notes_deleted?.length);
}

let clock = null;
/** HH:MM in the sale's zone (one formatter, made once). */
function hhmm(ms, timezone) {
  if (!clock || clock.resolvedOptions().timeZone !== timezone) {
    clock = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hour: '2-digit', minute: '2-digit', hour12: false });
  }
  return clock.format(new Date(ms));
}

/**
 * The log: the view's notes and the alerts that fired (digest lines are a
 * count, not a moment: feed only), newest first.
 * @returns {LogItem[]}
 */
export function logItems(state, scopes, fmt) {
  const tz = state.sale?.timezone ?? 'UTC';
  const items = [];
  for (const n of state.notes.values()) {
    if (!inView(n, scopes)) continue;
    items.push({ key: n.id, ts: n.ts, kind: 'note', severity: 'note', label: fmt.word('note'),
      text: n.text, author: n.author ?? null, when: hhmm(n.ts, tz) });
  }
  for (const a of state.alerts) {
    if (a.status === 'digest' || !Number.isFinite(a.fired_at_ms)) continue;
    items.push({ key: `alert-${a.id}`, ts: a.fired_at_ms, kind: 'alert', severity: a.severity ?? 'info',
      label: a.title, text: a.summary ?? '', author: null, when: hhmm(a.fired_at_ms, tz) });
  }
  return items.sort((x, y) => y.ts - x.ts);
}

/**
 * The feed: alerts as before (their tag the alert's title, resolved ones
 * faded, the digest line) and notes among them by time, tagged 备注 / note.
 */
export function drawLog(el, state, scopes, fmt) {
  // Each capped on its own: a storm of alerts never pushes the night's
  // notes out of the list (the charts' markers keep every one).
  const notes = logItems(state, scopes, fmt).filter((i) => i.kind === 'note').slice(0, FEED_NOTES);
  const rows = [...notes.map((n) => ({ ts: n.ts, note: n })),
    ...state.alerts.slice(0, FEED_ALERTS).map((a) => ({ ts: a.fired_at_ms, alert: a }))]
    .sort((x, y) => y.ts - x.ts);
  if (rows.length === 0) {
    el.innerHTML = `<li class="empty">${fmt.word('no_log')}</li>`;
    return;
  }
  el.replaceChildren(...rows.map(({ note, alert: a }) => {
    const li = document.createElement('li');
    li.innerHTML = '<span class="tag"></span><span class="name"></span>';
    if (note) {
      li.className = 'note';
      li.dataset.id = note.key;
      li.querySelector('.tag').textContent = `${note.label} ${note.when}`;
      li.querySelector('.name').textContent = note.author ? `${note.text} — ${note.author}` : note.text;
      li.title = `${note.when} ${note.text}${note.author ? ' — ' + note.author : ''}`;
      return li;
    }
    li.className = `alert ${a.severity} ${a.status}`;
    li.dataset.id = String(a.id);
    li.querySelector('.tag').textContent = a.status === 'resolved' ? '✓' : a.title;
    li.querySelector('.name').textContent = a.summary;
    li.title = `${a.fired_at}${a.resolved_at ? ' → ' + a.resolved_at : ''}`;
    return li;
  }));
  // A line the card cuts in half is not shown at all.
  const bottom = el.getBoundingClientRect().bottom;
  for (const li of el.children) li.style.visibility = li.getBoundingClientRect().bottom > bottom + 0.5 ? 'hidden' : '';
}
