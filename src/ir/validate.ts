import { KitError } from '../errors.js';
import { nodeInputs } from '../ops/op.js';
import { getOp } from '../ops/registry.js';
import { dtypeOf, numElements, type Graph, type GraphNode } from './graph.js';

function invalid(message: string): KitError {
  return new KitError('graph-invalid', 'quantize', message, 'the model graph is inconsistent; rebuild it with kit quantize');
}

/**
 * Check that a graph is well formed: known ops with valid attributes (and integer parameters when
 * quantized), every input produced before it is used, shapes that agree with the ops' shape
 * inference, constants of the declared size and type, and finite float values.
 */
export function validateGraph(graph: Graph): void {
  const available = new Set<string>(graph.inputs);
  for (const id of graph.inputs) if (!graph.tensors[id]) throw invalid(`graph input '${id}' is not a tensor`);
  for (const [id, t] of Object.entries(graph.tensors)) {
    if (t.shape.some((d) => !Number.isInteger(d) || d < 1)) throw invalid(`tensor '${id}' has shape [${t.shape.join(', ')}]`);
    if (!t.data) continue;
    available.add(id);
    if (t.data.length !== numElements(t.shape)) throw invalid(`tensor '${id}' has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    if (dtypeOf(t.data) !== t.dtype) throw invalid(`tensor '${id}' holds ${dtypeOf(t.data)} data but is declared ${t.dtype}`);
    if (t.dtype === 'float32') {
      const bad = (t.data as Float32Array).findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        throw new KitError('weights-not-finite', 'quantize', `tensor '${id}' has a non-finite value (${t.data[bad]}) at index ${bad}`, 'the trained model is broken (NaN/Inf weights); retrain it');
      }
    }
    if (graph.kind === 'quantized' && t.dtype !== 'float32' && !t.quant) throw invalid(`quantized constant '${id}' has no quantization parameters`);
  }
  const names = new Set<string>();
  for (const node of graph.nodes) {
    validateNode(graph, node, available);
    if (names.has(node.name)) throw invalid(`two nodes are named '${node.name}'`);
    names.add(node.name);
    for (const id of node.outputs) available.add(id);
  }
  for (const id of graph.outputs) if (!available.has(id)) throw invalid(`graph output '${id}' is never computed`);
}

function validateNode(graph: Graph, node: GraphNode, available: Set<string>): void {
  const op = getOp(node.op);
  const parsed = op.attrs.safeParse(node.attrs);
  if (!parsed.success) throw invalid(`node '${node.name}' (${node.op}) has invalid attributes: ${parsed.error.issues[0]?.message}`);
  if (graph.kind === 'quantized') {
    const ip = op.intParams.safeParse(node.intParams);
    if (!ip.success) throw invalid(`node '${node.name}' (${node.op}) has invalid integer parameters: ${ip.error.issues[0]?.message}`);
  }
  for (const id of node.inputs) {
    if (!graph.tensors[id]) throw invalid(`node '${node.name}' reads unknown tensor '${id}'`);
    if (!available.has(id)) throw invalid(`node '${node.name}' reads '${id}' before it is computed`);
  }
  if (node.outputs.length !== 1 || !graph.tensors[node.outputs[0]]) throw invalid(`node '${node.name}' must write exactly one known tensor`);
  const needed = op.activationInputs === 'all' ? 1 : op.activationInputs;
  if (node.inputs.length < needed) throw invalid(`node '${node.name}' (${node.op}) needs ${needed} activation inputs`);
  const { acts, params } = nodeInputs(op, node.inputs);
  const inferred = op.inferShape({
    node: node.name,
    attrs: parsed.data,
    inputs: acts.map((id) => graph.tensors[id].shape),
    params: params.map((id) => graph.tensors[id].shape),
  });
  const declared = graph.tensors[node.outputs[0]].shape;
  if (inferred.length !== declared.length || inferred.some((d, i) => d !== declared[i])) {
    throw invalid(`node '${node.name}' computes [${inferred.join(', ')}] but its output is declared [${declared.join(', ')}]`);
  }
}
