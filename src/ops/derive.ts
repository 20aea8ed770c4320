import { KitError } from '../errors.js';
import type { Graph, GraphNode } from '../ir/graph.js';
import { viewNode } from './op.js';
import { getOp } from './registry.js';

/**
 * The integer parameters (multipliers, shifts, clamps, ...) of one node of a graph whose tensors are
 * already quantized, e.g. read from a .tflite file: what TFLite Micro's Prepare computes from the
 * scales and zero points of the node's tensors. Set the result as `node.intParams`.
 */
export function deriveNodeIntParams(graph: Graph, node: GraphNode): Record<string, unknown> {
  const op = getOp(node.op);
  if (!op.deriveIntParams) {
    throw new KitError('op-unsupported', 'quantize', `${node.name}: op '${node.op}' cannot take its integer parameters from quantized tensors`, 'quantize the float model with kit quantize');
  }
  return op.intParams.parse(op.deriveIntParams(viewNode(graph, op, node))) as Record<string, unknown>;
}
