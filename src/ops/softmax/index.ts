import { z } from 'zod';
import { KitError } from '../../errors.js';
import { numElements } from '../../ir/graph.js';
import { quantizeMultiplier, roundingDivideByPOT, saturatingRoundingDoublingHighMul } from '../../quantize/fixed-point.js';
import type { AffineParams } from '../../quantize/qparams.js';
import { dtypeRange, type IntDType } from '../../quantize/schemes.js';
import type { OpDef } from '../op.js';
import { tensorQuant } from '../common/view-quant.js';
import { expOnNegativeValues, reciprocal } from './fixed-point-exp.js';
import { lowerSoftmax } from './lower.js';

/**
 * Softmax over the last axis (TFLite's SOFTMAX, with beta). The 8-bit output has TFLite's fixed
 * quantization: scale 1/256, zero point -128 (int8) or 0 (uint8).
 *
 * Integer arithmetic is TFLite Micro's reference int8 softmax, per row:
 *   d = x - max(row); rows values with d < diffMin contribute nothing and output the type minimum;
 *   d' = SRDHM(d << inputLeftShift, inputMultiplier)                  (beta * s_in * d in Q5.26)
 *   sum = sum of Rescale<Q12>(exp_on_negative_values(d'))
 *   y = RDBP(SRDHM(1 / sum as a Q0 scale, exp(d')), bitsOverUnit + 31 - 8) + type minimum, clamped.
 */
const attrs = z.object({ beta: z.number().positive() });
export type SoftmaxAttrs = z.infer<typeof attrs>;

const intParams = z.object({
  inputMultiplier: z.number().int(),
  inputLeftShift: z.number().int().min(0).max(31),
  diffMin: z.number().int().max(0),
});
export type SoftmaxIntParams = z.infer<typeof intParams>;

/** Integer bits of the scaled input differences (Q5.26) and of the sum of exponentials (Q12.19). */
export const SCALED_DIFF_INTEGER_BITS = 5;
export const ACCUMULATION_INTEGER_BITS = 12;

/** TFLite's softmax output quantization for a type. */
export function softmaxOutputQuant(dtype: IntDType): AffineParams {
  return { scale: 1 / 256, zeroPoint: dtype === 'int8' ? -128 : 0 };
}

/**
 * TFLite Micro's softmax parameters (PreprocessSoftmaxScaling, CalculateInputRadius): the real
 * multiplier beta * s_in * 2^26, capped at 2^31 - 1, as QuantizeMultiplierGreaterThanOne, and the
 * smallest difference whose scaled value still fits Q5.26.
 */
export function softmaxIntParams(beta: number, inputScale: number): SoftmaxIntParams {
  const real = Math.min(beta * inputScale * 2 ** (31 - SCALED_DIFF_INTEGER_BITS), 2 ** 31 - 1);
  const q = quantizeMultiplier(real);
  if (!(real > 1) || q.shift < 0) {
    throw new KitError('graph-unsupported', 'quantize', `softmax: beta * input scale (${beta * inputScale}) is too small for TFLite's integer softmax`);
  }
  const radius = Math.floor((((1 << SCALED_DIFF_INTEGER_BITS) - 1) * 2 ** (31 - SCALED_DIFF_INTEGER_BITS)) / 2 ** q.shift);
  return { inputMultiplier: q.multiplier, inputLeftShift: q.shift, diffMin: -radius };
}

/** Refuse an output not quantized as TFLite's softmax requires. */
function checkOutput(node: string, out: AffineParams, dtype: IntDType): void {
  const want = softmaxOutputQuant(dtype);
  if (out.zeroPoint !== want.zeroPoint || Math.abs(out.scale - want.scale) > 0.001 * want.scale) {
    throw new KitError('graph-unsupported', 'quantize', `${node}: softmax output must have scale 1/256 and zero point ${want.zeroPoint}, not ${out.scale} and ${out.zeroPoint}`);
  }
}

/** The integer softmax of one row (`depth` values from `x[start]`), written to `out[start]`. */
export function softmaxRow(p: SoftmaxIntParams, x: ArrayLike<number>, out: { [i: number]: number }, start: number, depth: number, inMin: number, outMin: number, outMax: number): void {
  let max = inMin;
  for (let c = start; c < start + depth; c++) if (x[c] > max) max = x[c];
  const scaled = (c: number) => saturatingRoundingDoublingHighMul((x[c] - max) << p.inputLeftShift, p.inputMultiplier);
  let sum = 0;
  for (let c = start; c < start + depth; c++) {
    if (x[c] - max >= p.diffMin) sum = (sum + roundingDivideByPOT(expOnNegativeValues(scaled(c), SCALED_DIFF_INTEGER_BITS), ACCUMULATION_INTEGER_BITS)) | 0;
  }
  const { scale, bitsOverUnit } = reciprocal(sum, ACCUMULATION_INTEGER_BITS);
  const exponent = bitsOverUnit + 31 - 8;
  for (let c = start; c < start + depth; c++) {
    if (x[c] - max >= p.diffMin) {
      const v = roundingDivideByPOT(saturatingRoundingDoublingHighMul(scale, expOnNegativeValues(scaled(c), SCALED_DIFF_INTEGER_BITS)), exponent) + outMin;
      out[c] = v > outMax ? outMax : v < outMin ? outMin : v;
    } else out[c] = outMin;
  }
}

export const softmax: OpDef<SoftmaxAttrs, SoftmaxIntParams> = {
  name: 'softmax',
  template: 'softmax',
  attrs,
  intParams,
  activationInputs: 1,
  outputQuant: 'fixed',
  fixedOutputQuant: softmaxOutputQuant,

  inferShape: (ctx) => [...ctx.inputs[0]],
  /** Per value: one exponential and one multiply (counted as 2 MACs, twice the exponential). */
  macs: (ctx) => 2 * numElements(ctx.inputs[0]),

  float(ctx) {
    const shape = ctx.inputShapes[0];
    const depth = shape[shape.length - 1];
    const beta = ctx.attrs.beta;
    return ([x], out) => {
      for (let r = 0; r < x.length; r += depth) {
        let max = -Infinity;
        for (let c = r; c < r + depth; c++) max = Math.max(max, x[c]);
        let sum = 0;
        for (let c = r; c < r + depth; c++) sum += out[c] = Math.exp((x[c] - max) * beta);
        for (let c = r; c < r + depth; c++) out[c] /= sum;
      }
    };
  },

  quantize(ctx) {
    checkOutput(ctx.node.name, ctx.outputQuant, ctx.scheme.activation.dtype);
    return { params: [], intParams: softmaxIntParams(ctx.attrs.beta, ctx.inputQuant[0].scale), accumulatorBound: 0 };
  },

  deriveIntParams(view) {
    const out = tensorQuant(view.node.name, view.output, 'the output');
    checkOutput(view.node.name, out, view.output.dtype as IntDType);
    return softmaxIntParams(view.attrs.beta, tensorQuant(view.node.name, view.inputs[0], 'the input').scale);
  },

  int(ctx) {
    const shape = ctx.inputs[0].shape;
    const depth = shape[shape.length - 1];
    const inMin = dtypeRange(ctx.inputs[0].dtype as IntDType).qmin;
    const { qmin, qmax } = dtypeRange(ctx.output.dtype as IntDType);
    checkOutput(ctx.node.name, { scale: ctx.output.quant!.scale[0], zeroPoint: ctx.output.quant!.zeroPoint[0] }, ctx.output.dtype as IntDType);
    return ([x], out) => {
      for (let r = 0; r < x.length; r += depth) softmaxRow(ctx.intParams, x, out, r, depth, inMin, qmin, qmax);
    };
  },

  lower: lowerSoftmax,
};
