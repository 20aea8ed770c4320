import { GRAPH_VERSION, type Graph, type GraphNode, type Shape } from './graph.js';
import { nodeInputs } from '../ops/op.js';
import { getOp } from '../ops/registry.js';

/**
 * A float graph that an importer (ONNX, TensorFlow.js graph models) builds node by node: each node's
 * output tensor is named after the node and shaped by its op's own shape inference, so an importer
 * never computes a shape the op also knows.
 */
export class FloatGraphBuilder {
  readonly graph: Graph = { version: GRAPH_VERSION, kind: 'float', tensors: {}, nodes: [], inputs: [], outputs: [] };
  protected readonly producer = new Map<string, GraphNode>();

  protected tensor(id: string, shape: Shape, dtype: 'float32' | 'uint8', data?: Float32Array): string {
    this.graph.tensors[id] = { shape, dtype, ...(data ? { data } : {}) };
    return id;
  }

  /** Add a kit node; its output tensor is named after it and its shape inferred by the op. */
  protected node(name: string, op: string, inputs: string[], attrs: Record<string, unknown>): string {
    const def = getOp(op);
    const split = nodeInputs(def, inputs);
    const shape = def.inferShape({
      node: name,
      attrs: def.attrs.parse(attrs),
      inputs: split.acts.map((id) => this.graph.tensors[id].shape),
      params: split.params.map((id) => this.graph.tensors[id].shape),
    });
    const out = this.tensor(name, shape, 'float32');
    const node: GraphNode = { name, op, inputs, outputs: [out], attrs };
    this.graph.nodes.push(node);
    this.producer.set(out, node);
    return out;
  }
}
