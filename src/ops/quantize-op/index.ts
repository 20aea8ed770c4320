import { z } from 'zod';
import { KitError } from '../../errors.js';
import { dtypeRange, type IntDType } from '../../quantize/schemes.js';
import type { OpDef } from '../op.js';
import { requantization, requantizeRun, xnnpackConvertMultiplier, xnnpackConvertRun } from '../common/requantize.js';
import { tensorQuant } from '../common/view-quant.js';
import { lowerQuantize } from './lower.js';
import { elementwiseInPlace } from '../common/elementwise.js';

/**
 * TFLite's QUANTIZE between two 8-bit tensors (a requantization, e.g. int8 to int8 with another
 * scale, or uint8 to int8). QUANTIZE from float and DEQUANTIZE at a model's edges are not ops in
 * kit: the importer records the input and output scale and zero point instead.
 */
const attrs = z.object({});
const intParams = z.object({ multiplier: z.number().int(), shift: z.number().int().min(-31).max(30) });
export type QuantizeIntParams = z.infer<typeof intParams>;

export const quantizeOp: OpDef<Record<string, never>, QuantizeIntParams> = {
  name: 'quantize',
  template: 'quantize',
  attrs,
  intParams,
  activationInputs: 1,
  outputQuant: 'calibrated',

  inferShape: (ctx) => [...ctx.inputs[0]],
  inPlaceInputs: elementwiseInPlace,
  macs: () => 0,
  float: () => ([x], out) => out.set(x as never),

  quantize(ctx) {
    return { params: [], intParams: requantization(ctx.node.name, ctx.inputQuant[0], ctx.outputQuant), accumulatorBound: 255 };
  },

  deriveIntParams(view) {
    const name = view.node.name;
    return requantization(name, tensorQuant(name, view.inputs[0], 'the input'), tensorQuant(name, view.output, 'the output'));
  },

  int(ctx) {
    const name = ctx.node.name;
    const input = tensorQuant(name, ctx.inputs[0], 'the input');
    const output = tensorQuant(name, ctx.output, 'the output');
    if (ctx.intParams.shift > 23) throw new KitError('accumulator-overflow', 'quantize', `${name}: requantization shift ${ctx.intParams.shift} overflows int32`);
    const { qmin, qmax } = dtypeRange(ctx.output.dtype as IntDType);
    const m = ctx.requantization === 'xnnpack' ? xnnpackConvertMultiplier(input, output) : undefined;
    if (m !== undefined) return ([x], out) => xnnpackConvertRun(m, input.zeroPoint, output.zeroPoint, qmin, qmax, x, 0, out, 0, out.length);
    return ([x], out) => requantizeRun(ctx.intParams, input.zeroPoint, output.zeroPoint, qmin, qmax, x, 0, out, 0, out.length);
  },

  lower: lowerQuantize,
};
