/** softmax to C: TFLite Micro's integer softmax per row of the last axis, no constants, no scratch. */
import { expect8bit } from '../../codegen/lower/checks.js';
import { ctypeOf, suffixOf, type LowerContext, type LayerLowering } from '../../codegen/lower/types.js';
import { numElements } from '../../ir/graph.js';
import { dtypeRange } from '../../quantize/schemes.js';
import type { SoftmaxAttrs, SoftmaxIntParams } from './index.js';

export const SOFTMAX_PARAMS_DECL = `/* softmax: beta * input_scale as a Q31 multiplier with a left shift, and the smallest difference counted. */
typedef struct {
    int32_t input_multiplier;
    int32_t input_left_shift;
    int32_t diff_min;
} kit_softmax_params_t;`;

export function lowerSoftmax(ctx: LowerContext<SoftmaxAttrs, SoftmaxIntParams>): LayerLowering {
  const name = ctx.node.name;
  const inType = expect8bit(name, ctx.inputs[0], 'the input');
  const outType = expect8bit(name, ctx.output, 'the output');
  const shape = ctx.inputs[0].shape;
  const depth = shape[shape.length - 1];
  const rows = numElements(shape) / depth;
  const p = ctx.intParams;
  return {
    index: ctx.index,
    node: ctx.node,
    id: ctx.id,
    kernel: {
      template: 'softmax',
      key: JSON.stringify(['softmax', rows, depth, inType, outType]),
      baseName: `kit_softmax_${rows}x${depth}_${suffixOf(inType)}${inType === outType ? '' : suffixOf(outType)}`,
      signature: `const kit_softmax_params_t *p, const ${ctypeOf(inType)} *input, ${ctypeOf(outType)} *output`,
      ctx: { rows, depth, inType: ctypeOf(inType), outType: ctypeOf(outType), inMin: dtypeRange(inType).qmin, outMin: dtypeRange(outType).qmin, outMax: dtypeRange(outType).qmax },
      describe: `softmax of ${rows} row(s) of ${depth}`,
    },
    params: {
      type: 'kit_softmax_params_t',
      decl: SOFTMAX_PARAMS_DECL,
      name: ctx.id,
      fields: [
        { name: 'input_multiplier', value: String(p.inputMultiplier) },
        { name: 'input_left_shift', value: String(p.inputLeftShift) },
        { name: 'diff_min', value: String(p.diffMin) },
      ],
    },
    arrays: [],
    inputs: [ctx.node.inputs[0]],
    output: ctx.node.outputs[0],
    scratchBytes: 0,
    summary: `softmax ${shape.join('x')} (beta ${ctx.attrs.beta})`,
    notes: [`input multiplier ${p.inputMultiplier}, left shift ${p.inputLeftShift}, differences below ${p.diffMin} give 0; output scale 1/256`],
  };
}
