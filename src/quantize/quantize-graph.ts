import { KitError } from '../errors.js';
import type { Graph, GraphNode, TensorSpec } from '../ir/graph.js';
import { validateGraph } from '../ir/validate.js';
import { getOp } from '../ops/registry.js';
import { nodeInputs } from '../ops/op.js';
import type { Range } from './histogram.js';
import { asymmetricParams, type AffineParams } from './qparams.js';
import type { Scheme } from './schemes.js';

/** Raw pixels are the quantized graph's input as they are: integers 0..255 with no scale. */
const PIXELS: AffineParams = { scale: 1, zeroPoint: 0 };

/**
 * Turn a float graph into an integer one: choose each activation's scale and zero point (from its
 * calibrated range, from the op's exact range, or inherited from the input for ops that only move
 * values), then let each op quantize its parameters and compute its integer parameters. Node and
 * tensor names are kept, so float and integer activations can be compared tensor by tensor.
 */
export function quantizeGraph(floatGraph: Graph, ranges: Map<string, Range>, scheme: Scheme): Graph {
  if (floatGraph.kind !== 'float') throw new Error('quantizeGraph needs a float graph');
  const { qmin, qmax, dtype } = scheme.activation;
  const quant = new Map<string, AffineParams>();
  const tensors: Record<string, TensorSpec> = {};
  for (const id of floatGraph.inputs) {
    tensors[id] = { ...floatGraph.tensors[id] };
    quant.set(id, PIXELS);
  }
  const nodes: GraphNode[] = [];
  for (const node of floatGraph.nodes) {
    const op = getOp(node.op);
    const attrs = op.attrs.parse(node.attrs);
    const split = nodeInputs(op, node.inputs);
    const acts = split.acts;
    const params = split.params.map((id) => floatGraph.tensors[id]);
    const outId = node.outputs[0];
    const outSpec = floatGraph.tensors[outId];
    const inputQuant = acts.map((id) => quant.get(id)!);

    let outputQuant: AffineParams;
    if (op.outputQuant === 'same-as-input') outputQuant = inputQuant[0];
    else if (op.outputQuant === 'fixed') outputQuant = op.fixedOutputQuant!(dtype);
    else if (op.outputQuant === 'fixed-range') {
      const r = op.outputRange!(attrs);
      outputQuant = asymmetricParams(r.min, r.max, qmin, qmax);
    } else {
      const r = ranges.get(outId);
      if (!r) throw new Error(`no calibrated range for '${outId}'`);
      if (!Number.isFinite(r.min) || !Number.isFinite(r.max)) {
        throw new KitError('calib-not-finite', 'quantize', `${node.name}: the float model produced non-finite activations during calibration`, 'the trained model is broken; retrain it');
      }
      outputQuant = asymmetricParams(r.min, r.max, qmin, qmax);
    }

    const q = op.quantize({
      node,
      attrs,
      scheme,
      inputShapes: acts.map((id) => floatGraph.tensors[id].shape),
      outputShape: outSpec.shape,
      inputQuant,
      outputQuant,
      params: params.map((p) => ({ shape: p.shape, data: p.data as Float32Array })),
    });
    const paramIds = q.params.map((p) => {
      const id = `${node.name}/${p.name}`;
      tensors[id] = p.tensor;
      return id;
    });
    quant.set(outId, outputQuant);
    tensors[outId] = { shape: outSpec.shape, dtype, quant: { scale: [outputQuant.scale], zeroPoint: [outputQuant.zeroPoint] } };
    nodes.push({
      ...node,
      attrs: { ...node.attrs },
      inputs: [...acts, ...paramIds],
      intParams: q.intParams as Record<string, unknown>,
      accumulatorBound: q.accumulatorBound,
    });
  }
  const graph: Graph = {
    version: floatGraph.version,
    kind: 'quantized',
    scheme: scheme.name,
    tensors,
    nodes,
    inputs: [...floatGraph.inputs],
    outputs: [...floatGraph.outputs],
  };
  validateGraph(graph);
  return graph;
}
