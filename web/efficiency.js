// Page 2's efficiency panels (投入产出): the sale's (or the filtered
// scope's) traffic, conversion, spend, ROI and cost-to-sales (费比), its
// budget burn against the plan; each channel's GMV, spend, ROI, 费比 and
// conversion, the worst ROI marked with a label (not only a colour); the
// campaigns that spent most, with their ROI. Figures as docs/api.md, Live
// frames names them (ratios to 4 significant digits; money in minor units).

/** @typedef {import('./figures.js').CampaignRow} CampaignRow */

/** Channel rows shown (the panel has room for about this many). */
const CHANNEL_ROWS = 10;
/** Campaign rows shown. */
const CAMPAIGN_ROWS = 8;
/** Budget burn this far past the plan's share shows as ahead (red). */
const BURN_SLACK = 0.02;

const $ = (id) => document.getElementById(id);

function set(id, shown, raw) {
  const el = $(id);
  if (el.textContent !== shown) el.textContent = shown;
  el.dataset.value = raw === null || raw === undefined ? '' : String(raw);
}

/** An ROI as read on a war-room floor: 1.97 (¥1.97 of GMV per ¥1 spent). */
export const roiText = (fmt, roi) => fmt.num(roi, 2);

/** @param {object} state the screen's figures  @param {import('./format.js').Format} fmt */
export function drawEfficiency(state, fmt) {
  const t = state.totals;
  set('visitors', fmt.count(t.visitors), t.visitors);
  set('conversion', fmt.pct(t.conversion, 2), t.conversion);
  set('spend', fmt.money(t.spend), t.spend);
  set('roi', roiText(fmt, t.roi), t.roi);
  set('cost-to-sales', fmt.pct(t.cost_to_sales, 1), t.cost_to_sales);
  drawBudget(t, fmt);
  drawChannels(state, fmt);
  drawCampaigns(state, fmt);
}

/** Spend against the budget, with the plan's expected share as a mark. */
function drawBudget(t, fmt) {
  const has = t.budget !== undefined && t.budget !== null;
  $('budget').classList.toggle('none', !has);
  const fill = $('burn-fill'), mark = $('burn-mark');
  if (!has) {
    set('budget-used', fmt.word('no_budget'), null);
    $('budget-plan').textContent = '';
    $('budget-amounts').textContent = '';
    fill.style.width = '0';
    mark.hidden = true;
    return;
  }
  const used = t.budget_used ?? 0;
  const plan = t.budget_plan;
  set('budget-used', fmt.pct(used, 1), t.budget_used);
  $('budget-used').classList.toggle('ahead', plan !== null && plan !== undefined && used > plan + BURN_SLACK);
  $('budget-plan').textContent = plan === null || plan === undefined ? '' : `${fmt.word('budget_plan')} ${fmt.pct(plan, 1)}`;
  $('budget-plan').dataset.value = plan === null || plan === undefined ? '' : String(plan);
  $('budget-amounts').textContent = `${fmt.money(t.spend)} / ${fmt.money(t.budget)}`;
  fill.style.width = `${Math.min(1, Math.max(0, used)) * 100}%`;
  mark.hidden = plan === null || plan === undefined;
  mark.style.left = `${Math.min(1, Math.max(0, plan ?? 0)) * 100}%`;
}

/** One table row: the first cell a name (text, never HTML), the rest figures. */
function row(id, name, cells) {
  const tr = document.createElement('tr');
  tr.dataset.id = id;
  const th = document.createElement('td');
  th.className = 'f-name';
  th.textContent = name;
  tr.appendChild(th);
  for (const [cls, text, raw] of cells) {
    const td = document.createElement('td');
    td.className = cls;
    td.textContent = text;
    td.dataset.value = raw === null || raw === undefined ? '' : String(raw);
    tr.appendChild(td);
  }
  return tr;
}

function empty(el, cols, word) {
  el.innerHTML = `<tr><td class="empty" colspan="${cols}"></td></tr>`;
  el.querySelector('td').textContent = word;
}

/**
 * The lowest ROI among the channels with spend: marked only when there are
 * two or more to compare (one channel with spend is not "the worst").
 */
export function worstRoi(rows) {
  const spent = rows.filter((r) => r.roi !== null && r.roi !== undefined);
  if (spent.length < 2) return null;
  return spent.reduce((w, r) => (r.roi < w.roi ? r : w)).id;
}

function drawChannels(state, fmt) {
  const rows = [...state.channels.values()]
    .filter((r) => r.gmv > 0 || r.spend > 0 || r.visitors > 0)
    .sort((a, b) => (b.spend ?? 0) - (a.spend ?? 0) || b.gmv - a.gmv || String(a.id).localeCompare(b.id))
    .slice(0, CHANNEL_ROWS);
  const el = $('eff-channels');
  if (rows.length === 0) return empty(el, 6, fmt.word('no_data'));
  const worst = worstRoi(rows);
  el.replaceChildren(...rows.map((r) => {
    const tr = row(r.id, r.name ?? r.id, [
      ['f-gmv', fmt.money(r.gmv), r.gmv],
      ['f-spend', fmt.money(r.spend), r.spend],
      ['f-roi', roiText(fmt, r.roi), r.roi],
      ['f-cts', fmt.pct(r.cost_to_sales, 1), r.cost_to_sales],
      ['f-conv', fmt.pct(r.conversion, 2), r.conversion],
    ]);
    if (r.id === worst) {
      tr.classList.add('worst');
      const tag = document.createElement('span');
      tag.className = 'tag';
      tag.textContent = fmt.word('worst_roi');
      tr.firstChild.appendChild(tag);
    }
    return tr;
  }));
}

function drawCampaigns(state, fmt) {
  /** @type {CampaignRow[]} */
  const rows = [...state.campaigns.values()]
    .filter((c) => c.spend > 0 || c.gmv > 0)
    .sort((a, b) => b.spend - a.spend || b.gmv - a.gmv || String(a.id).localeCompare(b.id))
    .slice(0, CAMPAIGN_ROWS);
  const el = $('campaigns');
  // A store's view has no campaigns: spend is reported per campaign and
  // channel, not per store (docs/api.md, Live frames).
  const word = new URLSearchParams(location.search).has('store') ? 'campaigns_by_channel' : 'no_spend';
  if (rows.length === 0) return empty(el, 6, fmt.word(word));
  el.replaceChildren(...rows.map((c) => {
    const channel = c.channel === null || c.channel === undefined ? '—' : state.channels.get(c.channel)?.name ?? c.channel;
    const tr = row(c.id, c.id, [
      ['f-channel muted', channel, c.channel],
      ['f-spend', fmt.money(c.spend), c.spend],
      ['f-gmv', fmt.money(c.gmv), c.gmv],
      ['f-roi', roiText(fmt, c.roi), c.roi],
      ['f-used', fmt.pct(c.budget_used, 0), c.budget_used],
    ]);
    return tr;
  }));
}
