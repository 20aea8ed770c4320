import onnxProto from 'onnx-proto';
import type { Interpreter } from '../../src/ir/interpreter.js';

const { onnx } = onnxProto;
type Attr = number | number[] | string | { floats: number[] } | { tensor: onnxProto.onnx.ITensorProto };

/** Writes small ONNX models from tests, with the same protobuf package the importer reads them with. */
export class OnnxBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly inits: onnxProto.onnx.ITensorProto[] = [];
  private count = 0;

  constructor(readonly inputShape: number[], readonly opset = 13, readonly inputName = 'input') {}

  /** A float initializer (int64 with `int64`), returned by name. */
  init(dims: number[], data: ArrayLike<number>, int64 = false): string {
    const name = `c${this.inits.length}`;
    this.inits.push(tensorProto(name, dims, data, int64));
    return name;
  }

  /** A Constant node (as torch.onnx.export writes small constants), returned by its output's name. */
  constant(dims: number[], data: ArrayLike<number>, int64 = false): string {
    return this.node('Constant', [], { value: { tensor: tensorProto('', dims, data, int64) } });
  }

  /** A node with one output; floats are FLOAT attributes, integers INT, arrays INTS. */
  node(op: string, inputs: string[], attrs: Record<string, Attr> = {}, name?: string): string {
    const out = `t${this.count++}`;
    const attribute = Object.entries(attrs).map(([k, v]) => {
      const T = onnx.AttributeProto.AttributeType;
      if (typeof v === 'string') return { name: k, type: T.STRING, s: new TextEncoder().encode(v) };
      if (Array.isArray(v)) return { name: k, type: T.INTS, ints: v };
      if (typeof v === 'object') return 'tensor' in v ? { name: k, type: T.TENSOR, t: v.tensor } : { name: k, type: T.FLOATS, floats: v.floats };
      return Number.isInteger(v) && !['epsilon', 'alpha', 'beta'].includes(k) ? { name: k, type: T.INT, i: v } : { name: k, type: T.FLOAT, f: v };
    });
    this.nodes.push({ name: name ?? `${op.toLowerCase()}_${this.count}`, opType: op, input: inputs, output: [out], attribute });
    return out;
  }

  encode(output: string, extraInputs: onnxProto.onnx.IValueInfoProto[] = []): Uint8Array {
    const f = onnx.TensorProto.DataType.FLOAT;
    const shape = { dim: this.inputShape.map((d) => (d > 0 ? { dimValue: d } : { dimParam: 'dynamic' })) };
    const model = onnx.ModelProto.create({
      irVersion: 7,
      producerName: 'kit-tests',
      opsetImport: [{ domain: '', version: this.opset }],
      graph: {
        name: 'test',
        node: this.nodes,
        initializer: this.inits,
        input: [{ name: this.inputName, type: { tensorType: { elemType: f, shape } } }, ...extraInputs],
        output: [{ name: output, type: { tensorType: { elemType: f } } }],
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function tensorProto(name: string, dims: number[], data: ArrayLike<number>, int64: boolean): onnxProto.onnx.ITensorProto {
  return int64
    ? { name, dims, dataType: onnx.TensorProto.DataType.INT64, int64Data: Array.from(data) }
    : { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(Float32Array.from(data).buffer) };
}

/** Deterministic values in [-scale, scale). */
export function randomValues(n: number, seed: number, scale = 0.5): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2 * scale;
  }
  return out;
}

export function randomPixels(n: number, seed: number): Uint8Array {
  return Uint8Array.from(randomValues(n, seed, 1), (v) => Math.floor((v + 1) * 127.99));
}

/** The ONNX model's input for HWC pixels: x[c, h, w] = (p[h, w, c] / 255 - mean[c]) / std[c]. */
export function nchwInput(pixels: Uint8Array, [, c, h, w]: number[], mean: number[], std: number[]): Float32Array {
  const x = new Float32Array(c * h * w);
  for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) {
    x[(ch * h + y) * w + xx] = (pixels[(y * w + xx) * c + ch] / 255 - mean[ch]) / std[ch];
  }
  return x;
}

export type Runner = Pick<Interpreter, 'run'>;
