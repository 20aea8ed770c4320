import { z } from 'zod';
import type { OpDef } from './op.js';
import { clamp } from '../quantize/fixed-point.js';
import { deriveClampIntParams, poolIntParams, roundedAverage, type PoolIntParams } from './common/pool.js';
import { expectRank } from './common/shape-checks.js';
import { dtypeRange, type IntDType } from '../quantize/schemes.js';
import { checkAccumulator } from './common/quantize-weights.js';

/**
 * Mean over all positions of an HWC tensor, giving [C] (Keras' GlobalAveragePooling2D). Same
 * quantization in and out, so the integer kernel is a rounded average of raw values like avg_pool2d.
 */
const attrs = z.object({});
export type GlobalAvgPoolAttrs = z.infer<typeof attrs>;

export const globalAvgPool: OpDef<GlobalAvgPoolAttrs, PoolIntParams> = {
  name: 'global_avg_pool',
  template: 'global_avg_pool',
  attrs,
  intParams: poolIntParams,
  activationInputs: 1,
  outputQuant: 'same-as-input',

  inferShape(ctx) {
    const [, , c] = expectRank(ctx.node, ctx.inputs[0], 3, 'global_avg_pool input');
    return [c];
  },

  macs(ctx) {
    const [h, w, c] = ctx.inputs[0];
    return h * w * c;
  },

  float(ctx) {
    const [h, w, c] = ctx.inputShapes[0];
    return ([x], out) => globalPool(x, out, h * w, c, (sum, n) => sum / n);
  },

  quantize(ctx) {
    const [h, w] = ctx.inputShapes[0];
    const { qmin, qmax } = ctx.scheme.activation;
    const bound = h * w * Math.max(-qmin, qmax);
    checkAccumulator(ctx.node.name, bound, []);
    return { params: [], intParams: { activationMin: qmin, activationMax: qmax }, accumulatorBound: bound };
  },

  deriveIntParams: (view) => deriveClampIntParams({ ...view, attrs: {} }),

  int(ctx) {
    const [h, w, c] = ctx.inputs[0].shape;
    const { qmin, qmax } = dtypeRange(ctx.output.dtype as IntDType);
    const lo = Math.max(ctx.intParams.activationMin, qmin);
    const hi = Math.min(ctx.intParams.activationMax, qmax);
    return ([x], out) => globalPool(x, out, h * w, c, (sum, n) => clamp(roundedAverage(sum, n), lo, hi));
  },
};

function globalPool(x: ArrayLike<number>, out: { [i: number]: number }, positions: number, C: number, finish: (sum: number, n: number) => number): void {
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let p = 0; p < positions; p++) sum += x[p * C + c];
    out[c] = finish(sum, positions);
  }
}
