import { KitError } from '../errors.js';
import type { OpDef } from './op.js';
import { add } from './add.js';
import { avgPool2d } from './avg-pool2d.js';
import { conv2d } from './conv2d.js';
import { dense } from './dense.js';
import { depthwiseConv2d } from './depthwise-conv2d/index.js';
import { flatten } from './flatten.js';
import { globalAvgPool } from './global-avg-pool.js';
import { maxPool2d } from './max-pool2d.js';
import { normalizeInput } from './normalize-input.js';
import { padOp } from './pad/index.js';
import { relu } from './relu.js';

/** Every op kit knows. Adding an op: write src/ops/<op>.ts and add one line here. */
const OPS: readonly OpDef<any, any>[] = [
  normalizeInput,
  conv2d,
  depthwiseConv2d,
  dense,
  add,
  relu,
  avgPool2d,
  maxPool2d,
  globalAvgPool,
  flatten,
  padOp,
];

const byName = new Map(OPS.map((op) => [op.name, op]));

export function opNames(): string[] {
  return [...byName.keys()];
}

/** The definition of an op, or a KitError naming the unknown op (e.g. a graph from a newer kit). */
export function getOp(name: string): OpDef<any, any> {
  const op = byName.get(name);
  if (!op) throw new KitError('op-unknown', 'quantize', `unknown op '${name}'`, `this kit supports: ${opNames().join(', ')}`);
  return op;
}
