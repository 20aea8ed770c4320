import { dtypeBytes, numElements, type Graph, type GraphNode } from '../ir/graph.js';
import { viewNode } from './op.js';
import { getOp } from './registry.js';

/** What running one node costs per image and what it stores. */
export interface NodeCost {
  macs: number;
  /** Bytes of 8-bit (and float32, in a float graph) weights and lookup tables. */
  weightBytes: number;
  /** Bytes of int32 biases (float32 biases in a float graph count as weights). */
  biasBytes: number;
}

/** MACs from the op's definition; bytes from the node's constant parameters as stored. */
export function nodeCost(graph: Graph, node: GraphNode): NodeCost {
  const op = getOp(node.op);
  const view = viewNode(graph, op, node);
  const macs = op.macs({ node: node.name, attrs: view.attrs, inputs: view.inputs.map((t) => t.shape), params: view.params.map((t) => t.shape) });
  let weightBytes = 0;
  let biasBytes = 0;
  for (const t of view.params) {
    const bytes = numElements(t.shape) * dtypeBytes(t.dtype);
    if (t.dtype === 'int32') biasBytes += bytes;
    else weightBytes += bytes;
  }
  return { macs, weightBytes, biasBytes };
}
