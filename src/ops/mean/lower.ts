/** mean to C: int32 sums per output in the shared scratch, then TFLite Micro's division or requantization. */
import { checkInt32, expect8bit } from '../../codegen/lower/checks.js';
import { ctypeOf, suffixOf, type LowerContext, type LayerLowering } from '../../codegen/lower/types.js';
import { thousands } from '../../codegen/c-format.js';
import { numElements } from '../../ir/graph.js';
import { dtypeRange } from '../../quantize/schemes.js';
import { meanGeometry, type MeanAttrs, type MeanIntParams } from './index.js';

export const MEAN_PARAMS_DECL = `/* mean: requantization of (sum - input_zero_point * n), 1 / n folded into the multiplier. */
typedef struct {
    int32_t multiplier;
    int32_t shift;
    int32_t input_zero_point;
    int32_t output_zero_point;
} kit_mean_params_t;`;

/** Scratch bytes: one int32 sum per output value. */
export const meanScratchBytes = (outputs: number) => outputs * 4;

export function lowerMean(ctx: LowerContext<MeanAttrs, MeanIntParams>): LayerLowering {
  const name = ctx.node.name;
  const inType = expect8bit(name, ctx.inputs[0], 'the input');
  const outType = expect8bit(name, ctx.output, 'the output');
  const shape = ctx.inputs[0].shape;
  const g = meanGeometry(name, shape, ctx.attrs);
  const p = ctx.intParams;
  checkInt32(name, 'a sum minus the zero point', g.count * 255, Math.max(0, p.shift));
  const dims = [...Array(4 - shape.length).fill(1), ...shape];
  const reduced = [...Array(4 - shape.length).fill(false), ...shape.map((_, i) => g.axes.includes(i))];
  const strides = [0, 0, 0, 0];
  let s = 1;
  for (let i = 3; i >= 0; i--) if (!reduced[i]) { strides[i] = s; s *= dims[i]; }
  const outputs = numElements(g.out);
  const { qmin, qmax } = dtypeRange(outType);
  const k = { i0: dims[0], i1: dims[1], i2: dims[2], i3: dims[3], s0: strides[0], s1: strides[1], s2: strides[2], s3: strides[3], outputs, count: g.count, same: p.sameQuant, qmin, qmax };
  return {
    index: ctx.index,
    node: ctx.node,
    id: ctx.id,
    kernel: {
      template: 'mean',
      key: JSON.stringify(['mean', k, inType, outType]),
      baseName: `kit_mean_${shape.join('x')}_axes${g.axes.join('')}${p.sameQuant ? '_div' : ''}_${suffixOf(inType)}${inType === outType ? '' : suffixOf(outType)}`,
      signature: `const kit_mean_params_t *p, const ${ctypeOf(inType)} *input, ${ctypeOf(outType)} *output`,
      ctx: { ...k, inType: ctypeOf(inType), outType: ctypeOf(outType) },
      describe: `mean of ${shape.join('x')} over axes ${g.axes.join(', ')} -> ${g.out.join('x')} (${g.count} values each)`,
    },
    params: {
      type: 'kit_mean_params_t',
      decl: MEAN_PARAMS_DECL,
      name: ctx.id,
      fields: [
        { name: 'multiplier', value: String(p.multiplier) },
        { name: 'shift', value: String(p.shift) },
        { name: 'input_zero_point', value: String(ctx.inputs[0].quant!.zeroPoint[0]) },
        { name: 'output_zero_point', value: String(ctx.output.quant!.zeroPoint[0]) },
      ],
    },
    arrays: [],
    inputs: [ctx.node.inputs[0]],
    output: ctx.node.outputs[0],
    scratchBytes: meanScratchBytes(outputs),
    summary: `mean ${shape.join('x')} over axes [${g.axes.join(', ')}] -> ${g.out.join('x')}`,
    notes: [`${thousands(numElements(shape))} values summed, ${p.sameQuant ? 'same quantization: truncating division by ' + g.count : 'requantized with 1/' + g.count + ' folded in'}`],
  };
}
