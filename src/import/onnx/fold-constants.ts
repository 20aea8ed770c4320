/**
 * Constant folding of the shape arithmetic torch.onnx.export leaves in a graph. PyTorch computes
 * some attributes at run time in the exported graph even though they are fixed: `x.view(x.size(0), -1)`
 * becomes Shape -> Gather -> Unsqueeze -> Concat -> Reshape, and an `nn.ZeroPad2d` (or `F.pad`)
 * becomes ConstantOfShape -> Concat -> Reshape -> Slice(step -1) -> Transpose -> Reshape -> Cast
 * feeding Pad's pads. Every input of those nodes is known at import time, so the importer evaluates
 * them here, on small tensors, and the kit graph gets plain constants.
 */
import { numElements } from '../../ir/graph.js';
import { onnx } from './read-model.js';
import type { Constant } from './tensor-data.js';

/** The ops evaluated when every input is a constant. */
export const FOLDED_OPS = ['Cast', 'Concat', 'ConstantOfShape', 'Gather', 'Reshape', 'Slice', 'Squeeze', 'Transpose', 'Unsqueeze', 'Identity'] as const;
export type FoldedOp = (typeof FOLDED_OPS)[number];

export interface FoldAttrs {
  int(name: string, fallback: number): number;
  ints(name: string): number[] | undefined;
  tensor(name: string): Constant | undefined;
}

/** Thrown with a reason; the converter turns it into its one-line refusal naming the node. */
export class FoldError extends Error {}

const INTEGER_TYPES = new Set<number>([
  onnx.TensorProto.DataType.INT64, onnx.TensorProto.DataType.INT32, onnx.TensorProto.DataType.INT16,
  onnx.TensorProto.DataType.INT8, onnx.TensorProto.DataType.UINT8, onnx.TensorProto.DataType.BOOL,
]);

function make(dims: number[], values: ArrayLike<number>, integer: boolean): Constant {
  return { dims, data: integer ? Float64Array.from(values) : Float32Array.from(values), integer };
}

/** Row-major strides of `dims`. */
function strides(dims: number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

/** out[idx] = data[source(idx)] for every multi-index of `outDims`, in row-major order. */
function gatherIndex(outDims: number[], source: (idx: number[]) => number, data: ArrayLike<number>): number[] {
  const total = numElements(outDims);
  const out: number[] = [];
  const idx = new Array<number>(outDims.length).fill(0);
  for (let n = 0; n < total; n++) {
    out.push(data[source(idx)]);
    for (let a = outDims.length - 1; a >= 0; a--) {
      if (++idx[a] < outDims[a]) break;
      idx[a] = 0;
    }
  }
  return out;
}

const axisOf = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** Reshape's target shape: 0 copies the input's dimension, -1 takes what is left. */
export function reshapeDims(input: number[], target: number[]): number[] {
  const dims = target.map((d, i) => (d === 0 ? input[i] : d));
  const known = dims.filter((d) => d !== -1).reduce((p, q) => p * q, 1);
  return dims.map((d) => (d === -1 ? numElements(input) / known : d));
}

/** Evaluate `op` on constant inputs (`inputs[k]` undefined for an omitted optional input). */
export function foldConstant(op: FoldedOp, inputs: (Constant | undefined)[], attrs: FoldAttrs): Constant {
  const x = inputs[0]!;
  switch (op) {
    case 'Identity':
      return x;
    case 'Cast':
      return make(x.dims, x.data, INTEGER_TYPES.has(attrs.int('to', onnx.TensorProto.DataType.FLOAT)));
    case 'ConstantOfShape': {
      const value = attrs.tensor('value') ?? make([1], [0], false);
      const dims = [...x.data];
      return make(dims, new Array<number>(numElements(dims)).fill(value.data[0]), value.integer);
    }
    case 'Concat': {
      const parts = inputs.filter((c): c is Constant => !!c);
      const rank = parts[0].dims.length;
      const axis = axisOf(attrs.int('axis', 0), rank);
      const outer = parts[0].dims.slice(0, axis).reduce((p, q) => p * q, 1);
      const values: number[] = [];
      for (let o = 0; o < outer; o++) {
        for (const p of parts) {
          const chunk = numElements(p.dims.slice(axis));
          values.push(...p.data.subarray(o * chunk, (o + 1) * chunk));
        }
      }
      const dims = [...parts[0].dims];
      dims[axis] = parts.reduce((t, p) => t + p.dims[axis], 0);
      return make(dims, values, parts.every((p) => p.integer));
    }
    case 'Gather': {
      const idx = inputs[1]!;
      const axis = axisOf(attrs.int('axis', 0), x.dims.length);
      const n = x.dims[axis];
      const s = strides(x.dims);
      const outDims = [...x.dims.slice(0, axis), ...idx.dims, ...x.dims.slice(axis + 1)];
      return make(outDims, gatherIndex(outDims, (i) => {
        const k = idx.data[gatherFlat(i.slice(axis, axis + idx.dims.length), idx.dims)];
        const pos = [...i.slice(0, axis), k < 0 ? k + n : k, ...i.slice(axis + idx.dims.length)];
        return pos.reduce((t, v, a) => t + v * s[a], 0);
      }, x.data), x.integer);
    }
    case 'Reshape':
      return make(reshapeDims(x.dims, [...inputs[1]!.data]), x.data, x.integer);
    case 'Unsqueeze': {
      const axes = attrs.ints('axes') ?? [...inputs[1]!.data];
      const rank = x.dims.length + axes.length;
      const dims = [...x.dims];
      for (const a of axes.map((v) => axisOf(v, rank)).sort((p, q) => p - q)) dims.splice(a, 0, 1);
      return make(dims, x.data, x.integer);
    }
    case 'Squeeze': {
      const given = attrs.ints('axes') ?? (inputs[1] ? [...inputs[1].data] : undefined);
      const axes = new Set((given ?? x.dims.flatMap((d, a) => (d === 1 ? [a] : []))).map((a) => axisOf(a, x.dims.length)));
      return make(x.dims.filter((_, a) => !axes.has(a)), x.data, x.integer);
    }
    case 'Transpose': {
      const perm = attrs.ints('perm') ?? x.dims.map((_, i) => x.dims.length - 1 - i);
      const s = strides(x.dims);
      const outDims = perm.map((p) => x.dims[p]);
      return make(outDims, gatherIndex(outDims, (i) => i.reduce((t, v, a) => t + v * s[perm[a]], 0), x.data), x.integer);
    }
    case 'Slice': {
      const rank = x.dims.length;
      const starts = [...inputs[1]!.data];
      const ends = [...inputs[2]!.data];
      const axes = inputs[3] ? [...inputs[3].data].map((a) => axisOf(a, rank)) : starts.map((_, i) => i);
      const steps = inputs[4] ? [...inputs[4].data] : starts.map(() => 1);
      // Per axis: the source positions it keeps (ONNX's clamping rules, negative steps included).
      const picks = x.dims.map((d) => Array.from({ length: d }, (_, i) => i));
      axes.forEach((a, k) => {
        const d = x.dims[a];
        const step = steps[k];
        if (step === 0) throw new FoldError('slices with step 0');
        const norm = (v: number) => (v < 0 ? v + d : v);
        const start = step > 0 ? Math.min(Math.max(norm(starts[k]), 0), d) : Math.min(Math.max(norm(starts[k]), -1), d - 1);
        const end = step > 0 ? Math.min(Math.max(norm(ends[k]), 0), d) : Math.min(Math.max(norm(ends[k]), -1), d - 1);
        const kept: number[] = [];
        for (let i = start; step > 0 ? i < end : i > end; i += step) kept.push(i);
        picks[a] = kept;
      });
      const s = strides(x.dims);
      const outDims = picks.map((p) => p.length);
      return make(outDims, gatherIndex(outDims, (i) => i.reduce((t, v, a) => t + picks[a][v] * s[a], 0), x.data), x.integer);
    }
  }
}

function gatherFlat(idx: number[], dims: number[]): number {
  const s = strides(dims);
  return idx.reduce((t, v, a) => t + v * s[a], 0);
}
