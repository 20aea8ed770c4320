import { z } from 'zod';
import { KitError } from '../../errors.js';
import { numElements, type Shape } from '../../ir/graph.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../../quantize/fixed-point.js';
import type { AffineParams } from '../../quantize/qparams.js';
import { dtypeRange, type IntDType } from '../../quantize/schemes.js';
import type { OpDef } from '../op.js';
import { checkAccumulator } from '../common/quantize-weights.js';
import { tensorQuant } from '../common/view-quant.js';
import { lowerMean } from './lower.js';

/**
 * Mean over some axes (TFLite's MEAN; global average pooling in Keras-made models is MEAN over H
 * and W), keeping the reduced dimensions as 1 or dropping them.
 *
 * Integer arithmetic is TFLite Micro's (reduce_common.cc), which has two paths:
 * - input and output with equal scale and zero point: the int32 sum of the raw values divided by the
 *   count with C's truncating division (rounds toward zero), no requantization;
 * - otherwise QuantizedMeanOrSum: the int32 sum minus zx * n, through MultiplyByQuantizedMultiplier
 *   with the multiplier of s_in / s_out folded with 1 / n (shift = min(floor(log2 n), 32, 31 + s),
 *   multiplier' = (multiplier << shift) / n in 64 bits, shift' = s - shift), plus zy, clamped to the
 *   type.
 */
const attrs = z.object({ axes: z.array(z.number().int()).min(1).max(4), keepDims: z.boolean() });
export type MeanAttrs = z.infer<typeof attrs>;

const intParams = z.object({
  /** Same quantization in and out: truncating integer division, multiplier and shift unused. */
  sameQuant: z.boolean(),
  multiplier: z.number().int(),
  shift: z.number().int().min(-31).max(30),
});
export type MeanIntParams = z.infer<typeof intParams>;

/** Reduced axes (negative counted from the end, duplicates dropped), output shape, count per output. */
export function meanGeometry(node: string, shape: Shape, a: MeanAttrs): { axes: number[]; out: Shape; count: number } {
  const axes = [...new Set(a.axes.map((x) => (x < 0 ? x + shape.length : x)))].sort();
  if (axes.some((x) => x < 0 || x >= shape.length)) throw new KitError('shape', 'quantize', `${node}: mean axes [${a.axes.join(', ')}] do not fit a rank-${shape.length} input`);
  const out = a.keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
  return { axes, out: out.length ? out : [1], count: axes.reduce((n, x) => n * shape[x], 1) };
}

/** For every input element (row-major), the index of the output it is summed into. */
export function meanTargets(shape: Shape, axes: number[]): Int32Array {
  const strides = new Array<number>(shape.length).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) if (!axes.includes(i)) { strides[i] = s; s *= shape[i]; }
  const targets = new Int32Array(numElements(shape));
  const index = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < targets.length; k++) {
    targets[k] = index.reduce((t, v, i) => t + v * strides[i], 0);
    for (let i = shape.length - 1; i >= 0; i--) { if (++index[i] < shape[i]) break; index[i] = 0; }
  }
  return targets;
}

/** TFLite Micro's MEAN parameters for `count` values per output. */
export function meanIntParams(input: AffineParams, output: AffineParams, count: number): MeanIntParams {
  if (input.zeroPoint === output.zeroPoint && input.scale === output.scale) return { sameQuant: true, multiplier: 0, shift: 0 };
  const q = quantizeMultiplier(input.scale / output.scale);
  let shift = 31 - Math.clz32(count); // floor(log2 count), count < 2^31
  shift = Math.min(shift, 32, 31 + q.shift);
  const multiplier = Number((BigInt(q.multiplier) << BigInt(shift)) / BigInt(count));
  return { sameQuant: false, multiplier, shift: q.shift - shift };
}

/**
 * The float32 scale desktop TFLite's XNNPACK delegate uses for MEAN, where it takes the op: over H
 * and W of an NHWC tensor (kit axes 0 and 1 of a rank-3 shape) with requantization. It computes
 * (sum - zx * n) * (s_in / (s_out * n)) in float32, rounded half to even, plus zy, clamped. Other
 * MEANs run TFLite's own kernel, which matched TFLite Micro's arithmetic in the tests
 * (undefined then). Known gap: at one quantization in and out, that kernel rounds sum / n to the
 * nearest integer where TFLite Micro truncates, and its ties went both ways in the tests (no rule
 * found), so the XNNPACK mode keeps the board's truncation there; with requantization it was not
 * observed.
 */
export function xnnpackMeanScale(shape: Shape, axes: number[], inputScale: number, outputScale: number, sameQuant: boolean): number | undefined {
  if (sameQuant || shape.length !== 3 || axes.join() !== '0,1') return undefined;
  const f = Math.fround;
  return f(f(inputScale) / f(f(outputScale) * (shape[0] * shape[1])));
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export const mean: OpDef<MeanAttrs, MeanIntParams> = {
  name: 'mean',
  template: 'mean',
  attrs,
  intParams,
  activationInputs: 1,
  outputQuant: 'calibrated',

  inferShape: (ctx) => meanGeometry(ctx.node, ctx.inputs[0], ctx.attrs).out,
  macs: (ctx) => numElements(ctx.inputs[0]),

  float(ctx) {
    const g = meanGeometry(ctx.node.name, ctx.inputShapes[0], ctx.attrs);
    const targets = meanTargets(ctx.inputShapes[0], g.axes);
    return ([x], out) => {
      out.fill(0);
      for (let i = 0; i < x.length; i++) out[targets[i]] += x[i];
      for (let i = 0; i < out.length; i++) out[i] /= g.count;
    };
  },

  quantize(ctx) {
    const g = meanGeometry(ctx.node.name, ctx.inputShapes[0], ctx.attrs);
    const p = meanIntParams(ctx.inputQuant[0], ctx.outputQuant, g.count);
    const bound = g.count * 255;
    checkAccumulator(ctx.node.name, bound, [p.shift]);
    return { params: [], intParams: p, accumulatorBound: bound };
  },

  deriveIntParams(view) {
    const g = meanGeometry(view.node.name, view.inputs[0].shape, view.attrs);
    return meanIntParams(tensorQuant(view.node.name, view.inputs[0], 'the input'), tensorQuant(view.node.name, view.output, 'the output'), g.count);
  },

  int(ctx) {
    const shape = ctx.inputs[0].shape;
    const g = meanGeometry(ctx.node.name, shape, ctx.attrs);
    checkAccumulator(ctx.node.name, g.count * 255, [ctx.intParams.shift]);
    const targets = meanTargets(shape, g.axes);
    const { qmin, qmax } = dtypeRange(ctx.output.dtype as IntDType);
    const zx = ctx.inputs[0].quant!.zeroPoint[0];
    const zy = ctx.output.quant!.zeroPoint[0];
    const { sameQuant, multiplier, shift } = ctx.intParams;
    const n = g.count;
    const sums = new Int32Array(numElements(g.out));
    const xnn = ctx.requantization === 'xnnpack' ? xnnpackMeanScale(shape, g.axes, ctx.inputs[0].quant!.scale[0], ctx.output.quant!.scale[0], sameQuant) : undefined;
    return ([x], out) => {
      sums.fill(0);
      for (let i = 0; i < x.length; i++) sums[targets[i]] += x[i];
      for (let i = 0; i < sums.length; i++) {
        if (xnn !== undefined) {
          const v = roundHalfEven(Math.fround((sums[i] - zx * n) * xnn)) + zy;
          out[i] = v < qmin ? qmin : v > qmax ? qmax : v;
        } else if (sameQuant) out[i] = Math.trunc(sums[i] / n);
        else {
          const v = multiplyByQuantizedMultiplier(sums[i] - zx * n, multiplier, shift) + zy;
          out[i] = v < qmin ? qmin : v > qmax ? qmax : v;
        }
      }
    };
  },

  lower: lowerMean,
};
