import { z } from 'zod';
import { KitError } from '../../errors.js';
import { numElements } from '../../ir/graph.js';
import { expect8bit, unsupported } from '../../codegen/lower/checks.js';
import { copyKernel } from '../../codegen/lower/move.js';
import type { LowerContext, LayerLowering } from '../../codegen/lower/types.js';
import type { OpDef } from '../op.js';

/**
 * TFLite's RESHAPE (and SQUEEZE, EXPAND_DIMS) to `shape`: row-major order is kept, so the values
 * do not move. Input and output share quantization; code generation stores the output in the
 * input's bytes and runs no code (or copies, when aliasing is turned off).
 */
const attrs = z.object({ shape: z.array(z.number().int().positive()).min(1) });
export type ReshapeAttrs = z.infer<typeof attrs>;
const none = z.object({});

const copy = () => ([x]: ArrayLike<number>[], out: { [i: number]: number; length: number }) => {
  for (let i = 0; i < out.length; i++) out[i] = x[i];
};

function lowerReshape(ctx: LowerContext<ReshapeAttrs, Record<string, never>>): LayerLowering {
  const name = ctx.node.name;
  const t = expect8bit(name, ctx.output, 'the output');
  if (ctx.inputs[0].dtype !== t) throw unsupported(name, 'changes the type');
  const count = numElements(ctx.output.shape);
  const from = `${ctx.inputs[0].shape.join('x')} -> ${ctx.output.shape.join('x')}`;
  const base = { index: ctx.index, node: ctx.node, id: ctx.id, arrays: [], inputs: [ctx.node.inputs[0]], output: ctx.node.outputs[0], scratchBytes: 0 };
  if (ctx.aliasReshape) return { ...base, summary: `reshape ${from}`, notes: ["no code: the output is the input's bytes"] };
  return { ...base, kernel: copyKernel(count, t), summary: `reshape ${from} (copy)`, notes: [`${count} bytes copied`] };
}

export const reshape: OpDef<ReshapeAttrs, Record<string, never>> = {
  name: 'reshape',
  template: 'reshape',
  attrs,
  intParams: none as z.ZodType<Record<string, never>>,
  activationInputs: 1,
  outputQuant: 'same-as-input',
  aliasesInput: true,
  inferShape(ctx) {
    if (numElements(ctx.attrs.shape) !== numElements(ctx.inputs[0])) {
      throw new KitError('shape', 'quantize', `${ctx.node}: cannot reshape [${ctx.inputs[0].join(', ')}] to [${ctx.attrs.shape.join(', ')}]`);
    }
    return [...ctx.attrs.shape];
  },
  macs: () => 0,
  float: copy,
  quantize: () => ({ params: [], intParams: {}, accumulatorBound: 0 }),
  deriveIntParams: () => ({}),
  int: copy,
  lower: lowerReshape,
};
