/** The text `kit codegen` prints: memory plan, per-layer flash and RAM, totals against the budget. */
import { boundLines } from './bounds.js';
import { kib, thousands } from './c-format.js';
import type { Prepared } from './generate.js';
import { HARNESS, type SizeReport } from './sizes.js';

const pct = (part: number, whole: number) => (whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : '-');

export function renderCodegenReport(p: Prepared, sizes: SizeReport, outDir: string): string {
  const lines: string[] = [];
  const { plan } = p;
  lines.push(`kit codegen: ${p.modelName} (${p.graph.scheme ?? 'quantized'}) for ${p.board.name} -> ${outDir}`);
  lines.push(`model hash ${p.hash}`);
  lines.push('');
  const [first, ...more] = boundLines(p);
  lines.push(`memory plan: ${first.replace(/^arena ([\d,]+ B)/, `arena $1 (${kib(plan.arenaBytes)})`)}`);
  for (const l of more) lines.push(`  ${l}`);
  const busiest = plan.liveBytes.indexOf(Math.max(...plan.liveBytes));
  lines.push(`  the in-place bound is set at layer ${busiest} ${p.layers[busiest].node.name}; scratch ${thousands(plan.scratchTotal)} B more (conv row buffers, dense columns, fused blocks' pixels; shared)`);
  lines.push('');
  const rows = sizes.layers.map((l) => [
    String(l.index),
    l.name,
    l.op,
    p.graph.tensors[p.layers[l.index].output].shape.join('x'),
    thousands(l.macs),
    thousands(l.constBytes),
    l.kernel ? `${thousands(l.codeBytes)}${l.sharedBy > 1 ? ` (1/${l.sharedBy})` : ''}` : '-',
    thousands(l.ramBytes),
  ]);
  const header = ['#', 'layer', 'op', 'output', 'MACs', 'flash: const B', `code B${sizes.measured ? '' : ' (est.)'}`, 'RAM B'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 1 || i === 2 || i === 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  lines.push(fmt(header));
  for (const r of rows) lines.push(fmt(r));
  lines.push('');
  const f = sizes.flash;
  const codeLabel = sizes.measured ? `measured with ${sizes.codeSource}` : 'estimate: no toolchain';
  const h = sizes.harness;
  const harnessLabel = h.measured ? 'measured' : 'allowance';
  lines.push(`flash: weights ${thousands(f.weights)} (exact) + code ${thousands(f.code)} (${codeLabel}) + harness ${thousands(f.harness)} (${harnessLabel}) = ${thousands(f.total)} B of ${thousands(f.budget)} (${pct(f.total, f.budget)})`);
  if (p.board.memory.flash.note) lines.push(`  (${p.board.memory.flash.note})`);
  const r = sizes.ram;
  const stackLabel = `${sizes.measured ? 'model measured' : 'model estimate'}, harness ${harnessLabel}`;
  lines.push(`RAM: arena ${thousands(r.arena)} + scratch ${thousands(r.scratch)} + harness ${thousands(r.harness)} (${harnessLabel}) + stack ${thousands(r.stack)} (${stackLabel}) = ${thousands(r.total)} B of ${thousands(r.budget)} (${pct(r.total, r.budget)})`);
  for (const g of sizes.regions) {
    lines.push(`${g.name} (${g.section}): ${thousands(g.bytes)} B of ${thousands(g.budget)} (${pct(g.bytes, g.budget)}) for ${g.holds.join(' and ')}`);
    if (g.cost) lines.push(`  cost: ${g.cost}`);
  }
  if (h.measured) {
    lines.push(`  (harness: ${h.source}: flash and static RAM are the firmware's minus the model's; its stack is the sum of every harness function's frame, an upper bound since nothing recurses, interrupt entry not included)`);
  } else {
    const input = p.graph.tensors[p.graph.inputs[0]].shape.reduce((a, b) => a * b, 1);
    lines.push(`  (harness allowances, not measured for ${sizes.board}: flash ${thousands(HARNESS.flashBytes)} B; RAM the image (${thousands(input)} B), the frame buffer for one piece of it and the block bitmap, + logits + 64 B of parser state; stack ${HARNESS.stackBytes} B)`);
  }
  for (const problem of sizes.problems) lines.push(`DOES NOT FIT: ${problem}`);
  return lines.join('\n');
}
