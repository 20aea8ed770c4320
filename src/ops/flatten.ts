import { z } from 'zod';
import type { OpDef } from './op.js';
import { numElements } from '../ir/graph.js';

/**
 * Reshape to a vector. HWC memory order is already what a channels-last Keras Flatten produces, so
 * both kernels are a copy (code generation can alias the buffers instead).
 */
const attrs = z.object({});
export type FlattenAttrs = z.infer<typeof attrs>;

const copy = () => ([x]: ArrayLike<number>[], out: { [i: number]: number; length: number }) => {
  for (let i = 0; i < out.length; i++) out[i] = x[i];
};

export const flatten: OpDef<FlattenAttrs, FlattenAttrs> = {
  name: 'flatten',
  template: 'reshape',
  attrs,
  intParams: attrs,
  activationInputs: 1,
  outputQuant: 'same-as-input',
  aliasesInput: true,
  inferShape: (ctx) => [numElements(ctx.inputs[0])],
  macs: () => 0,
  float: copy,
  quantize: () => ({ params: [], intParams: {}, accumulatorBound: 0 }),
  deriveIntParams: () => ({}),
  int: copy,
};
