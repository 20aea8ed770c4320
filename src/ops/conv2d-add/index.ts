import { z } from 'zod';
import { KitError } from '../../errors.js';
import { allocate, numElements, type TensorSpec } from '../../ir/graph.js';
import type { IntContext, NodeView, OpDef } from '../op.js';
import { activationSchema } from '../common/activation.js';
import { convDenseIntParams } from '../common/conv-dense.js';
import { add, addIntParamsSchema } from '../add.js';
import { conv2d, conv2dAttrs } from '../conv2d.js';
import { sameShape } from '../common/shape-checks.js';
import { shortcutInPlaceHolds } from './in-place.js';
import { lowerConv2dAdd } from './lower.js';

/**
 * A residual block's tail as one node: the second convolution of the block, its shortcut (the block
 * input itself, or a 1x1 convolution of it) and the add, made by kit codegen's fusion pass
 * (fuse.ts) from a quantized graph; never trained or quantized directly.
 *
 * Inputs: [main conv input, block input, conv weights, conv bias, (shortcut weights, shortcut bias)].
 * Its integer reference is the exact composition of the ops it replaces: the conv2d reference
 * requantized to the conv's own output quantization, the shortcut conv2d likewise, then the add's
 * arithmetic on those 8-bit values, so its outputs are the unfused graph's, byte for byte, by
 * construction. The C kernel never stores the intermediate tensors, and may write its output over
 * the block input (in-place.ts).
 */
const quantOf = z.object({ scale: z.number().positive(), zeroPoint: z.number().int() });

const attrs = z.object({
  conv: conv2dAttrs,
  /** The shortcut conv's attributes, or null for the identity shortcut. */
  shortcut: conv2dAttrs.nullable(),
  /** The add's fused activation. */
  activation: activationSchema,
  /** The add's input order: true when the main conv's output is its first input. */
  convFirst: z.boolean(),
  /** The nodes this one replaces, in their graph order (reports). */
  fused: z.array(z.string()).min(2),
});
export type Conv2dAddAttrs = z.infer<typeof attrs>;

const intParams = z.object({
  conv: convDenseIntParams,
  /** The quantization of the (no longer stored) main conv output. */
  convOutput: quantOf,
  shortcut: convDenseIntParams.nullable(),
  shortcutOutput: quantOf.nullable(),
  add: addIntParamsSchema,
});
export type Conv2dAddIntParams = z.infer<typeof intParams>;

/** The node views of the parts: what conv2d, the shortcut conv2d and add would each see. */
export interface Parts {
  conv: NodeView<Conv2dAddAttrs['conv']>;
  shortcut?: NodeView<Conv2dAddAttrs['conv']>;
  add: NodeView<{ activation: Conv2dAddAttrs['activation'] }>;
}

function intermediate(like: TensorSpec, q: { scale: number; zeroPoint: number }): TensorSpec {
  return { shape: like.shape, dtype: like.dtype, quant: { scale: [q.scale], zeroPoint: [q.zeroPoint] } };
}

export function partsOf(view: NodeView<Conv2dAddAttrs>, p: Conv2dAddIntParams): Parts {
  const [convIn, blockIn] = view.inputs;
  const [w, b, sw, sb] = view.params;
  const name = view.node.name;
  const convOut = intermediate(view.output, p.convOutput);
  const conv = { node: { ...view.node, name: `${name}/conv`, op: 'conv2d' }, attrs: view.attrs.conv, inputs: [convIn], params: [w, b], output: convOut };
  let shortcutOut = blockIn;
  let shortcut: Parts['shortcut'];
  if (view.attrs.shortcut) {
    if (!p.shortcutOutput || !sw || !sb) throw new KitError('graph-unsupported', 'codegen', `${name}: the shortcut convolution has no weights or output quantization`);
    shortcutOut = intermediate(view.output, p.shortcutOutput);
    shortcut = { node: { ...view.node, name: `${name}/shortcut`, op: 'conv2d' }, attrs: view.attrs.shortcut, inputs: [blockIn], params: [sw, sb], output: shortcutOut };
  }
  const addInputs = view.attrs.convFirst ? [convOut, shortcutOut] : [shortcutOut, convOut];
  return { conv, shortcut, add: { node: { ...view.node, op: 'add' }, attrs: { activation: view.attrs.activation }, inputs: addInputs, params: [], output: view.output } };
}

const shapeOf = (node: string, a: Conv2dAddAttrs['conv'], input: number[], params: number[][]) => conv2d.inferShape({ node, attrs: a, inputs: [input], params });

function notMadeHere(): never {
  throw new KitError('graph-unsupported', 'quantize', 'conv2d_add is made by kit codegen from a quantized graph', 'quantize the unfused graph (conv2d and add nodes)');
}

export const conv2dAdd: OpDef<Conv2dAddAttrs, Conv2dAddIntParams> = {
  name: 'conv2d_add',
  template: 'conv2d_add',
  attrs,
  intParams,
  activationInputs: 2,
  outputQuant: 'calibrated',

  inferShape(ctx) {
    const [convIn, blockIn] = ctx.inputs;
    const [w, b, sw, sb] = ctx.params;
    const out = shapeOf(ctx.node, ctx.attrs.conv, convIn, [w, b]);
    const short = ctx.attrs.shortcut ? shapeOf(ctx.node, ctx.attrs.shortcut, blockIn, [sw ?? [], sb ?? []]) : blockIn;
    if (!sameShape(out, short)) {
      throw new KitError('shape', 'codegen', `${ctx.node}: the conv gives [${out.join(', ')}] but the shortcut [${short.join(', ')}]`);
    }
    return out;
  },

  macs(ctx) {
    const [convIn, blockIn] = ctx.inputs;
    const [w, b, sw, sb] = ctx.params;
    const main = conv2d.macs({ node: ctx.node, attrs: ctx.attrs.conv, inputs: [convIn], params: [w, b] });
    return main + (ctx.attrs.shortcut ? conv2d.macs({ node: ctx.node, attrs: ctx.attrs.shortcut, inputs: [blockIn], params: [sw, sb] }) : 0);
  },

  float: notMadeHere,
  quantize: notMadeHere,

  int(ctx) {
    const parts = partsOf(ctx, ctx.intParams);
    const common = { plainAccumulation: ctx.plainAccumulation, requantization: ctx.requantization };
    const convK = conv2d.int({ ...parts.conv, intParams: ctx.intParams.conv, ...common });
    const shortK = parts.shortcut && conv2d.int({ ...parts.shortcut, intParams: ctx.intParams.shortcut!, ...common });
    const addK = add.int({ ...parts.add, intParams: ctx.intParams.add, ...common } as IntContext<{ activation: Conv2dAddAttrs['activation'] }, Conv2dAddIntParams['add']>);
    const count = numElements(ctx.output.shape);
    const convOut = allocate(ctx.output.dtype, count);
    const shortOut = allocate(ctx.output.dtype, count);
    const convFirst = ctx.attrs.convFirst;
    return ([convIn, blockIn], out) => {
      convK([convIn], convOut);
      let s = blockIn;
      if (shortK) {
        shortK([blockIn], shortOut);
        s = shortOut;
      }
      addK(convFirst ? [convOut, s] : [s, convOut], out);
    };
  },

  inPlaceInputs(view) {
    // The output may overwrite the block input (input 1) where in-place.ts proves it safe.
    const [, blockIn] = view.inputs;
    if (blockIn.dtype !== view.output.dtype) return [];
    const strides = view.attrs.shortcut ? view.attrs.shortcut.strides : ([1, 1] as [number, number]);
    return shortcutInPlaceHolds({ input: blockIn.shape, output: view.output.shape, strides, identity: !view.attrs.shortcut }) ? [1] : [];
  },

  lower: lowerConv2dAdd,
};
