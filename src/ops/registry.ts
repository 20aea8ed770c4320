import { KitError } from '../errors.js';
import type { OpDef } from './op.js';
import { add } from './add.js';
import { avgPool2d } from './avg-pool2d.js';
import { concat } from './concat/index.js';
import { conv2d } from './conv2d.js';
import { conv2dAdd } from './conv2d-add/index.js';
import { dense } from './dense.js';
import { depthwiseConv2d } from './depthwise-conv2d/index.js';
import { flatten } from './flatten.js';
import { globalAvgPool } from './global-avg-pool.js';
import { maxPool2d } from './max-pool2d.js';
import { mean } from './mean/index.js';
import { normalizeInput } from './normalize-input.js';
import { padOp } from './pad/index.js';
import { quantizeOp } from './quantize-op/index.js';
import { relu } from './relu.js';
import { reshape } from './reshape/index.js';
import { softmax } from './softmax/index.js';

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
  mean,
  softmax,
  concat,
  quantizeOp,
  reshape,
  conv2dAdd,
];

const byName = new Map(OPS.map((op) => [op.name, op]));

/** Ops whose output is always stored in their input's bytes (views: the memory plan aliases them). */
export function aliasingOps(): Set<string> {
  return new Set(OPS.filter((op) => op.aliasesInput).map((op) => op.name));
}

export function opNames(): string[] {
  return [...byName.keys()];
}

/** The definition of an op, or a KitError naming the unknown op (e.g. a graph from a newer kit). */
export function getOp(name: string): OpDef<any, any> {
  const op = byName.get(name);
  if (!op) throw new KitError('op-unknown', 'quantize', `unknown op '${name}'`, `this kit supports: ${opNames().join(', ')}`);
  return op;
}
