/** pad to C: fill with the pad value, then copy each innermost input row to its place. */
import { expect8bit, unsupported } from '../../codegen/lower/checks.js';
import { ctypeOf, suffixOf, type LowerContext, type LayerLowering } from '../../codegen/lower/types.js';
import { thousands } from '../../codegen/c-format.js';
import { numElements } from '../../ir/graph.js';
import { padGeometry, type PadAttrs, type PadIntParams } from './index.js';

export const PAD_PARAMS_DECL = `/* pad: the quantized pad constant (the zero point for PAD). */
typedef struct {
    int32_t pad_value;
} kit_pad_params_t;`;

export function lowerPad(ctx: LowerContext<PadAttrs, PadIntParams>): LayerLowering {
  const name = ctx.node.name;
  const t = expect8bit(name, ctx.output, 'the output');
  if (expect8bit(name, ctx.inputs[0], 'the input') !== t) throw unsupported(name, 'changes the type');
  const g = padGeometry(name, ctx.inputs[0].shape, ctx.attrs.paddings);
  const [i0, i1, i2, i3] = g.in4;
  const [, o1, o2, o3] = g.out4;
  const [b0, b1, b2, b3] = g.before4;
  const count = numElements(g.out);
  const key = { i0, i1, i2, i3, o1, o2, o3, b0, b1, b2, b3, count };
  return {
    index: ctx.index,
    node: ctx.node,
    id: ctx.id,
    kernel: {
      template: 'pad',
      key: JSON.stringify(['pad', key, t]),
      baseName: `kit_pad_${ctx.inputs[0].shape.join('x')}_to_${g.out.join('x')}_${suffixOf(t)}`,
      signature: `const kit_pad_params_t *p, const ${ctypeOf(t)} *input, ${ctypeOf(t)} *output`,
      ctx: { ...key, ctype: ctypeOf(t) },
      describe: `pad ${ctx.inputs[0].shape.join('x')} -> ${g.out.join('x')}, before ${ctx.attrs.paddings.map((p) => p[0]).join('/')}`,
    },
    params: { type: 'kit_pad_params_t', decl: PAD_PARAMS_DECL, name: ctx.id, fields: [{ name: 'pad_value', value: String(ctx.intParams.padValue) }] },
    arrays: [],
    inputs: [ctx.node.inputs[0]],
    output: ctx.node.outputs[0],
    scratchBytes: 0,
    summary: `pad ${ctx.inputs[0].shape.join('x')} -> ${g.out.join('x')}`,
    notes: [`${thousands(count)} values written, pad value ${ctx.intParams.padValue}; no arithmetic`],
  };
}
