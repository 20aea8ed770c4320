import type { LayerProfile } from './profile.js';

const n = (x: number) => Math.round(x).toLocaleString('en-US');
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** kit verify --profile's table: one row per layer, then what is outside the layers, the totals and the hook's cost. */
export function renderProfile(p: LayerProfile): string {
  const unit = p.unit;
  const head = ['#', 'layer', 'op', unit, 'MACs', `${unit === 'instructions' ? 'instr' : unit}/MAC`, 'share'];
  const rows: string[][] = p.layers.map((l) => [String(l.index), l.name, l.op, n(l.count), l.macs ? n(l.macs) : '', l.perMac === null ? '' : l.perMac.toFixed(2), pct(l.share)]);
  rows.push(['', 'outside the layers', 'call, copies', n(p.outside), '', '', pct(p.total ? p.outside / p.total : 0)]);
  rows.push(['', 'total (profiled)', '', n(p.total), n(p.macs), p.macs ? (p.total / p.macs).toFixed(2) : '', '100.0%']);
  const right = new Set([0, 3, 4, 5, 6]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((v, c) => (right.has(c) ? v.padStart(widths[c]) : v.padEnd(widths[c]))).join('  ').trimEnd();
  const out = [line(head), ...rows.map(line)];
  const exact = unit === 'instructions' ? ' (exact, QEMU -icount)' : '';
  out.push(`per-layer profile of ${p.board}: image #${p.image}, the median of ${p.images} profiled (totals ${n(p.totalMin)} to ${n(p.totalMax)} ${unit})${exact}`);
  if (p.unprofiledTotal !== null && p.hookPerMark !== null) {
    out.push(
      `unprofiled firmware, same image: ${n(p.unprofiledTotal)} ${unit}; the ${p.marks} marks add ${n(p.total - p.unprofiledTotal)}, ${p.hookPerMark.toFixed(1)} per mark: each layer's figure holds one mark's cost`,
    );
  } else if (p.unprofiledTotal !== null) {
    out.push(`unprofiled firmware, same image: ${n(p.unprofiledTotal)} ${unit}; not exact counts, so the marks' cost is not measured: each layer's figure holds one counter read`);
  } else {
    out.push(`unprofiled firmware not run: each layer's figure holds the cost of one counter read (not measured here)`);
  }
  return out.join('\n');
}
