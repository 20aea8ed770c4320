/** quantize (8-bit to 8-bit) to C: one MBQM per value. */
import { checkInt32, expect8bit } from '../../codegen/lower/checks.js';
import { ctypeOf, suffixOf, type LowerContext, type LayerLowering } from '../../codegen/lower/types.js';
import { numElements } from '../../ir/graph.js';
import { dtypeRange } from '../../quantize/schemes.js';
import type { QuantizeIntParams } from './index.js';

export const REQUANTIZE_PARAMS_DECL = `/* quantize between 8-bit tensors: y = MBQM(x - zx, multiplier, shift) + zy, clamped. */
typedef struct {
    int32_t multiplier;
    int32_t shift;
    int32_t input_zero_point;
    int32_t output_zero_point;
} kit_requantize_params_t;`;

export function lowerQuantize(ctx: LowerContext<Record<string, never>, QuantizeIntParams>): LayerLowering {
  const name = ctx.node.name;
  const inType = expect8bit(name, ctx.inputs[0], 'the input');
  const outType = expect8bit(name, ctx.output, 'the output');
  const p = ctx.intParams;
  checkInt32(name, 'an input minus its zero point', 255, Math.max(0, p.shift));
  const count = numElements(ctx.output.shape);
  const { qmin, qmax } = dtypeRange(outType);
  const zx = ctx.inputs[0].quant!.zeroPoint[0];
  const zy = ctx.output.quant!.zeroPoint[0];
  return {
    index: ctx.index,
    node: ctx.node,
    id: ctx.id,
    kernel: {
      template: 'quantize',
      key: JSON.stringify(['quantize', count, inType, outType]),
      baseName: `kit_requantize_${count}_${suffixOf(inType)}${suffixOf(outType)}`,
      signature: `const kit_requantize_params_t *p, const ${ctypeOf(inType)} *input, ${ctypeOf(outType)} *output`,
      ctx: { count, outType: ctypeOf(outType), qmin, qmax },
      describe: `requantization of ${count} values, ${inType} -> ${outType}`,
    },
    params: {
      type: 'kit_requantize_params_t',
      decl: REQUANTIZE_PARAMS_DECL,
      name: ctx.id,
      fields: [
        { name: 'multiplier', value: String(p.multiplier) },
        { name: 'shift', value: String(p.shift) },
        { name: 'input_zero_point', value: String(zx) },
        { name: 'output_zero_point', value: String(zy) },
      ],
    },
    arrays: [],
    inputs: [ctx.node.inputs[0]],
    output: ctx.node.outputs[0],
    scratchBytes: 0,
    summary: `quantize ${ctx.output.shape.join('x')} ${inType} (zero point ${zx}) -> ${outType} (zero point ${zy})`,
    notes: [`${count} values: MBQM(x - ${zx}, ${p.multiplier}, ${p.shift}) + ${zy}`],
  };
}
