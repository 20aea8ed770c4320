/** Lowering of every node of a quantized graph; one function per op, looked up by op name. */
import { KitError } from '../../errors.js';
import type { Graph } from '../../ir/graph.js';
import { nodeCost } from '../../ops/cost.js';
import { nodeInputs, viewNode } from '../../ops/op.js';
import { getOp, opNames } from '../../ops/registry.js';
import { cIdentifier } from '../c-format.js';
import { lowerAdd } from './add.js';
import { lowerConv2d, lowerDense } from './conv.js';
import { lowerFlatten, lowerNormalizeInput } from './move.js';
import { lowerAvgPool2d, lowerGlobalAvgPool, lowerMaxPool2d, lowerRelu } from './pool.js';
import type { LoweredLayer, Lowering } from './types.js';

export type { CArray, CType, KernelSpec, LoweredLayer, ParamsStruct } from './types.js';

/** Op name -> lowering. Adding an op to kit: a lowering here and templates/kernels/<template>.c.hbs. */
export const LOWERINGS: Record<string, Lowering> = {
  normalize_input: lowerNormalizeInput,
  conv2d: lowerConv2d,
  dense: lowerDense,
  add: lowerAdd,
  relu: lowerRelu,
  avg_pool2d: lowerAvgPool2d,
  max_pool2d: lowerMaxPool2d,
  global_avg_pool: lowerGlobalAvgPool,
  flatten: lowerFlatten,
};

export interface LowerOptions {
  /** false: flatten copies (default true: it aliases its input, no code). */
  aliasReshape?: boolean;
}

export function lowerGraph(graph: Graph, options: LowerOptions = {}): LoweredLayer[] {
  const ids = new Set<string>();
  return graph.nodes.map((node, index) => {
    const op = getOp(node.op);
    const lowering = loweringOf(node.op);
    if (!lowering) {
      throw new KitError('op-no-codegen', 'codegen', `node '${node.name}': kit codegen has no C for op '${node.op}'`, `supported: ${loweredOps().join(', ')}`);
    }
    const { acts } = nodeInputs(op, node.inputs);
    for (const id of acts) {
      // Any op may read the input tensor of an imported model (it is copied into the arena first),
      // but only the lookup table reads raw uint8 pixels.
      if (graph.inputs.includes(id) && node.op !== 'normalize_input' && graph.tensors[id].quant === undefined) {
        throw new KitError('graph-unsupported', 'codegen', `node '${node.name}' (${node.op}) reads the raw pixels`, 'a kit graph starts with normalize_input');
      }
    }
    let id = `kit_${cIdentifier(node.name)}`;
    while (ids.has(id)) id += '_';
    ids.add(id);
    const lowered = lowering({
      ...viewNode(graph, op, node),
      graph,
      index,
      op,
      intParams: op.intParams.parse(node.intParams ?? {}),
      id,
      aliasReshape: options.aliasReshape ?? true,
    });
    // A layer's MACs are its op's (src/ops/cost.ts): the codegen table, kit-codegen.json and the
    // per-layer profile of kit verify all read them from here.
    return { ...lowered, macs: nodeCost(graph, node).macs };
  });
}

/** An op's lowering: next to its definition (op.lower), or in this folder for the older ops. */
export function loweringOf(name: string): Lowering | undefined {
  const op = getOp(name);
  return op.lower ? (ctx) => op.lower!(ctx) : LOWERINGS[name];
}

function loweredOps(): string[] {
  return opNames().filter((n) => loweringOf(n));
}

/** Ops the registry knows but codegen cannot lower (a test keeps this empty). */
export function opsWithoutLowering(): string[] {
  return opNames().filter((n) => !loweringOf(n));
}
