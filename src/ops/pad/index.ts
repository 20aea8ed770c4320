import { z } from 'zod';
import { KitError } from '../../errors.js';
import { numElements } from '../../ir/graph.js';
import type { OpDef } from '../op.js';
import { tensorQuant } from '../common/view-quant.js';
import { lowerPad } from './lower.js';

/**
 * Constant padding (TFLite's PAD, and PADV2 with a constant): `paddings[d] = [before, after]` for
 * every dimension of the activation (no batch dimension). Input and output share quantization, as
 * TFLite requires, so the integer kernel only moves bytes and writes `padValue`, the quantized pad
 * constant: the zero point (real 0) for PAD.
 */
const attrs = z.object({ paddings: z.array(z.tuple([z.number().int().min(0), z.number().int().min(0)])).min(1).max(4) });
export type PadAttrs = z.infer<typeof attrs>;

const intParams = z.object({ padValue: z.number().int() });
export type PadIntParams = z.infer<typeof intParams>;

/** Output shape, 4-D views (leading 1s) of input and output, and the before-pads in 4-D. */
export function padGeometry(node: string, shape: number[], paddings: [number, number][]): { out: number[]; in4: number[]; out4: number[]; before4: number[] } {
  if (paddings.length !== shape.length) {
    throw new KitError('shape', 'quantize', `${node}: pad has ${paddings.length} [before, after] pairs for a rank-${shape.length} input`);
  }
  const out = shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
  const lead = 4 - shape.length;
  return {
    out,
    in4: [...Array(lead).fill(1), ...shape],
    out4: [...Array(lead).fill(1), ...out],
    before4: [...Array(lead).fill(0), ...paddings.map((p) => p[0])],
  };
}

/** Copy `x` into `out` at the before-pad offsets; everything else is `fill`. */
function pad(g: ReturnType<typeof padGeometry>, x: ArrayLike<number>, out: { fill(v: number): unknown; [i: number]: number }, fill: number): void {
  out.fill(fill);
  const [, i1, i2, i3] = g.in4;
  const [, o1, o2, o3] = g.out4;
  const [b0, b1, b2, b3] = g.before4;
  let s = 0;
  for (let a = 0; a < g.in4[0]; a++) {
    for (let b = 0; b < i1; b++) {
      for (let c = 0; c < i2; c++) {
        let d = (((a + b0) * o1 + b + b1) * o2 + c + b2) * o3 + b3;
        for (let e = 0; e < i3; e++) out[d++] = x[s++];
      }
    }
  }
}

export const padOp: OpDef<PadAttrs, PadIntParams> = {
  name: 'pad',
  template: 'pad',
  attrs,
  intParams,
  activationInputs: 1,
  outputQuant: 'same-as-input',

  inferShape: (ctx) => padGeometry(ctx.node, ctx.inputs[0], ctx.attrs.paddings).out,
  macs: () => 0,

  float(ctx) {
    const g = padGeometry(ctx.node.name, ctx.inputShapes[0], ctx.attrs.paddings);
    return ([x], out) => pad(g, x, out, 0);
  },

  quantize: (ctx) => ({ params: [], intParams: { padValue: ctx.outputQuant.zeroPoint }, accumulatorBound: 0 }),

  /** TFLite Micro's PAD: the output zero point is the pad value. */
  deriveIntParams: (view) => ({ padValue: tensorQuant(view.node.name, view.output, 'the output').zeroPoint }),

  int(ctx) {
    const g = padGeometry(ctx.node.name, ctx.inputs[0].shape, ctx.attrs.paddings);
    const { qmin, qmax } = tensorQuant(ctx.node.name, ctx.output, 'the output');
    if (ctx.intParams.padValue < qmin || ctx.intParams.padValue > qmax) {
      throw new KitError('graph-invalid', 'quantize', `${ctx.node.name}: pad value ${ctx.intParams.padValue} is outside ${ctx.output.dtype}`);
    }
    if (numElements(g.out) !== numElements(ctx.output.shape)) throw new KitError('shape', 'quantize', `${ctx.node.name}: pad output size mismatch`);
    return ([x], out) => pad(g, x, out, ctx.intParams.padValue);
  },

  lower: lowerPad,
};
