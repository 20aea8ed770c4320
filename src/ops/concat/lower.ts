/** concat to C: per block of the outer dimensions, each input's chunk copied or requantized. */
import { checkInt32, expect8bit, unsupported } from '../../codegen/lower/checks.js';
import { ctypeOf, suffixOf, type LowerContext, type LayerLowering } from '../../codegen/lower/types.js';
import { dtypeRange } from '../../quantize/schemes.js';
import { concatGeometry, type ConcatAttrs, type ConcatIntParams } from './index.js';

export const CONCAT_PARAMS_DECL = `/* concat: per input, the requantization to the output (unused for inputs copied as bytes). */
typedef struct {
    const int32_t *multiplier;
    const int32_t *shift;
    const int32_t *input_zero_point;
    int32_t output_zero_point;
} kit_concat_params_t;`;

export function lowerConcat(ctx: LowerContext<ConcatAttrs, ConcatIntParams>): LayerLowering {
  const name = ctx.node.name;
  const t = expect8bit(name, ctx.output, 'the output');
  ctx.inputs.forEach((x, i) => {
    if (expect8bit(name, x, `input ${i}`) !== t) throw unsupported(name, `input ${i} is ${x.dtype}, the output ${t}`);
  });
  const g = concatGeometry(name, ctx.inputs.map((x) => x.shape), ctx.attrs.axis);
  const p = ctx.intParams;
  p.shift.forEach((s, i) => p.requantize[i] && checkInt32(name, `input ${i} minus its zero point`, 255, Math.max(0, s)));
  const total = g.chunks.reduce((a, b) => a + b, 0);
  let offset = 0;
  const inputs = g.chunks.map((chunk, i) => {
    const r = { index: i, chunk, offset, copy: !p.requantize[i] };
    offset += chunk;
    return r;
  });
  const { qmin, qmax } = dtypeRange(t);
  const id = ctx.id;
  const ctype = ctypeOf(t);
  const anyRequant = p.requantize.some((r) => r);
  return {
    index: ctx.index,
    node: ctx.node,
    id,
    kernel: {
      template: 'concat',
      key: JSON.stringify(['concat', g.outer, inputs, t]),
      baseName: `kit_concat_${g.outer}x${g.chunks.join('_')}${anyRequant ? '_rq' : ''}_${suffixOf(t)}`,
      signature: `const kit_concat_params_t *p, ${g.chunks.map((_, i) => `const ${ctype} *input${i}`).join(', ')}, ${ctype} *output`,
      ctx: { outer: g.outer, total, inputs, ctype, qmin, qmax },
      describe: `concat of ${g.chunks.length} inputs, ${g.outer} blocks of ${g.chunks.join(' + ')} values`,
    },
    params: {
      type: 'kit_concat_params_t',
      decl: CONCAT_PARAMS_DECL,
      name: id,
      fields: [
        { name: 'multiplier', value: `${id}_multiplier` },
        { name: 'shift', value: `${id}_shift` },
        { name: 'input_zero_point', value: `${id}_input_zero_point` },
        { name: 'output_zero_point', value: String(ctx.output.quant!.zeroPoint[0]) },
      ],
    },
    arrays: [
      { name: `${id}_multiplier`, ctype: 'int32_t', data: p.multiplier, comment: 'per input: Q31 requantization multiplier (0: copied)', kind: 'requant', align: 4 },
      { name: `${id}_shift`, ctype: 'int32_t', data: p.shift, comment: 'per input: requantization shift', kind: 'requant', align: 4 },
      { name: `${id}_input_zero_point`, ctype: 'int32_t', data: ctx.inputs.map((x) => x.quant!.zeroPoint[0]), comment: 'per input: zero point', kind: 'requant', align: 4 },
    ],
    inputs: ctx.node.inputs,
    output: ctx.node.outputs[0],
    scratchBytes: 0,
    summary: `concat ${ctx.inputs.map((x) => x.shape.join('x')).join(' + ')} -> ${g.out.join('x')} (axis ${ctx.attrs.axis})`,
    notes: [`inputs ${p.requantize.map((r, i) => `${i}: ${r ? 'requantized' : 'copied'}`).join(', ')}`],
  };
}
