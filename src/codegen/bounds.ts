/**
 * The memory plan against its two bounds, in words (kit codegen's report and model.c's comment say
 * the same): the in-place bound of the plan made (fusion and in-place outputs included) and the
 * layer-wise bound of layer-by-layer execution (memory-plan.ts).
 */
import { thousands } from './c-format.js';
import type { Prepared } from './generate.js';

export function boundLines(p: Pick<Prepared, 'plan' | 'fusions'>): string[] {
  const { plan } = p;
  const verdict = plan.arenaBytes === plan.lowerBound ? 'optimal' : `${thousands(plan.arenaBytes - plan.lowerBound)} B above it`;
  const lines = [`arena ${thousands(plan.arenaBytes)} B, in-place bound ${thousands(plan.lowerBound)} B: ${verdict} (${plan.strategy})`];
  const saved = plan.layerwiseBound - plan.arenaBytes;
  if (!p.fusions.length && !plan.inPlace.length) {
    lines.push(`layer-wise bound ${thousands(plan.layerwiseBound)} B (every output in its own buffer): the same, no fusion or in-place output applies`);
  } else {
    const share = plan.layerwiseBound > 0 ? ` (${((100 * saved) / plan.layerwiseBound).toFixed(1)} %)` : '';
    lines.push(`layer-wise bound ${thousands(plan.layerwiseBound)} B (every output in its own buffer): ${saved >= 0 ? `${thousands(saved)} B${share} below it` : `${thousands(-saved)} B above it`}`);
  }
  if (p.fusions.length) lines.push(`fused: ${p.fusions.map((f) => f.fused.join(' + ')).join('; ')}`);
  if (plan.inPlace.length) lines.push(`in place: ${plan.inPlace.map((w) => `${w.node} over ${w.input}`).join(', ')}`);
  return lines;
}
