import { z } from 'zod';
import { KitError } from '../errors.js';
import type { OpDef } from './op.js';
import { quantizeValue } from '../quantize/qparams.js';
import { expectRank } from './common/shape-checks.js';

/**
 * The model's first op: raw uint8 RGB pixels (HWC) to the network's input, (p / 255 - mean[c]) / std[c].
 *
 * Quantized, normalization and input quantization fold into one lookup table per channel: 256
 * entries giving the quantized input for each pixel value. Host and device index the same table, so
 * there is no float arithmetic before the first integer layer and nothing to disagree about.
 */
const attrs = z.object({
  mean: z.array(z.number()).min(1),
  std: z.array(z.number().positive()).min(1),
});
export type NormalizeInputAttrs = z.infer<typeof attrs>;

const intParams = z.object({});

export const normalizeInput: OpDef<NormalizeInputAttrs, z.infer<typeof intParams>> = {
  name: 'normalize_input',
  template: 'input_lut',
  attrs,
  intParams,
  activationInputs: 1,
  outputQuant: 'fixed-range',

  /** Every pixel value can occur, so the input range is known exactly: no calibration, no clipping. */
  outputRange(a) {
    let min = Infinity;
    let max = -Infinity;
    for (let c = 0; c < a.mean.length; c++) {
      min = Math.min(min, (0 - a.mean[c]) / a.std[c]);
      max = Math.max(max, (1 - a.mean[c]) / a.std[c]);
    }
    return { min, max };
  },

  inferShape(ctx) {
    const shape = expectRank(ctx.node, ctx.inputs[0], 3, 'image input');
    if (ctx.attrs.mean.length !== shape[2] || ctx.attrs.std.length !== shape[2]) {
      throw new KitError('shape', 'quantize', `${ctx.node}: normalization has ${ctx.attrs.mean.length} means and ${ctx.attrs.std.length} stds for ${shape[2]} channels`);
    }
    return [...shape];
  },

  macs: () => 0,

  float(ctx) {
    const { mean, std } = ctx.attrs;
    const C = mean.length;
    return ([x], out) => {
      for (let i = 0; i < out.length; i++) {
        const c = i % C;
        out[i] = (x[i] / 255 - mean[c]) / std[c];
      }
    };
  },

  quantize(ctx) {
    const { mean, std } = ctx.attrs;
    const C = mean.length;
    const { dtype, qmin, qmax } = ctx.scheme.activation;
    const table = dtype === 'uint8' ? new Uint8Array(C * 256) : new Int8Array(C * 256);
    for (let c = 0; c < C; c++) {
      for (let p = 0; p < 256; p++) table[c * 256 + p] = quantizeValue((p / 255 - mean[c]) / std[c], ctx.outputQuant, qmin, qmax);
    }
    return {
      params: [{ name: 'table', tensor: { shape: [C, 256], dtype, data: table, quant: { scale: [ctx.outputQuant.scale], zeroPoint: [ctx.outputQuant.zeroPoint] } } }],
      intParams: {},
      accumulatorBound: 0,
    };
  },

  int(ctx) {
    const table = ctx.params[0].data as Int8Array | Uint8Array;
    const C = ctx.params[0].shape[0];
    return (inputs, out) => {
      const x = inputs[0], lut = table, channels = C;
      for (let i = 0; i < out.length; i++) out[i] = lut[(i % channels) * 256 + x[i]];
    };
  },
};
