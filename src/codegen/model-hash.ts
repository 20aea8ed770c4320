import { createHash } from 'node:crypto';
import type { Graph, TensorData } from '../ir/graph.js';

/**
 * The quantized graph's identity: sha256 over its structure (nodes, attributes, integer parameters,
 * tensor shapes, types and quantization) and the bytes of every constant. Key order and the
 * manifest (dates, file names) do not enter it, so a graph hashes the same in memory and after a
 * save/load round trip. Codegen writes it into every file's banner and into `kit_model_hash`, which
 * the device reports in HELLO.
 */
export function modelHash(graph: Graph): string {
  const tensors = Object.keys(graph.tensors)
    .sort()
    .map((id) => {
      const t = graph.tensors[id];
      return { id, shape: t.shape, dtype: t.dtype, quant: t.quant ?? null, data: t.data ? digest(t.data) : null };
    });
  const structure = {
    version: graph.version,
    kind: graph.kind,
    scheme: graph.scheme ?? null,
    inputs: graph.inputs,
    outputs: graph.outputs,
    nodes: graph.nodes.map((n) => ({ name: n.name, op: n.op, inputs: n.inputs, outputs: n.outputs, attrs: n.attrs, intParams: n.intParams ?? null })),
    tensors,
  };
  return createHash('sha256').update(canonicalJson(structure)).digest('hex');
}

function digest(data: TensorData): string {
  return createHash('sha256').update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).digest('hex');
}

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
