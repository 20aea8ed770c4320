import { z } from 'zod';
import type { OpDef } from './op.js';
import { clamp } from '../quantize/fixed-point.js';
import { deriveClampIntParams, poolIntParams, type PoolIntParams } from './common/pool.js';
import { elementwiseInPlace } from './common/elementwise.js';

/**
 * A ReLU that could not be fused into the op before it (e.g. right after pooling). It keeps the
 * input's quantization, so the integer kernel clamps at the zero point (real 0).
 */
const attrs = z.object({});
export type ReluAttrs = z.infer<typeof attrs>;

export const relu: OpDef<ReluAttrs, PoolIntParams> = {
  name: 'relu',
  template: 'relu',
  attrs,
  intParams: poolIntParams,
  activationInputs: 1,
  outputQuant: 'same-as-input',
  inferShape: (ctx) => [...ctx.inputs[0]],
  inPlaceInputs: elementwiseInPlace,
  macs: () => 0,
  float: () => ([x], out) => {
    for (let i = 0; i < out.length; i++) out[i] = x[i] > 0 ? x[i] : 0;
  },
  quantize(ctx) {
    const { qmin, qmax } = ctx.scheme.activation;
    return { params: [], intParams: { activationMin: clamp(ctx.inputQuant[0].zeroPoint, qmin, qmax), activationMax: qmax }, accumulatorBound: 0 };
  },
  deriveIntParams: (view) => deriveClampIntParams({ ...view, attrs: { activation: 'relu' } }),
  int: (ctx) => {
    const { activationMin: lo, activationMax: hi } = ctx.intParams;
    return ([x], out) => {
      for (let i = 0; i < out.length; i++) out[i] = clamp(x[i], lo, hi);
    };
  },
};
