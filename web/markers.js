// The war-room log on the charts: each note and each alert that fired as a
// tick on the time axis, with a faint line up the plot and a head at its
// top; hovering shows what was written, by whom, when. Items closer than
// about a head's width merge into one marker with their count, so a busy
// minute stays one readable mark rather than a smudge.
//
// The charts (charts.js) call `drawMarkers` after their series, in their
// own x units; the clusters drawn are kept on the canvas (`canvas.markers`,
// positions in CSS pixels) for the hover box and for the browser test.

/** @typedef {import('./notes.js').LogItem & {x:number}} Placed  an item and its chart x (chart units) */
/** @typedef {{x:number, count:number, items:import('./notes.js').LogItem[], color:string}} Cluster */

const COLORS = { note: '#e8edf5', critical: '#ff5c6c', warning: '#ffa53d', info: '#5b8def' };
const RANK = { note: 3, critical: 2, warning: 1, info: 0 };

/**
 * Groups items whose x (px) lies within `gap` of the group's mean so far
 * (so two markers' heads, drawn at their means, are always `gap` apart);
 * each group's x is its items' mean, its colour that of its most telling item
 * (a person's note before an alert; critical before warning before info).
 * @param {{px:number, item:import('./notes.js').LogItem}[]} placed  @param {number} gap
 * @returns {Cluster[]}
 */
export function cluster(placed, gap) {
  const out = [];
  let cur = null;
  for (const p of [...placed].sort((a, b) => a.px - b.px)) {
    if (cur && p.px - cur.sum / cur.items.length <= gap) {
      cur.sum += p.px;
      cur.items.push(p.item);
    } else {
      cur = { sum: p.px, items: [p.item] };
      out.push(cur);
    }
  }
  return out.map((c) => {
    const top = c.items.reduce((a, b) => ((RANK[b.severity] ?? 0) > (RANK[a.severity] ?? 0) ? b : a));
    const items = [...c.items].sort((a, b) => a.ts - b.ts);
    return { x: c.sum / c.items.length, count: c.items.length, items, color: COLORS[top.severity] ?? COLORS.info };
  });
}

/**
 * Draws the markers of `items` on a chart and keeps them on the canvas.
 * @param {HTMLCanvasElement} canvas  @param {CanvasRenderingContext2D} ctx
 * @param {{x:number, y:number, w:number, h:number}} plot  @param {(x:number) => number} px
 * @param {number} font  @param {Placed[]} items
 */
export function drawMarkers(canvas, ctx, plot, px, font, items) {
  const placed = [];
  for (const item of items) {
    const x = px(item.x);
    if (x >= plot.x - 0.5 && x <= plot.x + plot.w + 0.5) placed.push({ px: x, item });
  }
  const r = font * 0.5;
  const clusters = cluster(placed, r * 2.4);
  const bottom = plot.y + plot.h;
  ctx.save();
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (const c of clusters) {
    ctx.strokeStyle = c.color;
    ctx.globalAlpha = 0.35;
    ctx.setLineDash([2, 3]);
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(c.x, plot.y + 2 * r);
    ctx.lineTo(c.x, bottom);
    ctx.stroke();
    // The tick across the axis: where on the clock it happened.
    ctx.globalAlpha = 1;
    ctx.setLineDash([]);
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(c.x, bottom - r);
    ctx.lineTo(c.x, bottom + r * 0.6);
    ctx.stroke();
    ctx.fillStyle = c.color;
    ctx.beginPath();
    ctx.arc(c.x, plot.y + r, r, 0, 2 * Math.PI);
    ctx.fill();
    if (c.count > 1) {
      ctx.fillStyle = '#0b0f17';
      ctx.font = `700 ${Math.round(font * (c.count > 9 ? 0.55 : 0.7))}px system-ui, sans-serif`;
      ctx.fillText(c.count > 99 ? '99+' : String(c.count), c.x, plot.y + r + 0.5);
    }
  }
  ctx.restore();
  canvas.markers = clusters;
  canvas.plot = plot;
  hover(canvas);
  // Under a still pointer the box follows what is drawn now (a note
  // deleted, or merged into a marker, is not left standing in it).
  if (canvas.pointer) showTip(canvas, canvas.pointer);
}

let tip = null;
/** One hover box for every chart, made on first use. */
function tipBox() {
  if (!tip) {
    tip = document.createElement('div');
    tip.className = 'marker-tip';
    tip.id = 'marker-tip';
    tip.hidden = true;
    document.body.append(tip);
  }
  return tip;
}

const MAX_LINES = 8;

/** The marker under the pointer (within a head's width), if any. */
function under(canvas, clientX) {
  const box = canvas.getBoundingClientRect();
  const x = clientX - box.left;
  let best = null;
  for (const c of canvas.markers ?? []) {
    const d = Math.abs(c.x - x);
    if (d <= 10 && (!best || d < best.d)) best = { c, d };
  }
  return best?.c ?? null;
}

function hover(canvas) {
  if (canvas.dataset.hover) return;
  canvas.dataset.hover = '1';
  canvas.addEventListener('pointermove', (e) => {
    canvas.pointer = { x: e.clientX, y: e.clientY };
    showTip(canvas, canvas.pointer);
  });
  canvas.addEventListener('pointerleave', () => {
    canvas.pointer = null;
    tipBox().hidden = true;
  });
}

/** The hover box for the marker under `at` (client pixels), or none. */
function showTip(canvas, at) {
  const c = under(canvas, at.x);
  const box = tipBox();
  if (!c) {
    box.hidden = true;
    return;
  }
  const lines = c.items.slice(-MAX_LINES).map((i) => {
    const line = document.createElement('div');
    line.className = `tip-line ${i.kind} ${i.severity}`;
    line.innerHTML = '<b></b> <span class="tag"></span> <span class="text"></span>';
    line.querySelector('b').textContent = i.when;
    line.querySelector('.tag').textContent = i.label;
    line.querySelector('.text').textContent = i.author ? `${i.text} — ${i.author}` : i.text;
    return line;
  });
  if (c.items.length > MAX_LINES) {
    const more = document.createElement('div');
    more.className = 'tip-more';
    more.textContent = `+${c.items.length - MAX_LINES}`;
    lines.unshift(more);
  }
  box.replaceChildren(...lines);
  box.hidden = false;
  // Beside the pointer, kept on the screen.
  const w = box.offsetWidth, h = box.offsetHeight;
  box.style.left = `${Math.max(4, Math.min(innerWidth - w - 4, at.x + 12))}px`;
  box.style.top = `${Math.max(4, Math.min(innerHeight - h - 4, at.y + 12))}px`;
}
