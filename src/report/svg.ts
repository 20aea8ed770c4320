/**
 * The report's charts: each function lays out one chart as rectangles, lines and labels, and
 * templates/report/chart.svg.hbs draws them as inline SVG (no script, no library, works offline).
 */
import type { Templates } from './templates.js';

export interface Rect { x: number; y: number; w: number; h: number; fill: string; stroke?: string; title?: string }
export interface Line { x1: number; y1: number; x2: number; y2: number; stroke: string; dash?: string }
export interface Text { x: number; y: number; text: string; anchor: 'start' | 'middle' | 'end'; size: number; fill?: string; rotate?: number }
export interface Chart { label: string; width: number; height: number; rects: Rect[]; lines: Line[]; texts: Text[] }

export const COLORS = { bar: '#3b6ea8', good: '#2e8b57', warn: '#d08c00', bad: '#c0392b', grid: '#d0d4da', text: '#222', muted: '#6b7280' };

const r1 = (v: number) => Math.round(v * 10) / 10;
const thousands = (n: number) => Math.round(n).toLocaleString('en-US');

export function renderChart(t: Templates, c: Chart): string {
  const round = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? r1(v) : v])) as T;
  return t.render('chart.svg.hbs', { ...c, rects: c.rects.map(round), lines: c.lines.map(round), texts: c.texts.map(round) });
}

/** Horizontal bars, one per row, with the value written after each bar. */
export function horizontalBars(label: string, rows: { name: string; value: number; fill?: string; note?: string }[], unit: string): Chart {
  const labelW = 150;
  const barW = 420;
  const rowH = 18;
  const max = Math.max(1e-9, ...rows.map((r) => Math.abs(r.value)));
  const c: Chart = { label, width: labelW + barW + 110, height: rows.length * rowH + 8, rects: [], lines: [], texts: [] };
  rows.forEach((r, i) => {
    const y = 4 + i * rowH;
    const w = (Math.abs(r.value) / max) * barW;
    c.texts.push({ x: labelW - 6, y: y + 12, text: r.name, anchor: 'end', size: 11 });
    c.rects.push({ x: labelW, y: y + 2, w: Math.max(w, 1), h: rowH - 5, fill: r.fill ?? COLORS.bar, title: `${r.name}: ${r.note ?? `${thousands(r.value)} ${unit}`}` });
    c.texts.push({ x: labelW + w + 4, y: y + 12, text: r.note ?? `${thousands(r.value)} ${unit}`, anchor: 'start', size: 10, fill: COLORS.muted });
  });
  return c;
}

/** A count matrix as coloured cells (darker = more), with row and column names. */
export function heatmap(label: string, matrix: number[][], names: string[], axes: { rows: string; cols: string }): Chart {
  const n = matrix.length;
  const cell = 34;
  const left = 90;
  const top = 84;
  const max = Math.max(1, ...matrix.flat());
  const c: Chart = { label, width: left + n * cell + 10, height: top + n * cell + 10, rects: [], lines: [], texts: [] };
  c.texts.push({ x: left + (n * cell) / 2, y: 12, text: axes.cols, anchor: 'middle', size: 11, fill: COLORS.muted });
  c.texts.push({ x: 10, y: top + (n * cell) / 2, text: axes.rows, anchor: 'middle', size: 11, fill: COLORS.muted, rotate: -90 });
  for (let j = 0; j < n; j++) c.texts.push({ x: left + j * cell + cell / 2 + 4, y: top - 6, text: names[j] ?? String(j), anchor: 'start', size: 10, rotate: -60 });
  for (let i = 0; i < n; i++) {
    c.texts.push({ x: left - 6, y: top + i * cell + cell / 2 + 4, text: names[i] ?? String(i), anchor: 'end', size: 10 });
    for (let j = 0; j < n; j++) {
      const v = matrix[i][j];
      const a = v / max;
      const fill = i === j ? `rgba(46,139,87,${(0.08 + 0.92 * a).toFixed(3)})` : `rgba(192,57,43,${(v ? 0.12 + 0.88 * a : 0.03).toFixed(3)})`;
      c.rects.push({ x: left + j * cell, y: top + i * cell, w: cell - 1, h: cell - 1, fill, title: `${names[i] ?? i} as ${names[j] ?? j}: ${v}` });
      if (v) c.texts.push({ x: left + j * cell + cell / 2, y: top + i * cell + cell / 2 + 4, text: String(v), anchor: 'middle', size: 10, fill: a > 0.55 ? '#fff' : COLORS.text });
    }
  }
  return c;
}

/** Vertical bars over equal-width bins, labelled at both ends of the axis. */
export function histogramChart(label: string, edges: number[], counts: number[], unit: string): Chart {
  const left = 40;
  const w = 600;
  const h = 160;
  const top = 10;
  const max = Math.max(1, ...counts);
  const c: Chart = { label, width: left + w + 20, height: top + h + 36, rects: [], lines: [], texts: [] };
  const bw = w / Math.max(1, counts.length);
  counts.forEach((n, k) => {
    const bh = (n / max) * h;
    c.rects.push({ x: left + k * bw, y: top + h - bh, w: Math.max(bw - 1, 1), h: bh, fill: COLORS.bar, title: `${thousands(edges[k])}-${thousands(edges[k + 1])} ${unit}: ${n} images` });
  });
  c.lines.push({ x1: left, y1: top + h, x2: left + w, y2: top + h, stroke: COLORS.text });
  c.texts.push({ x: left - 4, y: top + 10, text: String(max), anchor: 'end', size: 10, fill: COLORS.muted });
  if (edges.length) {
    c.texts.push({ x: left, y: top + h + 14, text: thousands(edges[0]), anchor: 'start', size: 10 });
    c.texts.push({ x: left + w, y: top + h + 14, text: thousands(edges[edges.length - 1]), anchor: 'end', size: 10 });
  }
  c.texts.push({ x: left + w / 2, y: top + h + 30, text: `${unit} per image`, anchor: 'middle', size: 11, fill: COLORS.muted });
  return c;
}

/**
 * The memory plan: x is the layer, y the arena offset; every activation buffer is a bar from the
 * layer that writes it to the last layer that reads it, at the bytes it occupies. The dashed line
 * is the in-place bound (no plan with the same fusion and in-place outputs can use less); the solid
 * one is the arena.
 */
export function memoryPlanChart(plan: { arenaBytes: number; lowerBound: number; buffers: { id: string; offset: number; size: number; first: number; last: number }[] }, layerNames: string[]): Chart {
  const left = 70;
  const w = 640;
  const h = 260;
  const top = 16;
  const layers = Math.max(1, layerNames.length);
  const top_ = Math.max(plan.arenaBytes, plan.lowerBound, 1) * 1.08;
  const x = (layer: number) => left + (layer / layers) * w;
  const y = (bytes: number) => top + h - (bytes / top_) * h;
  const c: Chart = { label: 'memory plan: activation buffers over layers', width: left + w + 120, height: top + h + 90, rects: [], lines: [], texts: [] };
  const palette = ['#3b6ea8', '#5b9bd5', '#2e8b57', '#8e6bb8', '#d08c00', '#4aa3a1', '#b5651d'];
  plan.buffers.forEach((b, k) => {
    c.rects.push({
      x: x(b.first) + 1,
      y: y(b.offset + b.size),
      w: Math.max(x(b.last + 1) - x(b.first) - 2, 2),
      h: Math.max((b.size / top_) * h - 1, 1),
      fill: palette[k % palette.length],
      stroke: '#fff',
      title: `${b.id}: ${thousands(b.size)} B at offset ${thousands(b.offset)}, layers ${b.first}-${b.last}`,
    });
  });
  c.lines.push({ x1: left, y1: y(plan.arenaBytes), x2: left + w, y2: y(plan.arenaBytes), stroke: COLORS.text });
  c.texts.push({ x: left + w + 4, y: y(plan.arenaBytes) - 2, text: `arena ${thousands(plan.arenaBytes)} B`, anchor: 'start', size: 10 });
  c.lines.push({ x1: left, y1: y(plan.lowerBound), x2: left + w, y2: y(plan.lowerBound), stroke: COLORS.bad, dash: '5 3' });
  c.texts.push({ x: left + w + 4, y: y(plan.lowerBound) + 11, text: `bound ${thousands(plan.lowerBound)} B`, anchor: 'start', size: 10, fill: COLORS.bad });
  c.lines.push({ x1: left, y1: top + h, x2: left + w, y2: top + h, stroke: COLORS.text });
  c.lines.push({ x1: left, y1: top, x2: left, y2: top + h, stroke: COLORS.text });
  c.texts.push({ x: left - 4, y: top + h, text: '0', anchor: 'end', size: 10 });
  c.texts.push({ x: left - 4, y: y(plan.arenaBytes) + 4, text: `${Math.round(plan.arenaBytes / 1024)} KiB`, anchor: 'end', size: 10 });
  layerNames.forEach((name, i) => c.texts.push({ x: x(i + 0.5), y: top + h + 8, text: name, anchor: 'end', size: 9, rotate: -50 }));
  return c;
}

/** Used against budget, as one bar per resource with the share written after it. */
export function budgetBars(rows: { name: string; used: number; budget: number }[]): Chart {
  const labelW = 60;
  const barW = 480;
  const rowH = 26;
  const c: Chart = { label: 'flash and RAM against the board budget', width: labelW + barW + 220, height: rows.length * rowH + 6, rects: [], lines: [], texts: [] };
  rows.forEach((r, i) => {
    const y = 4 + i * rowH;
    const share = r.budget > 0 ? r.used / r.budget : 0;
    const fill = share > 1 ? COLORS.bad : share > 0.85 ? COLORS.warn : COLORS.good;
    c.texts.push({ x: labelW - 6, y: y + 14, text: r.name, anchor: 'end', size: 11 });
    c.rects.push({ x: labelW, y: y + 2, w: barW, h: rowH - 8, fill: '#eef0f3', stroke: COLORS.grid });
    c.rects.push({ x: labelW, y: y + 2, w: Math.min(1, share) * barW, h: rowH - 8, fill, title: `${r.name}: ${thousands(r.used)} of ${thousands(r.budget)} B` });
    c.texts.push({ x: labelW + barW + 6, y: y + 14, text: `${thousands(r.used)} of ${thousands(r.budget)} B (${(100 * share).toFixed(1)}%)`, anchor: 'start', size: 10 });
  });
  return c;
}
