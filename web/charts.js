// Canvas charts drawn by hand: a line chart (cumulative GMV against plan,
// orders per second) and a bar chart (GMV per minute). Each call redraws
// the whole canvas at the device's pixel ratio; no library, no state.
// `opt.markers` (the war-room log, markers.js) are drawn over the series,
// each at its x in the chart's own units.

import { drawMarkers } from './markers.js';

const COLORS = { grid: '#243045', text: '#8a97ad' };

/** Sizes the canvas backing store to its CSS box; returns the 2D context. */
function prepare(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(canvas.clientWidth * ratio));
  const h = Math.max(1, Math.round(canvas.clientHeight * ratio));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, canvas.clientWidth, canvas.clientHeight);
  const font = parseFloat(getComputedStyle(canvas).fontSize) || 14;
  ctx.font = `${Math.round(font * 0.8)}px system-ui, sans-serif`;
  return { ctx, w: canvas.clientWidth, h: canvas.clientHeight, font };
}

function frame(ctx, w, h, font, yMax, yFormat) {
  const pad = { l: font * 4.2, r: font * 0.6, t: font * 0.6, b: font * 1.6 };
  const plot = { x: pad.l, y: pad.t, w: Math.max(1, w - pad.l - pad.r), h: Math.max(1, h - pad.t - pad.b) };
  ctx.strokeStyle = COLORS.grid;
  ctx.fillStyle = COLORS.text;
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let i = 0; i <= 4; i++) {
    const y = plot.y + plot.h - (plot.h * i) / 4;
    ctx.beginPath();
    ctx.moveTo(plot.x, y);
    ctx.lineTo(plot.x + plot.w, y);
    ctx.stroke();
    ctx.fillText(yFormat((yMax * i) / 4), plot.x - font * 0.3, y);
  }
  return plot;
}

function xLabels(ctx, plot, font, labels) {
  ctx.textBaseline = 'top';
  for (const [fx, text] of labels) {
    // Edge labels align inwards so they are never cut off.
    ctx.textAlign = fx <= 0 ? 'left' : fx >= 1 ? 'right' : 'center';
    ctx.fillText(text, plot.x + plot.w * fx, plot.y + plot.h + font * 0.3);
  }
}

/**
 * @param {HTMLCanvasElement} canvas
 * @param {{points: [number, number][], color: string, width?: number, dash?: number[], fill?: boolean}[]} lines
 * @param {{xMin: number, xMax: number, yMax?: number, yFormat: (v: number) => string, labels: [number, string][],
 *   markers?: import('./markers.js').Placed[]}} opt
 *   `yMax` is the smallest axis maximum (see `barChart`).
 */
export function lineChart(canvas, lines, opt) {
  const { ctx, w, h, font } = prepare(canvas);
  let yMax = opt.yMax ?? 0;
  for (const l of lines) for (const [, y] of l.points) yMax = Math.max(yMax, y);
  yMax = niceMax(yMax);
  const plot = frame(ctx, w, h, font, yMax, opt.yFormat);
  xLabels(ctx, plot, font, opt.labels);
  const span = Math.max(1e-9, opt.xMax - opt.xMin);
  const px = (x) => plot.x + ((x - opt.xMin) / span) * plot.w;
  const py = (y) => plot.y + plot.h - (y / yMax) * plot.h;
  for (const l of lines) {
    if (l.points.length === 0) continue;
    ctx.beginPath();
    l.points.forEach(([x, y], i) => (i ? ctx.lineTo(px(x), py(y)) : ctx.moveTo(px(x), py(y))));
    ctx.setLineDash(l.dash ?? []);
    ctx.strokeStyle = l.color;
    ctx.lineWidth = l.width ?? 2;
    ctx.stroke();
    if (l.fill) {
      const last = l.points[l.points.length - 1];
      ctx.lineTo(px(last[0]), py(0));
      ctx.lineTo(px(l.points[0][0]), py(0));
      ctx.closePath();
      ctx.globalAlpha = 0.15;
      ctx.fillStyle = l.color;
      ctx.fill();
      ctx.globalAlpha = 1;
    }
  }
  ctx.setLineDash([]);
  if (opt.markers) drawMarkers(canvas, ctx, plot, px, font, opt.markers);
}

/**
 * @param {HTMLCanvasElement} canvas
 * @param {number[]} values one bar each, oldest first
 * @param {{color: string, yMax?: number, yFormat: (v: number) => string, labels: [number, string][],
 *   markers?: import('./markers.js').Placed[]}} opt
 *   `yMax` is the smallest axis maximum: an empty or flat-at-zero series
 *   then gets a readable axis (¥0 … ¥100) instead of fractions of a cent.
 *   A marker's x is in bars: 0 the first bar's left edge, 2.5 the middle
 *   of the third.
 */
export function barChart(canvas, values, opt) {
  const { ctx, w, h, font } = prepare(canvas);
  const yMax = niceMax(Math.max(opt.yMax ?? 0, ...values));
  const plot = frame(ctx, w, h, font, yMax, opt.yFormat);
  xLabels(ctx, plot, font, opt.labels);
  const n = Math.max(1, values.length);
  const bw = plot.w / n;
  ctx.fillStyle = opt.color;
  values.forEach((v, i) => {
    const bh = (v / yMax) * plot.h;
    ctx.fillRect(plot.x + i * bw + bw * 0.1, plot.y + plot.h - bh, Math.max(1, bw * 0.8), bh);
  });
  if (opt.markers) drawMarkers(canvas, ctx, plot, (x) => plot.x + x * bw, font, opt.markers);
}

/** A round axis maximum at or above `v`. */
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
