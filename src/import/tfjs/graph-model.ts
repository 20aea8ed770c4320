/**
 * TensorFlow.js graph models (what `tensorflowjs_converter` writes from a Keras model or a SavedModel:
 * model.json with a GraphDef in JSON, weight shards) into kit's float graph. The model is loaded with
 * `@tensorflow/tfjs-converter`'s loadGraphModel, which validates it and decodes its weights; the
 * GraphDef's nodes are then mapped to kit's ops. TensorFlow's layout is NHWC, kit's HWC: no data moves
 * but the weights' (conv HWIO -> kit OHWI, dense [in, out] -> [out, in]).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { KitError } from '../../errors.js';
import { numElements, type Graph, type GraphNode } from '../../ir/graph.js';
import { validateGraph } from '../../ir/validate.js';
import { FloatGraphBuilder } from '../../ir/float-graph-builder.js';
import type { InputNormalization } from '../onnx/convert.js';

/** A GraphDef node as the converter writes it in JSON (bytes base64, int64 as strings). */
export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}
export interface TfAttr {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  list?: { s?: string[]; i?: (string | number)[]; f?: number[] };
  shape?: { dim?: { size?: string | number }[] };
}

export const SUPPORTED_TFJS_OPS = [
  'Placeholder', 'Const', 'Identity', 'Conv2D', '_FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative',
  'BiasAdd', 'Add', 'AddV2', 'Sub', 'Mul', 'RealDiv', 'Relu', 'Relu6', 'AvgPool', 'MaxPool', 'Mean', 'Reshape',
  'MatMul', '_FusedMatMul', 'Softmax', 'ConcatV2', 'Pad',
];

type Value =
  | { kind: 'const'; dims: number[]; data: Float32Array }
  /** The image input with the per-channel affine map (x * a + b) of the Sub/Mul/RealDiv/Add that follow it. */
  | { kind: 'input'; shape: number[]; a: number[]; b: number[]; materialized?: string }
  | { kind: 'act'; id: string };

const text = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString('utf8') : '');
const int = (v: string | number | undefined, fallback: number) => (v === undefined ? fallback : Number(v));

class TfjsConverter extends FloatGraphBuilder {
  private readonly values = new Map<string, Value>();
  private readonly consumers = new Map<string, number>();

  constructor(private readonly nodes: TfNode[], private readonly weights: Map<string, { dims: number[]; data: Float32Array }>, private readonly norm: InputNormalization) {
    super();
  }

  run(output: string): Graph {
    for (const n of this.nodes) for (const i of this.inputsOf(n)) this.consumers.set(i, (this.consumers.get(i) ?? 0) + 1);
    this.nodes.forEach((n, i) => this.convert(n, i));
    const out = this.values.get(output);
    if (!out || out.kind !== 'act' || this.graph.tensors[out.id].shape.length !== 1) {
      throw new KitError('model-shape', 'model', `the graph model's output '${output}' is not a vector of class scores computed from the input`, 'end the model with a Dense layer (a classifier head)');
    }
    this.graph.outputs.push(out.id);
    validateGraph(this.graph);
    return this.graph;
  }

  private inputsOf(n: TfNode): string[] {
    // '^x' is a control dependency; 'x:0' the first output of x.
    return (n.input ?? []).filter((i) => !i.startsWith('^')).map((i) => i.replace(/:0$/, ''));
  }

  private refuse(n: TfNode, index: number, why: string, hint?: string): KitError {
    return new KitError('tfjs-unsupported', 'model', `node '${n.name}' (#${index}, ${n.op}) ${why}`, hint);
  }

  private uniqueName(raw: string): string {
    let base = raw.replace(/^StatefulPartitionedCall\//, '').replace(/[^A-Za-z0-9_]/g, '_').replace(/^_+/, '') || 'node';
    if (/^[0-9]/.test(base)) base = `n${base}`;
    let name = base;
    for (let k = 1; this.graph.tensors[name]; k++) name = `${base}_${k}`;
    return name;
  }

  private value(n: TfNode, index: number, k: number): Value {
    const name = this.inputsOf(n)[k];
    const v = name ? this.values.get(name) : undefined;
    if (!v) throw this.refuse(n, index, `reads '${name ?? `input ${k}`}', which no supported node produced`);
    return v;
  }

  private constant(n: TfNode, index: number, k: number): Extract<Value, { kind: 'const' }> {
    const v = this.value(n, index, k);
    if (v.kind !== 'const') throw this.refuse(n, index, `takes input ${k} from the graph at run time`, 'kit needs it to be a constant (a weight)');
    return v;
  }

  /** Input k as a kit activation id; the image input becomes a normalize_input node on first use. */
  private act(n: TfNode, index: number, k: number): string {
    const v = this.value(n, index, k);
    if (v.kind === 'const') throw this.refuse(n, index, `gets a constant as input ${k}`, 'kit imports constants only as weights and normalization');
    if (v.kind === 'act') return v.id;
    if (!v.materialized) {
      const c = v.shape[2];
      const mean: number[] = [];
      const std: number[] = [];
      for (let ch = 0; ch < c; ch++) {
        if (!(v.a[ch] > 0)) throw this.refuse(n, index, 'reads an input scaled by a value that is not positive', 'kit folds input normalization with a positive scale only');
        // a * (p/255 - m) / sd + b = (p/255 - (m - b * sd / a)) / (sd / a)
        std.push(this.norm.std[ch] / v.a[ch]);
        mean.push(this.norm.mean[ch] - (v.b[ch] * this.norm.std[ch]) / v.a[ch]);
      }
      const pixels = this.tensor(this.uniqueName('pixels'), v.shape, 'uint8');
      this.graph.inputs.push(pixels);
      v.materialized = this.node(this.uniqueName('normalize'), 'normalize_input', [pixels], { mean, std });
    }
    return v.materialized;
  }

  private bind(n: TfNode, v: Value): void {
    this.values.set(n.name, v);
  }

  /** The kit node that produced `id` when it may absorb what follows (sole reader, no activation yet). */
  private fusable(n: TfNode, id: string, ops: string[]): GraphNode | undefined {
    const node = this.producer.get(id);
    const sole = this.consumers.get(this.inputsOf(n)[0]) === 1;
    return node && sole && ops.includes(node.op) && node.attrs.activation === 'none' ? node : undefined;
  }

  private ints(n: TfNode, name: string): number[] | undefined {
    return n.attr?.[name]?.list?.i?.map(Number);
  }

  private convert(n: TfNode, index: number): void {
    switch (n.op) {
      case 'Placeholder': return this.placeholder(n, index);
      case 'Const': {
        const w = this.weights.get(n.name);
        if (!w) throw this.refuse(n, index, 'has no value in the weights manifest', 'the model.json and its weight files do not match: convert the model again');
        return this.bind(n, { kind: 'const', ...w });
      }
      case 'Identity':
      case 'StopGradient':
        return this.bind(n, this.value(n, index, 0));
      case 'Conv2D':
      case '_FusedConv2D':
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative':
        return this.conv(n, index);
      case 'MatMul':
      case '_FusedMatMul':
        return this.matmul(n, index);
      case 'BiasAdd':
      case 'Add':
      case 'AddV2':
      case 'Sub':
      case 'Mul':
      case 'RealDiv':
        return this.arithmetic(n, index);
      case 'Relu':
      case 'Relu6':
        return this.activation(n, index, n.op === 'Relu' ? 'relu' : 'relu6');
      case 'AvgPool':
      case 'MaxPool': {
        const x = this.act(n, index, 0);
        const [, kh, kw] = this.ints(n, 'ksize') ?? [];
        const [, sh, sw] = this.ints(n, 'strides') ?? [];
        const padding = this.padding(n, index);
        return this.bind(n, { kind: 'act', id: this.node(this.uniqueName(n.name), n.op === 'MaxPool' ? 'max_pool2d' : 'avg_pool2d', [x], { poolSize: [kh, kw], strides: [sh, sw], padding }) });
      }
      case 'Mean': {
        const x = this.act(n, index, 0);
        const axes = [...this.constant(n, index, 1).data].map((a) => (a < 0 ? a + 4 : a)).sort();
        if (axes.join() !== '1,2') throw this.refuse(n, index, `averages over axes [${axes.join(', ')}]`, 'kit supports the mean over height and width (GlobalAveragePooling2D)');
        const id = this.node(this.uniqueName(n.name), 'global_avg_pool', [x], {});
        const keep = n.attr?.keep_dims?.b === true;
        return this.bind(n, { kind: 'act', id: keep ? this.node(this.uniqueName(`${n.name}_keep`), 'reshape', [id], { shape: [1, 1, this.graph.tensors[id].shape[0]] }) : id });
      }
      case 'Reshape': {
        const x = this.act(n, index, 0);
        const target = [...this.constant(n, index, 1).data];
        const elements = numElements(this.graph.tensors[x].shape);
        if (target.length !== 2 || !(target[0] === -1 || target[0] === 1) || !(target[1] === -1 || target[1] === elements)) {
          throw this.refuse(n, index, `reshapes to [${target.join(', ')}]`, 'kit supports Flatten (a reshape to [batch, N])');
        }
        return this.bind(n, { kind: 'act', id: this.graph.tensors[x].shape.length === 1 ? x : this.node(this.uniqueName(n.name), 'flatten', [x], {}) });
      }
      case 'Softmax':
        return this.bind(n, { kind: 'act', id: this.node(this.uniqueName(n.name), 'softmax', [this.act(n, index, 0)], { beta: 1 }) });
      case 'ConcatV2': {
        const names = this.inputsOf(n);
        const axis = this.constant(n, index, names.length - 1).data[0];
        const ids = names.slice(0, -1).map((_, k) => this.act(n, index, k));
        const rank = this.graph.tensors[ids[0]].shape.length + 1;
        if (axis !== -1 && axis !== rank - 1) throw this.refuse(n, index, `concatenates along axis ${axis}`, 'kit concatenates along channels');
        return this.bind(n, { kind: 'act', id: this.node(this.uniqueName(n.name), 'concat', ids, { axis: -1 }) });
      }
      case 'Pad': {
        const x = this.act(n, index, 0);
        const p = [...this.constant(n, index, 1).data];
        if (p.length !== 8 || p[0] !== 0 || p[1] !== 0) throw this.refuse(n, index, `pads [${p.join(', ')}]`, 'kit pads height, width and channels');
        return this.bind(n, { kind: 'act', id: this.node(this.uniqueName(n.name), 'pad', [x], { paddings: [[p[2], p[3]], [p[4], p[5]], [p[6], p[7]]] }) });
      }
      default:
        throw this.refuse(n, index, 'is not supported', `kit imports: ${SUPPORTED_TFJS_OPS.join(', ')}`);
    }
  }

  private placeholder(n: TfNode, index: number): void {
    if (this.values.size && [...this.values.values()].some((v) => v.kind === 'input')) {
      throw new KitError('model-shape', 'model', `the graph model has more than one input ('${n.name}' is another); kit needs one image input`);
    }
    const dims = (n.attr?.shape?.shape?.dim ?? []).map((d) => int(d.size, -1));
    if (dims.length !== 4 || dims.slice(1).some((d) => d <= 0)) {
      throw this.refuse(n, index, `has shape [${dims.join(', ')}]`, 'kit needs an NHWC image input [batch, height, width, channels] of fixed size');
    }
    const c = dims[3];
    const widen = (xs: number[]) => (xs.length === 1 ? new Array<number>(c).fill(xs[0]) : xs);
    this.norm.mean = widen(this.norm.mean);
    this.norm.std = widen(this.norm.std);
    if (this.norm.mean.length !== c || this.norm.std.length !== c) throw new KitError('bad-option', 'model', `--mean/--std give ${this.norm.mean.length}/${this.norm.std.length} values for a ${c}-channel input`, `give ${c} comma-separated values`);
    this.bind(n, { kind: 'input', shape: dims.slice(1), a: new Array(c).fill(1), b: new Array(c).fill(0) });
  }

  private padding(n: TfNode, index: number): 'same' | 'valid' {
    const p = text(n.attr?.padding?.s);
    if (p === 'SAME' || p === 'VALID') return p === 'SAME' ? 'same' : 'valid';
    throw this.refuse(n, index, `uses padding '${p}'`, 'kit supports SAME and VALID');
  }

  private conv(n: TfNode, index: number): void {
    const format = text(n.attr?.data_format?.s) || 'NHWC';
    if (format !== 'NHWC') throw this.refuse(n, index, `computes in ${format}`, 'convert the model with channels last (NHWC)');
    const x = this.act(n, index, 0);
    const filter = this.constant(n, index, 1);
    const [kh, kw, ci, co] = filter.dims;
    const [, sh, sw] = this.ints(n, 'strides') ?? [1, 1, 1, 1];
    const [, dh, dw] = this.ints(n, 'dilations') ?? [1, 1, 1, 1];
    const padding = this.padding(n, index);
    const depthwise = n.op.includes('Depthwise');
    const name = this.uniqueName(n.name);
    let id: string;
    if (depthwise) {
      // [kh, kw, C, M] is kit's [1, kh, kw, C * M] as it is (output channel c * M + m).
      const w = this.tensor(`${name}/weights`, [1, kh, kw, ci * co], 'float32', Float32Array.from(filter.data));
      const b = this.tensor(`${name}/bias`, [ci * co], 'float32', new Float32Array(ci * co));
      id = this.node(name, 'depthwise_conv2d', [x, w, b], { strides: [sh, sw], padding, dilation: [dh, dw], depthMultiplier: co, activation: 'none' });
    } else {
      if (dh !== 1 || dw !== 1) throw this.refuse(n, index, 'is dilated', 'kit supports dilation for depthwise convolutions only');
      const ohwi = new Float32Array(filter.data.length);
      for (let y = 0; y < kh; y++) for (let xx = 0; xx < kw; xx++) for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) {
        ohwi[((o * kh + y) * kw + xx) * ci + i] = filter.data[((y * kw + xx) * ci + i) * co + o];
      }
      const w = this.tensor(`${name}/weights`, [co, kh, kw, ci], 'float32', ohwi);
      const b = this.tensor(`${name}/bias`, [co], 'float32', new Float32Array(co));
      id = this.node(name, 'conv2d', [x, w, b], { strides: [sh, sw], padding, activation: 'none' });
    }
    this.fusedOps(n, index, id, 2);
    this.bind(n, { kind: 'act', id });
  }

  private matmul(n: TfNode, index: number): void {
    const x = this.act(n, index, 0);
    if (n.attr?.transpose_a?.b) throw this.refuse(n, index, 'transposes its input');
    const w = this.constant(n, index, 1);
    const transB = n.attr?.transpose_b?.b === true;
    const [rows, cols] = w.dims;
    const k = this.graph.tensors[x].shape;
    const units = transB ? rows : cols;
    if (k.length !== 1 || (transB ? cols : rows) !== k[0]) throw this.refuse(n, index, `has weights [${w.dims.join(', ')}] for an input of shape [${k.join(', ')}]`, 'flatten the input first');
    const weights = new Float32Array(w.data.length);
    if (transB) weights.set(w.data);
    else for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) weights[c * rows + r] = w.data[r * cols + c];
    const name = this.uniqueName(n.name);
    const wId = this.tensor(`${name}/weights`, [units, k[0]], 'float32', weights);
    const bId = this.tensor(`${name}/bias`, [units], 'float32', new Float32Array(units));
    const id = this.node(name, 'dense', [x, wId, bId], { activation: 'none' });
    this.fusedOps(n, index, id, 2);
    this.bind(n, { kind: 'act', id });
  }

  /** The converter's fused_ops (BiasAdd, then Relu or Relu6) into the kit node just made. */
  private fusedOps(n: TfNode, index: number, id: string, firstArg: number): void {
    const ops = (n.attr?.fused_ops?.list?.s ?? []).map(text);
    if (!n.op.startsWith('_Fused') && !n.op.startsWith('Fused')) return;
    const node = this.producer.get(id)!;
    ops.forEach((op, k) => {
      if (op === 'BiasAdd' && k === 0) {
        const bias = this.constant(n, index, firstArg).data;
        (this.graph.tensors[node.inputs[2]].data as Float32Array).set(bias);
      } else if ((op === 'Relu' || op === 'Relu6') && k === ops.length - 1) {
        node.attrs.activation = op === 'Relu' ? 'relu' : 'relu6';
      } else {
        throw this.refuse(n, index, `fuses ${ops.join(' + ')}`, 'kit reads fused BiasAdd followed by Relu or Relu6');
      }
    });
  }

  private activation(n: TfNode, index: number, kind: 'relu' | 'relu6'): void {
    const x = this.act(n, index, 0);
    const prev = this.fusable(n, x, ['conv2d', 'depthwise_conv2d', 'dense', 'add']);
    if (prev) {
      prev.attrs.activation = kind;
      (prev.fused ??= []).push(n.name);
      return this.bind(n, { kind: 'act', id: x });
    }
    if (kind !== 'relu') throw this.refuse(n, index, 'does not follow a layer it can be fused into', 'kit runs ReLU6 fused into the conv, dense or add before it');
    this.bind(n, { kind: 'act', id: this.node(this.uniqueName(n.name), 'relu', [x], {}) });
  }

  /** A bias after a conv/dense, the sum of two feature maps, or normalization by constants at the input. */
  private arithmetic(n: TfNode, index: number): void {
    const [x, y] = [this.value(n, index, 0), this.value(n, index, 1)];
    if (x.kind === 'input' && y.kind === 'const') return this.bind(n, this.affine(n, index, x, y, n.op));
    if (y.kind === 'input' && x.kind === 'const' && (n.op === 'Mul' || n.op === 'AddV2' || n.op === 'Add')) return this.bind(n, this.affine(n, index, y, x, n.op));
    if ((n.op === 'AddV2' || n.op === 'Add') && x.kind !== 'const' && y.kind !== 'const') {
      const [p, q] = [this.act(n, index, 0), this.act(n, index, 1)];
      return this.bind(n, { kind: 'act', id: this.node(this.uniqueName(n.name), 'add', [p, q], { activation: 'none' }) });
    }
    if ((n.op === 'BiasAdd' || n.op === 'AddV2' || n.op === 'Add') && x.kind === 'act' && y.kind === 'const') {
      const prev = this.fusable(n, x.id, ['conv2d', 'depthwise_conv2d', 'dense']);
      const bias = prev ? (this.graph.tensors[prev.inputs[2]].data as Float32Array) : undefined;
      if (prev && bias && numElements(y.dims) === bias.length) {
        for (let i = 0; i < bias.length; i++) bias[i] += y.data[i];
        (prev.fused ??= []).push(n.name);
        return this.bind(n, x);
      }
    }
    throw this.refuse(n, index, 'combines values kit cannot map', 'kit supports a bias after Conv2D/MatMul, the sum of two equal-shape tensors, and Sub/Mul/RealDiv/Add by constants at the input (normalization)');
  }

  private affine(n: TfNode, index: number, x: Extract<Value, { kind: 'input' }>, k: Extract<Value, { kind: 'const' }>, op: string): Value {
    const c = x.shape[2];
    const count = numElements(k.dims);
    if (count !== 1 && (count !== c || k.dims[k.dims.length - 1] !== c)) throw this.refuse(n, index, `applies a constant of shape [${k.dims.join(', ')}] to the input`, 'kit folds per-channel constants ([C] or scalars) into the input normalization');
    if (x.materialized) throw this.refuse(n, index, 'normalizes the input after another node has read it', 'normalize the input before anything else reads it');
    const at = (ch: number) => k.data[count === 1 ? 0 : ch];
    const a = [...x.a];
    const b = [...x.b];
    for (let ch = 0; ch < c; ch++) {
      if (op === 'Mul') [a[ch], b[ch]] = [a[ch] * at(ch), b[ch] * at(ch)];
      else if (op === 'RealDiv') [a[ch], b[ch]] = [a[ch] / at(ch), b[ch] / at(ch)];
      else b[ch] += op === 'Sub' ? -at(ch) : at(ch);
    }
    return { kind: 'input', shape: x.shape, a, b };
  }
}

/** The output node of a converted Keras model: the signature's output, else the last node nothing reads. */
function outputName(nodes: TfNode[], signature: unknown): string {
  const outputs = (signature as { outputs?: Record<string, { name?: string }> } | undefined)?.outputs;
  const fromSignature = outputs ? Object.values(outputs).map((o) => o.name?.replace(/:0$/, '')) : [];
  if (fromSignature.length === 1 && fromSignature[0]) return fromSignature[0];
  const read = new Set(nodes.flatMap((n) => (n.input ?? []).map((i) => i.replace(/^\^/, '').replace(/:\d+$/, ''))));
  const ends = nodes.filter((n) => !read.has(n.name) && n.op !== 'Const' && n.op !== 'NoOp');
  if (ends.length !== 1) throw new KitError('model-shape', 'model', `the graph model has ${ends.length} outputs (${ends.map((e) => e.name).join(', ')}); kit needs one`);
  return ends[0].name;
}

/** Load a graph model's artifacts with tfjs-converter and convert it to kit's float graph. */
export async function graphFromTfjsGraphModel(artifacts: tf.io.ModelArtifacts, norm: InputNormalization): Promise<Graph> {
  await tf.ready();
  let model;
  try {
    model = await loadGraphModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw new KitError('corrupt-model', 'model', `tfjs-converter cannot load the graph model (${(e as Error).message})`, 'convert the model again with tensorflowjs_converter');
  }
  try {
    const weights = new Map<string, { dims: number[]; data: Float32Array }>();
    for (const [name, tensors] of Object.entries(model.weights)) {
      const t = tensors[0];
      const data = Float32Array.from(t.dataSync() as ArrayLike<number>);
      if (data.some((v) => !Number.isFinite(v))) throw new KitError('tfjs-nan', 'model', `weight '${name}' holds NaN or infinite values`, 'the model did not train to finite weights; check its training');
      weights.set(name, { dims: t.shape, data });
    }
    const topology = artifacts.modelTopology as { node?: TfNode[] };
    const nodes = topology.node ?? [];
    const converter = new TfjsConverter(nodes, weights, { mean: [...norm.mean], std: [...norm.std] });
    return converter.run(outputName(nodes, artifacts.signature ?? (artifacts as { userDefinedMetadata?: { signature?: unknown } }).userDefinedMetadata?.signature));
  } finally {
    model.dispose();
  }
}
