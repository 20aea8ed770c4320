import type { OpDef } from './op.js';
import { clamp } from '../quantize/fixed-point.js';
import { activationRange, applyFloatActivation } from './common/activation.js';
import { deriveClampIntParams, poolAttrs, poolGeometry, poolIntParams, roundedAverage, type PoolAttrs, type PoolIntParams } from './common/pool.js';
import { dtypeRange, type IntDType } from '../quantize/schemes.js';
import { checkAccumulator } from './common/quantize-weights.js';

/**
 * Average pooling over HWC. Input and output share quantization parameters (TFLite requires it), so
 * the integer kernel averages the raw quantized values: mean(q) = zp + mean(q - zp). The sum of at
 * most poolH*poolW values of 8 bits cannot overflow int32 for any window smaller than 2^23 elements.
 */
export const avgPool2d: OpDef<PoolAttrs, PoolIntParams> = {
  name: 'avg_pool2d',
  template: 'avg_pool2d',
  attrs: poolAttrs,
  intParams: poolIntParams,
  activationInputs: 1,
  outputQuant: 'same-as-input',

  inferShape(ctx) {
    const g = poolGeometry(ctx);
    return [g.outH, g.outW, g.channels];
  },

  macs(ctx) {
    const g = poolGeometry(ctx);
    return g.outH * g.outW * g.channels * ctx.attrs.poolSize[0] * ctx.attrs.poolSize[1];
  },

  float(ctx) {
    const g = poolGeometry({ node: ctx.node.name, attrs: ctx.attrs, inputs: ctx.inputShapes, params: [] });
    const activation = ctx.attrs.activation ?? 'none';
    return ([x], out) => {
      pool(g, x, out, (sum, count) => sum / count);
      applyFloatActivation(activation, out as Float32Array);
    };
  },

  quantize(ctx) {
    const { qmin, qmax } = ctx.scheme.activation;
    const bound = ctx.attrs.poolSize[0] * ctx.attrs.poolSize[1] * Math.max(-qmin, qmax);
    checkAccumulator(ctx.node.name, bound, []);
    const r = activationRange(ctx.attrs.activation ?? 'none', ctx.outputQuant, qmin, qmax);
    return { params: [], intParams: { activationMin: r.min, activationMax: r.max }, accumulatorBound: bound };
  },

  deriveIntParams: deriveClampIntParams,

  int(ctx) {
    const g = poolGeometry({ node: ctx.node.name, attrs: ctx.attrs, inputs: ctx.inputs.map((t) => t.shape), params: [] });
    const { qmin, qmax } = dtypeRange(ctx.output.dtype as IntDType);
    const lo = Math.max(ctx.intParams.activationMin, qmin);
    const hi = Math.min(ctx.intParams.activationMax, qmax);
    return ([x], out) => pool(g, x, out, (sum, count) => clamp(roundedAverage(sum, count), lo, hi));
  },
};

/** Sum each window per channel and store finish(sum, count). */
function pool(
  g: ReturnType<typeof poolGeometry>,
  x: ArrayLike<number>,
  out: { [i: number]: number },
  finish: (sum: number, count: number) => number,
): void {
  const C = g.channels;
  for (let oy = 0; oy < g.outH; oy++) {
    const { start: y0, end: y1 } = g.rows[oy];
    for (let ox = 0; ox < g.outW; ox++) {
      const { start: x0, end: x1 } = g.cols[ox];
      const count = (y1 - y0) * (x1 - x0);
      const o = (oy * g.outW + ox) * C;
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let y = y0; y < y1; y++) for (let xx = x0; xx < x1; xx++) sum += x[(y * g.inW + xx) * C + c];
        out[o + c] = finish(sum, count);
      }
    }
  }
}
