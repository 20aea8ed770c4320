import type { OpDef } from './op.js';
import { clamp } from '../quantize/fixed-point.js';
import { activationRange, applyFloatActivation } from './common/activation.js';
import { deriveClampIntParams, poolAttrs, poolGeometry, poolIntParams, type PoolAttrs, type PoolIntParams } from './common/pool.js';
import { dtypeRange, type IntDType } from '../quantize/schemes.js';

/**
 * Max pooling over HWC. Quantization is monotonic, so with shared input/output parameters the
 * integer kernel is the max of the raw quantized values: no arithmetic, nothing to overflow.
 */
export const maxPool2d: OpDef<PoolAttrs, PoolIntParams> = {
  name: 'max_pool2d',
  template: 'max_pool2d',
  attrs: poolAttrs,
  intParams: poolIntParams,
  activationInputs: 1,
  outputQuant: 'same-as-input',

  inferShape(ctx) {
    const g = poolGeometry(ctx);
    return [g.outH, g.outW, g.channels];
  },

  macs() {
    return 0;
  },

  float(ctx) {
    const g = poolGeometry({ node: ctx.node.name, attrs: ctx.attrs, inputs: ctx.inputShapes, params: [] });
    const activation = ctx.attrs.activation ?? 'none';
    return ([x], out) => {
      maxPool(g, x, out, -Infinity, Infinity);
      applyFloatActivation(activation, out as Float32Array);
    };
  },

  quantize(ctx) {
    const { qmin, qmax } = ctx.scheme.activation;
    const r = activationRange(ctx.attrs.activation ?? 'none', ctx.outputQuant, qmin, qmax);
    return { params: [], intParams: { activationMin: r.min, activationMax: r.max }, accumulatorBound: 0 };
  },

  deriveIntParams: deriveClampIntParams,

  int(ctx) {
    const g = poolGeometry({ node: ctx.node.name, attrs: ctx.attrs, inputs: ctx.inputs.map((t) => t.shape), params: [] });
    const { qmin, qmax } = dtypeRange(ctx.output.dtype as IntDType);
    const lo = Math.max(ctx.intParams.activationMin, qmin);
    const hi = Math.min(ctx.intParams.activationMax, qmax);
    return ([x], out) => maxPool(g, x, out, lo, hi);
  },
};

function maxPool(g: ReturnType<typeof poolGeometry>, x: ArrayLike<number>, out: { [i: number]: number }, lo: number, hi: number): void {
  const C = g.channels;
  for (let oy = 0; oy < g.outH; oy++) {
    const { start: y0, end: y1 } = g.rows[oy];
    for (let ox = 0; ox < g.outW; ox++) {
      const { start: x0, end: x1 } = g.cols[ox];
      const o = (oy * g.outW + ox) * C;
      for (let c = 0; c < C; c++) {
        let m = -Infinity;
        for (let y = y0; y < y1; y++) for (let xx = x0; xx < x1; xx++) m = Math.max(m, x[(y * g.inW + xx) * C + c]);
        out[o + c] = clamp(m, lo, hi);
      }
    }
  }
}
