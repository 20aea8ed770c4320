import { z } from 'zod';
import { KitError } from '../errors.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../quantize/fixed-point.js';
import { dtypeRange, type IntDType } from '../quantize/schemes.js';
import type { OpDef } from './op.js';
import { activationRange, activationSchema, applyFloatActivation, type Activation } from './common/activation.js';
import { tensorQuant } from './common/view-quant.js';
import type { AffineParams } from '../quantize/qparams.js';
import { checkAccumulator, maxAbsOffset } from './common/quantize-weights.js';
import { sameShape } from './common/shape-checks.js';
import { elementwiseInPlace } from './common/elementwise.js';

/**
 * Element-wise sum of two tensors of the same shape (the residual connection), optional fused ReLU.
 *
 * Integer arithmetic is TFLite's quantized ADD: both inputs are centred on their zero points, shifted
 * left by 20 bits to keep precision, brought to a common scale (twice the larger input scale) with
 * multipliers < 1, summed, and the sum is rescaled to the output scale.
 */
const attrs = z.object({ activation: activationSchema });
export type AddAttrs = z.infer<typeof attrs>;

/** TFLite's left shift for 8-bit add: |x - zp| <= 255 < 2^8, so 2^8 * 2^20 leaves 3 bits of headroom. */
export const ADD_LEFT_SHIFT = 20;

export const addIntParamsSchema = z.object({
  leftShift: z.number().int().min(0).max(30),
  input1Multiplier: z.number().int(),
  input1Shift: z.number().int().min(-31).max(0),
  input2Multiplier: z.number().int(),
  input2Shift: z.number().int().min(-31).max(0),
  outputMultiplier: z.number().int(),
  outputShift: z.number().int().min(-31).max(30),
  activationMin: z.number().int(),
  activationMax: z.number().int(),
});
export type AddIntParams = z.infer<typeof addIntParamsSchema>;

/**
 * TFLite Micro's ADD parameters: twice the larger input scale is the common scale, each input's
 * real multiplier (<= 1/2) and the output's computed in double, then QuantizeMultiplier.
 */
export function addIntParams(in1: AffineParams, in2: AffineParams, out: AffineParams, activation: Activation, qmin: number, qmax: number): AddIntParams {
  const twiceMaxInputScale = 2 * Math.max(in1.scale, in2.scale);
  const m1 = quantizeMultiplier(in1.scale / twiceMaxInputScale);
  const m2 = quantizeMultiplier(in2.scale / twiceMaxInputScale);
  const mOut = quantizeMultiplier(twiceMaxInputScale / (2 ** ADD_LEFT_SHIFT * out.scale));
  const range = activationRange(activation, out, qmin, qmax);
  return {
    leftShift: ADD_LEFT_SHIFT,
    input1Multiplier: m1.multiplier,
    input1Shift: m1.shift,
    input2Multiplier: m2.multiplier,
    input2Shift: m2.shift,
    outputMultiplier: mOut.multiplier,
    outputShift: mOut.shift,
    activationMin: range.min,
    activationMax: range.max,
  };
}

/**
 * One input's rescaling as TFLite's ADD computes it per element, MBQM((q - zeroPoint) << leftShift,
 * multiplier, shift), tabulated for every q of the 8-bit type (index q - qmin). It depends on one
 * 8-bit value only, so the interpreter and the generated C both use this table: the same integers,
 * a third of the work. |q - z| << 20 < 2^28: no overflow.
 */
export function addInputTable(dtype: IntDType, zeroPoint: number, multiplier: number, shift: number, leftShift: number): Int32Array {
  const { qmin, qmax } = dtypeRange(dtype);
  const table = new Int32Array(256);
  for (let q = qmin; q <= qmax; q++) table[q - qmin] = multiplyByQuantizedMultiplier((q - zeroPoint) << leftShift, multiplier, shift);
  return table;
}

export const add: OpDef<AddAttrs, AddIntParams> = {
  name: 'add',
  template: 'add',
  attrs,
  intParams: addIntParamsSchema,
  activationInputs: 2,
  outputQuant: 'calibrated',

  inferShape(ctx) {
    const [a, b] = ctx.inputs;
    if (!a || !b || !sameShape(a, b)) {
      throw new KitError('shape', 'quantize', `${ctx.node}: add needs two inputs of the same shape, got [${a?.join(', ')}] and [${b?.join(', ')}]`);
    }
    return [...a];
  },

  macs() {
    return 0;
  },
  inPlaceInputs: elementwiseInPlace,

  float(ctx) {
    return ([a, b], out) => {
      const o = out as Float32Array;
      for (let i = 0; i < o.length; i++) o[i] = a[i] + b[i];
      applyFloatActivation(ctx.attrs.activation, o);
    };
  },

  quantize(ctx) {
    const [in1, in2] = ctx.inputQuant;
    const { qmin, qmax } = ctx.scheme.activation;
    const intParams = addIntParams(in1, in2, ctx.outputQuant, ctx.attrs.activation, qmin, qmax);
    // Each scaled input is at most half of |x - zp| << 20, so the int32 sum is bounded by the larger
    // shifted input, max|x - zp| * 2^20 <= 255 * 2^20 < 2^28.
    const bound = Math.max(maxAbsOffset(in1.zeroPoint, qmin, qmax), maxAbsOffset(in2.zeroPoint, qmin, qmax)) * 2 ** ADD_LEFT_SHIFT;
    checkAccumulator(ctx.node.name, bound, [intParams.outputShift]);
    return { params: [], intParams, accumulatorBound: bound };
  },

  deriveIntParams(view) {
    const name = view.node.name;
    const out = tensorQuant(name, view.output, 'the output');
    return addIntParams(tensorQuant(name, view.inputs[0], 'input 1'), tensorQuant(name, view.inputs[1], 'input 2'), out, view.attrs.activation, out.qmin, out.qmax);
  },

  int(ctx) {
    const p = ctx.intParams;
    const zOut = ctx.output.quant!.zeroPoint[0];
    const { qmin, qmax } = dtypeRange(ctx.output.dtype as IntDType);
    const lo = Math.max(p.activationMin, qmin);
    const hi = Math.min(p.activationMax, qmax);
    const dtype = ctx.output.dtype as IntDType;
    const t1 = addInputTable(dtype, ctx.inputs[0].quant!.zeroPoint[0], p.input1Multiplier, p.input1Shift, p.leftShift);
    const t2 = addInputTable(dtype, ctx.inputs[1].quant!.zeroPoint[0], p.input2Multiplier, p.input2Shift, p.leftShift);
    const { outputMultiplier, outputShift } = p;
    return (inputs, out) => {
      // Locals, not closure variables, for the hot loop.
      const a = inputs[0], b = inputs[1], table1 = t1, table2 = t2, offset = qmin, m = outputMultiplier, shift = outputShift;
      const zero = zOut, min = lo, max = hi;
      for (let i = 0; i < out.length; i++) {
        // The sum of two values below 2^28 each cannot overflow int32.
        const sum = table1[a[i] - offset] + table2[b[i] - offset];
        const scaled = multiplyByQuantizedMultiplier(sum, m, shift) + zero;
        out[i] = scaled < min ? min : scaled > max ? max : scaled;
      }
    };
  },
};
