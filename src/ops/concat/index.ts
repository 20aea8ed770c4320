import { z } from 'zod';
import { KitError } from '../../errors.js';
import { numElements, type Shape } from '../../ir/graph.js';
import type { AffineParams } from '../../quantize/qparams.js';
import { dtypeRange, type IntDType } from '../../quantize/schemes.js';
import type { OpDef } from '../op.js';
import { requantization, requantizeRun, sameQuant, xnnpackConvertMultiplier, xnnpackConvertRun } from '../common/requantize.js';
import { tensorQuant } from '../common/view-quant.js';
import { lowerConcat } from './lower.js';

/**
 * Concatenation along one axis (TFLite's CONCATENATION) of any number of activations.
 *
 * TFLite Micro's int8 kernel copies bytes: TFLite's int8 spec requires every input to share the
 * output's scale and zero point, and then kit copies too. An input quantized differently (kit
 * quantize calibrates each input on its own) is requantized as QUANTIZE does:
 * clamp(MBQM(x - zx, multiplier, shift) + zy).
 */
const attrs = z.object({ axis: z.number().int() });
export type ConcatAttrs = z.infer<typeof attrs>;

const intParams = z.object({
  /** Per input: false = copy bytes (same quantization as the output), true = requantize. */
  requantize: z.array(z.boolean()),
  multiplier: z.array(z.number().int()),
  shift: z.array(z.number().int().min(-31).max(23)),
});
export type ConcatIntParams = z.infer<typeof intParams>;

/** Output shape, and the flat layout: `outer` blocks, each holding every input's `chunk` values. */
export function concatGeometry(node: string, shapes: Shape[], axisAttr: number): { out: Shape; outer: number; chunks: number[] } {
  const rank = shapes[0]?.length ?? 0;
  const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
  if (!shapes.length || axis < 0 || axis >= rank) throw new KitError('shape', 'quantize', `${node}: concat axis ${axisAttr} does not fit rank-${rank} inputs`);
  for (const s of shapes) {
    if (s.length !== rank || s.some((d, i) => i !== axis && d !== shapes[0][i])) {
      throw new KitError('shape', 'quantize', `${node}: concat inputs [${shapes.map((x) => x.join('x')).join(', ')}] differ outside axis ${axis}`);
    }
  }
  const out = shapes[0].map((d, i) => (i === axis ? shapes.reduce((n, s) => n + s[axis], 0) : d));
  const outer = numElements(shapes[0].slice(0, axis));
  return { out, outer, chunks: shapes.map((s) => numElements(s.slice(axis))) };
}

export function concatIntParams(node: string, inputs: AffineParams[], output: AffineParams): ConcatIntParams {
  const r = inputs.map((q) => (sameQuant(q, output) ? { multiplier: 0, shift: 0 } : requantization(node, q, output)));
  return { requantize: inputs.map((q) => !sameQuant(q, output)), multiplier: r.map((x) => x.multiplier), shift: r.map((x) => x.shift) };
}

export const concat: OpDef<ConcatAttrs, ConcatIntParams> = {
  name: 'concat',
  template: 'concat',
  attrs,
  intParams,
  activationInputs: 'all',
  outputQuant: 'calibrated',

  inferShape: (ctx) => concatGeometry(ctx.node, ctx.inputs, ctx.attrs.axis).out,
  macs: () => 0,

  float(ctx) {
    const g = concatGeometry(ctx.node.name, ctx.inputShapes, ctx.attrs.axis);
    return (inputs, out) => {
      let o = 0;
      for (let b = 0; b < g.outer; b++) {
        inputs.forEach((x, i) => {
          const n = g.chunks[i];
          for (let k = 0; k < n; k++) out[o++] = x[b * n + k];
        });
      }
    };
  },

  quantize: (ctx) => ({ params: [], intParams: concatIntParams(ctx.node.name, ctx.inputQuant, ctx.outputQuant), accumulatorBound: 255 }),

  deriveIntParams(view) {
    const name = view.node.name;
    return concatIntParams(name, view.inputs.map((t, i) => tensorQuant(name, t, `input ${i}`)), tensorQuant(name, view.output, 'the output'));
  },

  int(ctx) {
    const name = ctx.node.name;
    const g = concatGeometry(name, ctx.inputs.map((t) => t.shape), ctx.attrs.axis);
    const zy = tensorQuant(name, ctx.output, 'the output').zeroPoint;
    const zx = ctx.inputs.map((t, i) => tensorQuant(name, t, `input ${i}`).zeroPoint);
    const { qmin, qmax } = dtypeRange(ctx.output.dtype as IntDType);
    const p = ctx.intParams;
    // Desktop TFLite runs a requantized input as its own QUANTIZE (how kit export writes it).
    const yq = tensorQuant(name, ctx.output, 'the output');
    const xnn = ctx.inputs.map((t, i) => (ctx.requantization === 'xnnpack' && p.requantize[i] ? xnnpackConvertMultiplier(tensorQuant(name, t, `input ${i}`), yq) : undefined));
    return (inputs, out) => {
      let o = 0;
      for (let b = 0; b < g.outer; b++) {
        inputs.forEach((x, i) => {
          const n = g.chunks[i];
          const m = xnn[i];
          if (m !== undefined) xnnpackConvertRun(m, zx[i], zy, qmin, qmax, x, b * n, out, o, n);
          else if (p.requantize[i]) requantizeRun({ multiplier: p.multiplier[i], shift: p.shift[i] }, zx[i], zy, qmin, qmax, x, b * n, out, o, n);
          else for (let k = 0; k < n; k++) out[o + k] = x[b * n + k];
          o += n;
        });
      }
    };
  },

  lower: lowerConcat,
};
