import { KitError } from '../../errors.js';
import { foldBatchNorm } from '../../ir/fold-batchnorm.js';
import { numElements, type Graph, type GraphNode, type Shape } from '../../ir/graph.js';
import { validateGraph } from '../../ir/validate.js';
import { windowAxis } from '../../ops/common/window.js';
import { FloatGraphBuilder } from '../../ir/float-graph-builder.js';
import { chwColumnsToHwc, depthwiseToKit, oihwToOhwi, transpose2d } from './layout.js';
import { onnx, toNumber, type GraphProto, type IntLike, type ModelProto, type NodeProto } from './read-model.js';
import { decodeTensor, type Constant } from './tensor-data.js';
import { FOLDED_OPS, FoldError, foldConstant, reshapeDims, type FoldedOp } from './fold-constants.js';

/** How pixels become the ONNX model's input: x = (pixel / 255 - mean[c]) / std[c]. */
export interface InputNormalization {
  mean: number[];
  std: number[];
}

/**
 * How an ONNX activation's data sits in kit's tensor (see layout.ts):
 * - 'nchw': ONNX [1, C, H, W], kit [H, W, C];
 * - 'same': kit holds the ONNX data in the same order (vectors, [1, C, 1, 1] after global pooling);
 * - chw: ONNX [1, C*H*W] flattened in C, H, W order, kit's vector in H, W, C order.
 */
type Order = 'nchw' | 'same' | { chw: [number, number, number] };

type Value =
  | { kind: 'const'; c: Constant }
  /** The graph input with the per-channel affine map (x * a + b) of the Mul/Add/Sub/Div that follow it. */
  | { kind: 'input'; onnx: number[]; a: number[]; b: number[]; materialized?: string; nhwc?: boolean }
  | { kind: 'act'; id: string; onnx: number[]; order: Order };

export const SUPPORTED_ONNX_OPS = [
  'Conv', 'BatchNormalization', 'Relu', 'Clip', 'Add', 'Sub', 'Mul', 'Div', 'AveragePool', 'MaxPool', 'GlobalAveragePool',
  'ReduceMean', 'Flatten', 'Reshape', 'Gemm', 'MatMul', 'Concat', 'Pad', 'Softmax', 'Transpose', 'Identity', 'Dropout',
  'Constant', 'Shape', 'Cast',
  // Evaluated at import time on constants (the shape arithmetic PyTorch exports): fold-constants.ts.
  'Gather', 'Unsqueeze', 'Squeeze', 'ConstantOfShape', 'Slice',
];

/** Thrown for one node: names it, its op and its index in the ONNX graph. */
class NodeError extends KitError {}

function attrOf(node: NodeProto, name: string) {
  return node.attribute?.find((a) => a.name === name);
}
const intAttr = (node: NodeProto, name: string, fallback: number): number => {
  const a = attrOf(node, name);
  return a ? toNumber(a.i as IntLike) : fallback;
};
const intsAttr = (node: NodeProto, name: string): number[] | undefined => {
  const a = attrOf(node, name);
  return a ? (a.ints ?? []).map((v) => toNumber(v as IntLike)) : undefined;
};
const floatAttr = (node: NodeProto, name: string, fallback: number): number => attrOf(node, name)?.f ?? fallback;
const stringAttr = (node: NodeProto, name: string, fallback: string): string => {
  const s = attrOf(node, name)?.s;
  return s && s.length > 0 ? new TextDecoder().decode(s) : fallback;
};

/** One ONNX node's conversion. */
class NodeScope {
  constructor(readonly node: NodeProto, readonly index: number, readonly name: string) {}

  refuse(why: string, hint?: string): NodeError {
    return new NodeError('onnx-unsupported', 'model', `node '${this.node.name || this.name}' (#${this.index}, ${this.node.opType}) ${why}`, hint);
  }
}

/** `baseDir`: the model file's folder, where tensors saved as external data are read from. */
export function graphFromOnnx(model: ModelProto, opset: number, norm: InputNormalization, baseDir?: string): Graph {
  return new Converter(model, opset, norm, baseDir).run();
}

class Converter extends FloatGraphBuilder {
  private readonly values = new Map<string, Value>();
  private readonly consumers = new Map<string, number>();
  private readonly names = new Set<string>();
  private readonly g: GraphProto;

  constructor(model: ModelProto, private readonly opset: number, private norm: InputNormalization, private readonly baseDir?: string) {
    super();
    this.g = model.graph!;
  }

  run(): Graph {
    for (const t of this.g.initializer ?? []) this.values.set(t.name!, { kind: 'const', c: decodeTensor(t, 'initializer', this.baseDir) });
    this.bindInput();
    for (const n of this.g.node ?? []) for (const i of n.input ?? []) if (i) this.consumers.set(i, (this.consumers.get(i) ?? 0) + 1);
    for (const o of this.g.output ?? []) this.consumers.set(o.name!, (this.consumers.get(o.name!) ?? 0) + 1);
    (this.g.node ?? []).forEach((n, i) => this.convert(new NodeScope(n, i, this.uniqueName(n.name || `${n.opType}_${i}`))));
    const outs = this.g.output ?? [];
    if (outs.length !== 1) throw new KitError('model-shape', 'model', `the ONNX graph has ${outs.length} outputs; kit needs one`);
    const out = this.values.get(outs[0].name!);
    if (!out || out.kind !== 'act' || out.order !== 'same') {
      throw new KitError('model-shape', 'model', `the ONNX output '${outs[0].name}' is not a vector of class scores computed from the input`, 'end the model with Flatten and Gemm (a classifier head)');
    }
    this.graph.outputs.push(out.id);
    validateGraph(this.graph);
    return this.graph;
  }

  private uniqueName(raw: string): string {
    let base = raw.replace(/[^A-Za-z0-9_]/g, '_').replace(/^_+/, '') || 'node';
    if (/^[0-9]/.test(base)) base = `n${base}`;
    let name = base;
    for (let k = 1; this.names.has(name); k++) name = `${base}_${k}`;
    this.names.add(name);
    return name;
  }

  private bindInput(): void {
    const inits = new Set((this.g.initializer ?? []).map((t) => t.name));
    const inputs = (this.g.input ?? []).filter((i) => !inits.has(i.name));
    if (inputs.length !== 1) {
      throw new KitError('model-shape', 'model', `the ONNX graph has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); kit needs one image input`);
    }
    const input = inputs[0];
    const tt = input.type?.tensorType;
    if (!tt || tt.elemType !== onnx.TensorProto.DataType.FLOAT) {
      throw new KitError('model-shape', 'model', `the ONNX input '${input.name}' is not a float32 tensor`, 'export the float model, not a quantized one');
    }
    const dims = (tt.shape?.dim ?? []).map((d, axis) => {
      const v = d.dimValue != null ? toNumber(d.dimValue as IntLike) : 0;
      if (axis === 0) return 1; // a dynamic batch size is fine: kit runs one image at a time
      if (v <= 0) {
        throw new KitError('onnx-dynamic', 'model', `the ONNX input '${input.name}' has a dynamic size${d.dimParam ? ` '${d.dimParam}'` : ''} at axis ${axis}`, 'export with a fixed input size (dynamic_axes for the batch only)');
      }
      return v;
    });
    if (dims.length !== 4) throw new KitError('model-shape', 'model', `the ONNX input '${input.name}' has shape [${dims.join(', ')}]; kit needs an NCHW image [1, C, H, W]`);
    // An NHWC input (TensorFlow's layout) that the graph transposes to NCHW first is kit's HWC as it is.
    const readers = (this.g.node ?? []).filter((n) => n.input?.includes(input.name!));
    const nhwc = readers.length === 1 && readers[0].opType === 'Transpose' && intsAttr(readers[0], 'perm')?.join() === '0,3,1,2';
    if (nhwc) dims.splice(1, 0, dims.pop()!);
    const c = dims[1];
    // One value stands for every channel.
    const widen = (xs: number[]) => (xs.length === 1 ? new Array<number>(c).fill(xs[0]) : xs);
    this.norm = { mean: widen(this.norm.mean), std: widen(this.norm.std) };
    for (const [key, v] of Object.entries(this.norm)) {
      if (v.length !== c) throw new KitError('bad-option', 'model', `--${key} has ${v.length} values for a ${c}-channel input`, `give ${c} comma-separated values`);
    }
    this.values.set(input.name!, { kind: 'input', onnx: dims, a: new Array(c).fill(1), b: new Array(c).fill(0), nhwc });
  }

  private value(s: NodeScope, k: number): Value {
    const name = s.node.input?.[k];
    const v = name ? this.values.get(name) : undefined;
    if (!v) throw s.refuse(`reads '${name ?? `input ${k}`}', which no supported node produced`);
    return v;
  }

  private optionalConst(s: NodeScope, k: number): Constant | undefined {
    if (!s.node.input?.[k]) return undefined;
    const v = this.value(s, k);
    if (v.kind !== 'const') throw s.refuse(`takes input ${k} from the graph at run time (a dynamic shape or parameter)`, 'kit needs it to be a constant');
    return v.c;
  }

  private constant(s: NodeScope, k: number): Constant {
    const c = this.optionalConst(s, k);
    if (!c) throw s.refuse(`has no input ${k}`);
    return c;
  }

  /** Input k as a kit activation; the graph input becomes a normalize_input node on first such use. */
  private act(s: NodeScope, k: number): Extract<Value, { kind: 'act' }> {
    const v = this.value(s, k);
    if (v.kind === 'const') throw s.refuse(`gets a constant as input ${k}`, 'kit imports constants only as weights and normalization');
    if (v.kind === 'act') return v;
    if (!v.materialized) {
      const [, c, h, w] = v.onnx;
      const mean = [];
      const std = [];
      for (let ch = 0; ch < c; ch++) {
        if (!(v.a[ch] > 0)) throw s.refuse('scales the input by a value that is not positive', 'kit folds input normalization with a positive scale only');
        // a * (p/255 - m) / sd + b = (p/255 - (m - b * sd / a)) / (sd / a)
        std.push(this.norm.std[ch] / v.a[ch]);
        mean.push(this.norm.mean[ch] - (v.b[ch] * this.norm.std[ch]) / v.a[ch]);
      }
      const pixels = this.tensor(this.uniqueName('pixels'), [h, w, c], 'uint8');
      this.graph.inputs.push(pixels);
      v.materialized = this.node(this.uniqueName('normalize'), 'normalize_input', [pixels], { mean, std });
    }
    return { kind: 'act', id: v.materialized, onnx: v.onnx, order: 'nchw' };
  }

  private bind(s: NodeScope, v: Value, k = 0): void {
    const out = s.node.output?.[k];
    if (out) this.values.set(out, v);
  }

  /** The kit node that produced `a`, if the ONNX node reading it is its only reader and it may absorb it. */
  private fusable(s: NodeScope, a: { id: string }, ops: string[]): GraphNode | undefined {
    const node = this.producer.get(a.id);
    const sole = this.consumers.get(s.node.input![0]) === 1;
    return node && sole && ops.includes(node.op) && node.attrs.activation === 'none' ? node : undefined;
  }

  private nchw(s: NodeScope, a: Extract<Value, { kind: 'act' }>): [number, number, number] {
    if (a.order !== 'nchw') throw s.refuse(`gets a rank-${a.onnx.length} input [${a.onnx.join(', ')}]`, 'kit needs an NCHW feature map here');
    return [a.onnx[1], a.onnx[2], a.onnx[3]];
  }

  private convert(s: NodeScope): void {
    const op = s.node.opType ?? '';
    if (this.foldable(s)) return this.fold(s, op as FoldedOp);
    switch (op) {
      case 'Constant': return this.bind(s, { kind: 'const', c: this.constantAttr(s) });
      case 'Identity':
      case 'Dropout':
      case 'Cast':
        return this.bind(s, this.value(s, 0));
      case 'Conv': return this.conv(s);
      case 'BatchNormalization': return this.batchNorm(s);
      case 'Relu': return this.activation(s, 'relu');
      case 'Clip': {
        const lo = this.optionalConst(s, 1)?.data[0];
        const hi = this.optionalConst(s, 2)?.data[0];
        if (lo === 0 && hi === 6) return this.activation(s, 'relu6');
        if (lo === 0 && hi === undefined) return this.activation(s, 'relu');
        if (lo === -1 && hi === 1) return this.activation(s, 'relu_n1_to_1');
        throw s.refuse(`clips to [${lo ?? '-inf'}, ${hi ?? 'inf'}]`, 'kit supports Clip to [0, 6], [0, inf) and [-1, 1]');
      }
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div':
        return this.arithmetic(s, op);
      case 'AveragePool':
      case 'MaxPool':
        return this.pool(s, op);
      case 'GlobalAveragePool': {
        const a = this.act(s, 0);
        const [c] = this.nchw(s, a);
        return this.bind(s, { kind: 'act', id: this.node(s.name, 'global_avg_pool', [a.id], {}), onnx: [1, c, 1, 1], order: 'same' });
      }
      case 'ReduceMean': {
        const a = this.act(s, 0);
        const [c] = this.nchw(s, a);
        const axes = (intsAttr(s.node, 'axes') ?? [...(this.optionalConst(s, 1)?.data ?? [])]).map((x) => (x < 0 ? x + 4 : x)).sort();
        if (axes.join() !== '2,3') throw s.refuse(`averages over axes [${axes.join(', ')}]`, 'kit supports the mean over height and width (global average pooling)');
        const keep = intAttr(s.node, 'keepdims', 1) === 1;
        return this.bind(s, { kind: 'act', id: this.node(s.name, 'global_avg_pool', [a.id], {}), onnx: keep ? [1, c, 1, 1] : [1, c], order: 'same' });
      }
      case 'Flatten': {
        if (intAttr(s.node, 'axis', 1) !== 1) throw s.refuse(`flattens from axis ${intAttr(s.node, 'axis', 1)}`, 'kit supports Flatten(axis=1)');
        return this.flatten(s, this.act(s, 0));
      }
      case 'Reshape': return this.reshape(s);
      case 'Gemm':
      case 'MatMul':
        return this.dense(s, op);
      case 'Concat': return this.concat(s);
      case 'Pad': return this.pad(s);
      case 'Softmax': {
        const a = this.act(s, 0);
        const axis = intAttr(s.node, 'axis', this.opset < 13 ? 1 : -1);
        if (a.order !== 'same' || a.onnx.length !== 2 || (axis !== 1 && axis !== -1)) {
          throw s.refuse(`takes a softmax over axis ${axis} of [${a.onnx.join(', ')}]`, 'kit supports Softmax over the class scores [1, N]');
        }
        return this.bind(s, { ...a, id: this.node(s.name, 'softmax', [a.id], { beta: 1 }) });
      }
      case 'Transpose': return this.transpose(s);
      case 'Shape': {
        const v = this.value(s, 0);
        if (v.kind === 'const') throw s.refuse('takes the shape of a constant');
        return this.bind(s, { kind: 'const', c: { dims: [v.onnx.length], data: Float64Array.from(v.onnx), integer: true } });
      }
      case 'Gather':
      case 'Unsqueeze':
      case 'Squeeze':
      case 'ConstantOfShape':
      case 'Slice':
        throw s.refuse('computes on an activation', `kit evaluates ${op} on constants only (shape arithmetic)`);
      default:
        throw s.refuse('is not supported', `kit imports: ${SUPPORTED_ONNX_OPS.join(', ')}`);
    }
  }

  /** A node whose inputs are all constants and which the importer can evaluate (fold-constants.ts). */
  private foldable(s: NodeScope): boolean {
    const names = s.node.input ?? [];
    return (FOLDED_OPS as readonly string[]).includes(s.node.opType ?? '') && names.some((n) => !!n)
      && names.every((n) => !n || this.values.get(n)?.kind === 'const');
  }

  private fold(s: NodeScope, op: FoldedOp): void {
    const inputs = (s.node.input ?? []).map((n) => {
      const v = n ? this.values.get(n) : undefined;
      return v?.kind === 'const' ? v.c : undefined;
    });
    const attrs = {
      int: (name: string, fallback: number) => intAttr(s.node, name, fallback),
      ints: (name: string) => intsAttr(s.node, name),
      tensor: (name: string) => {
        const t = attrOf(s.node, name)?.t;
        return t ? decodeTensor(t, `node '${s.name}'`) : undefined;
      },
    };
    try {
      this.bind(s, { kind: 'const', c: foldConstant(op, inputs, attrs) });
    } catch (e) {
      if (e instanceof FoldError) throw s.refuse(e.message);
      throw e;
    }
  }

  /** A Constant node's value: a tensor, or one of the scalar/list shorthands of opset 12+. */
  private constantAttr(s: NodeScope): Constant {
    const a = (name: string) => attrOf(s.node, name);
    const t = a('value')?.t;
    if (t) return decodeTensor(t, `node '${s.name}'`);
    const f = a('value_float');
    if (f) return { dims: [], data: Float32Array.of(f.f ?? 0), integer: false };
    const fs = a('value_floats');
    if (fs) return { dims: [fs.floats?.length ?? 0], data: Float32Array.from(fs.floats ?? []), integer: false };
    const i = a('value_int');
    if (i) return { dims: [], data: Float64Array.of(toNumber(i.i as IntLike)), integer: true };
    const is = intsAttr(s.node, 'value_ints');
    if (is) return { dims: [is.length], data: Float64Array.from(is), integer: true };
    throw s.refuse('holds no tensor, float or int value', 'kit reads Constant nodes with a numeric value');
  }

  /**
   * Explicit ONNX pads [top, left, bottom, right] as kit's padding: 'valid' (none), 'same' (exactly
   * TF's, the odd one after), or 'explicit' (the caller inserts a pad node or refuses).
   */
  private padding(s: NodeScope, h: number, w: number, k: [number, number], strides: [number, number]): { padding: 'same' | 'valid' | 'explicit'; pads: number[] } {
    const autoPad = stringAttr(s.node, 'auto_pad', 'NOTSET');
    if (autoPad === 'VALID') return { padding: 'valid', pads: [0, 0, 0, 0] };
    if (autoPad === 'SAME_UPPER') return { padding: 'same', pads: [] };
    if (autoPad !== 'NOTSET') throw s.refuse(`uses auto_pad ${autoPad}`, 'kit supports explicit pads, VALID and SAME_UPPER');
    const pads = intsAttr(s.node, 'pads') ?? [0, 0, 0, 0];
    if (pads.every((p) => p === 0)) return { padding: 'valid', pads };
    const y = windowAxis(h, k[0], strides[0], 'same');
    const x = windowAxis(w, k[1], strides[1], 'same');
    const total = (size: number, a: { out: number }, kk: number, st: number) => Math.max((a.out - 1) * st + kk - size, 0);
    const same = [y.padBefore, x.padBefore, total(h, y, k[0], strides[0]) - y.padBefore, total(w, x, k[1], strides[1]) - x.padBefore];
    return { padding: same.every((p, i) => p === pads[i]) ? 'same' : 'explicit', pads };
  }

  private conv(s: NodeScope): void {
    const a = this.act(s, 0);
    const [c, h, w] = this.nchw(s, a);
    const wt = this.constant(s, 1);
    const [o, perGroup, kh, kw] = wt.dims;
    const bias = this.optionalConst(s, 2);
    const group = intAttr(s.node, 'group', 1);
    const strides = (intsAttr(s.node, 'strides') ?? [1, 1]) as [number, number];
    const dilation = (intsAttr(s.node, 'dilations') ?? [1, 1]) as [number, number];
    if (wt.dims.length !== 4) throw s.refuse(`has ${wt.dims.length - 2}-D kernels`, 'kit imports 2-D convolutions');
    const depthwise = group !== 1;
    if (depthwise && !(group === c && perGroup === 1 && o % c === 0)) {
      throw s.refuse(`is a grouped convolution (${group} groups of ${perGroup} channels)`, 'kit supports groups = 1 and depthwise (groups = input channels)');
    }
    if (!depthwise && dilation.some((d) => d !== 1)) throw s.refuse('is dilated', 'kit supports dilation for depthwise convolutions only');
    const effective: [number, number] = [(kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1];
    let { padding, pads } = this.padding(s, h, w, effective, strides);
    let input = a.id;
    if (padding === 'explicit') {
      // PyTorch pads symmetrically (e.g. 1 on each side of a stride-2 3x3 conv), TF-style 'same' puts
      // the odd padding after: an explicit pad node, then a 'valid' convolution.
      input = this.node(this.uniqueName(`${s.name}_pad`), 'pad', [a.id], { paddings: [[pads[0], pads[2]], [pads[1], pads[3]], [0, 0]] });
      padding = 'valid';
    }
    const data = wt.data as Float32Array;
    const wId = this.tensor(`${s.name}/weights`, depthwise ? [1, kh, kw, o] : [o, kh, kw, c], 'float32', depthwise ? depthwiseToKit(data, wt.dims) : oihwToOhwi(data, wt.dims));
    const bId = this.tensor(`${s.name}/bias`, [o], 'float32', bias ? Float32Array.from(bias.data) : new Float32Array(o));
    const id = depthwise
      ? this.node(s.name, 'depthwise_conv2d', [input, wId, bId], { strides, padding, dilation, depthMultiplier: o / c, activation: 'none' })
      : this.node(s.name, 'conv2d', [input, wId, bId], { strides, padding, activation: 'none' });
    const [oh, ow] = this.graph.tensors[id].shape;
    this.bind(s, { kind: 'act', id, onnx: [1, o, oh, ow], order: 'nchw' });
  }

  private batchNorm(s: NodeScope): void {
    const a = this.act(s, 0);
    const prev = this.fusable(s, a, ['conv2d', 'depthwise_conv2d', 'dense']);
    if (!prev) throw s.refuse('does not directly follow a Conv or Gemm whose output it alone reads', 'kit folds BatchNormalization into the layer before it');
    const [, wId, bId] = prev.inputs;
    const depthwise = prev.op === 'depthwise_conv2d';
    const channels = this.graph.tensors[bId].shape[0];
    const w = this.graph.tensors[wId].data as Float32Array;
    const f32 = (k: number) => Float32Array.from(this.constant(s, k).data);
    const folded = foldBatchNorm(depthwise ? transpose2d(w, w.length / channels, channels) : w, this.graph.tensors[bId].data as Float32Array, {
      gamma: f32(1),
      beta: f32(2),
      movingMean: f32(3),
      movingVariance: f32(4),
      epsilon: floatAttr(s.node, 'epsilon', 1e-5),
    });
    // Depthwise weights keep the channel last; folding works channel-major.
    this.graph.tensors[wId].data = depthwise ? transpose2d(folded.weights, channels, w.length / channels) : folded.weights;
    this.graph.tensors[bId].data = folded.bias;
    (prev.fused ??= []).push(s.name);
    this.bind(s, a);
  }

  private activation(s: NodeScope, kind: 'relu' | 'relu6' | 'relu_n1_to_1'): void {
    const a = this.act(s, 0);
    const prev = this.fusable(s, a, ['conv2d', 'depthwise_conv2d', 'dense', 'add']);
    if (prev) {
      prev.attrs.activation = kind;
      (prev.fused ??= []).push(s.name);
      return this.bind(s, a);
    }
    if (kind !== 'relu') throw s.refuse('does not follow a Conv, Gemm or Add it can be fused into', 'kit runs a clipped ReLU fused into the layer before it');
    this.bind(s, { ...a, id: this.node(s.name, 'relu', [a.id], {}) });
  }

  /** Add of two feature maps, input normalization by constants, or a MatMul's bias. */
  private arithmetic(s: NodeScope, op: 'Add' | 'Sub' | 'Mul' | 'Div'): void {
    const [x, y] = [this.value(s, 0), this.value(s, 1)];
    if (x.kind === 'input' && y.kind === 'const') return this.bind(s, this.affine(s, x, y.c, op));
    if (y.kind === 'input' && x.kind === 'const' && (op === 'Add' || op === 'Mul')) return this.bind(s, this.affine(s, y, x.c, op));
    if (op === 'Add' && x.kind !== 'const' && y.kind !== 'const') {
      const [p, q] = [this.act(s, 0), this.act(s, 1)];
      if (p.onnx.join() !== q.onnx.join() || JSON.stringify(p.order) !== JSON.stringify(q.order)) {
        throw s.refuse(`adds [${p.onnx.join(', ')}] and [${q.onnx.join(', ')}]`, 'kit adds tensors of equal shape');
      }
      return this.bind(s, { ...p, id: this.node(s.name, 'add', [p.id, q.id], { activation: 'none' }) });
    }
    if (op === 'Add' && (x.kind === 'const') !== (y.kind === 'const')) {
      const a = this.act(s, x.kind === 'const' ? 1 : 0);
      const c = (x.kind === 'const' ? x : (y as Extract<Value, { kind: 'const' }>)).c;
      const prev = this.producer.get(a.id);
      const sole = this.consumers.get(s.node.input![x.kind === 'const' ? 1 : 0]) === 1;
      if (prev?.op === 'dense' && sole && prev.attrs.activation === 'none' && a.order === 'same' && numElements(c.dims) === a.onnx[1]) {
        const bias = this.graph.tensors[prev.inputs[2]].data as Float32Array;
        for (let i = 0; i < bias.length; i++) bias[i] += c.data[i];
        (prev.fused ??= []).push(s.name);
        return this.bind(s, a);
      }
    }
    throw s.refuse('combines values kit cannot map', 'kit supports Add of two equal-shape tensors, a bias after MatMul, and Mul/Sub/Div/Add by constants at the input (normalization)');
  }

  /** Fold x * k, x / k, x + k, x - k with a per-channel or scalar constant into the input's affine map. */
  private affine(s: NodeScope, x: Extract<Value, { kind: 'input' }>, k: Constant, op: 'Add' | 'Sub' | 'Mul' | 'Div'): Value {
    const c = x.onnx[1];
    const dims = [...new Array(Math.max(0, 4 - k.dims.length)).fill(1), ...k.dims];
    const perChannel = dims.length === 4 && dims[0] === 1 && dims[2] === 1 && dims[3] === 1 && (dims[1] === 1 || dims[1] === c);
    if (!perChannel) throw s.refuse(`applies a constant of shape [${k.dims.join(', ')}] to the input`, 'kit folds per-channel constants ([1, C, 1, 1] or scalars) into the input normalization');
    const at = (ch: number) => k.data[numElements(k.dims) === 1 ? 0 : ch];
    const a = [...x.a];
    const b = [...x.b];
    for (let ch = 0; ch < c; ch++) {
      if (op === 'Mul') [a[ch], b[ch]] = [a[ch] * at(ch), b[ch] * at(ch)];
      else if (op === 'Div') [a[ch], b[ch]] = [a[ch] / at(ch), b[ch] / at(ch)];
      else b[ch] += op === 'Add' ? at(ch) : -at(ch);
    }
    if (x.materialized) throw s.refuse('normalizes the input after another node has read it', 'normalize the input before anything else reads it');
    return { kind: 'input', onnx: x.onnx, a, b };
  }

  private pool(s: NodeScope, op: 'AveragePool' | 'MaxPool'): void {
    const a = this.act(s, 0);
    const [, h, w] = this.nchw(s, a);
    const poolSize = intsAttr(s.node, 'kernel_shape') as [number, number];
    const strides = (intsAttr(s.node, 'strides') ?? [1, 1]) as [number, number];
    if ((intsAttr(s.node, 'dilations') ?? [1, 1]).some((d) => d !== 1)) throw s.refuse('is dilated', 'kit pools with dilation 1');
    if (intAttr(s.node, 'ceil_mode', 0) !== 0) throw s.refuse('uses ceil_mode', 'export with ceil_mode=False');
    const { padding } = this.padding(s, h, w, poolSize, strides);
    if (padding === 'explicit') throw s.refuse(`pads [${intsAttr(s.node, 'pads')!.join(', ')}], not as TF's 'same' does`, 'kit pools with no padding or TF-style same padding');
    if (op === 'AveragePool' && padding === 'same' && intAttr(s.node, 'count_include_pad', 0) !== 0) {
      throw s.refuse('counts padding in its averages', 'kit averages over the input only (count_include_pad=False)');
    }
    const id = this.node(s.name, op === 'MaxPool' ? 'max_pool2d' : 'avg_pool2d', [a.id], { poolSize, strides, padding });
    const [oh, ow, c] = this.graph.tensors[id].shape;
    this.bind(s, { kind: 'act', id, onnx: [1, c, oh, ow], order: 'nchw' });
  }

  private flatten(s: NodeScope, a: Extract<Value, { kind: 'act' }>): void {
    const n = numElements(a.onnx);
    if (a.order === 'nchw') {
      const [c, h, w] = this.nchw(s, a);
      const id = this.node(s.name, 'flatten', [a.id], {});
      return this.bind(s, { kind: 'act', id, onnx: [1, n], order: c === 1 || h * w === 1 ? 'same' : { chw: [c, h, w] } });
    }
    const id = this.graph.tensors[a.id].shape.length === 1 ? a.id : this.node(s.name, 'flatten', [a.id], {});
    this.bind(s, { kind: 'act', id, onnx: [1, n], order: a.order });
  }

  private reshape(s: NodeScope): void {
    const a = this.act(s, 0);
    const shape = this.optionalConst(s, 1);
    if (!shape) throw s.refuse('has no target shape');
    const target = [...shape.data];
    const dims = reshapeDims(a.onnx, target);
    if (dims[0] !== 1 || !dims.every(Number.isInteger)) throw s.refuse(`reshapes [${a.onnx.join(', ')}] to [${target.join(', ')}]`, 'kit keeps the batch dimension at 1');
    if (dims.length === 2) return this.flatten(s, a);
    if (a.order !== 'same') throw s.refuse(`reshapes a feature map to [${dims.join(', ')}]`, 'kit supports reshapes to [1, N] and of vectors');
    this.bind(s, { kind: 'act', id: this.node(s.name, 'reshape', [a.id], { shape: dims.slice(1) }), onnx: dims, order: 'same' });
  }

  private dense(s: NodeScope, op: 'Gemm' | 'MatMul'): void {
    const a = this.act(s, 0);
    if (a.order === 'nchw' || a.onnx.length !== 2) throw s.refuse(`multiplies a [${a.onnx.join(', ')}] input`, 'put a Flatten before it');
    const wt = this.constant(s, 1);
    const k = a.onnx[1];
    if (op === 'Gemm' && intAttr(s.node, 'transA', 0) !== 0) throw s.refuse('transposes its input (transA)');
    const transB = op === 'Gemm' && intAttr(s.node, 'transB', 0) === 1;
    const [rows, cols] = wt.dims;
    if (wt.dims.length !== 2 || (transB ? cols : rows) !== k) throw s.refuse(`has weights [${wt.dims.join(', ')}] for ${k} inputs`);
    const n = transB ? rows : cols;
    const alpha = op === 'Gemm' ? floatAttr(s.node, 'alpha', 1) : 1;
    const beta = op === 'Gemm' ? floatAttr(s.node, 'beta', 1) : 1;
    let weights = transB ? Float32Array.from(wt.data) : transpose2d(wt.data as Float32Array, rows, cols);
    if (alpha !== 1) weights = weights.map((v) => v * alpha);
    if (typeof a.order === 'object') weights = chwColumnsToHwc(weights, n, a.order.chw);
    const c = op === 'Gemm' ? this.optionalConst(s, 2) : undefined;
    const bias = new Float32Array(n);
    if (c) {
      if (numElements(c.dims) !== n && numElements(c.dims) !== 1) throw s.refuse(`has a bias of shape [${c.dims.join(', ')}] for ${n} outputs`);
      for (let i = 0; i < n; i++) bias[i] = beta * c.data[numElements(c.dims) === 1 ? 0 : i];
    }
    const wId = this.tensor(`${s.name}/weights`, [n, k], 'float32', weights);
    const bId = this.tensor(`${s.name}/bias`, [n], 'float32', bias);
    this.bind(s, { kind: 'act', id: this.node(s.name, 'dense', [a.id, wId, bId], { activation: 'none' }), onnx: [1, n], order: 'same' });
  }

  private concat(s: NodeScope): void {
    const ins = (s.node.input ?? []).map((_, k) => this.act(s, k));
    const first = ins[0];
    const rank = first.onnx.length;
    const axis = intAttr(s.node, 'axis', 1);
    const ax = axis < 0 ? axis + rank : axis;
    if (ax !== 1 || ins.some((i) => JSON.stringify(i.order) !== JSON.stringify(first.order)) || typeof first.order === 'object') {
      throw s.refuse(`concatenates along axis ${axis}`, 'kit concatenates NCHW feature maps along channels and vectors');
    }
    const onnxShape = [...first.onnx];
    onnxShape[1] = ins.reduce((t, i) => t + i.onnx[1], 0);
    const id = this.node(s.name, 'concat', ins.map((i) => i.id), { axis: first.order === 'nchw' ? -1 : 0 });
    this.bind(s, { kind: 'act', id, onnx: onnxShape, order: first.order });
  }

  private pad(s: NodeScope): void {
    const a = this.act(s, 0);
    const [c, h, w] = this.nchw(s, a);
    const mode = stringAttr(s.node, 'mode', 'constant');
    if (mode !== 'constant') throw s.refuse(`pads in mode '${mode}'`, 'kit pads with zeros');
    const pads = [...this.constant(s, 1).data];
    const value = this.optionalConst(s, 2)?.data[0] ?? 0;
    if (value !== 0) throw s.refuse(`pads with ${value}`, 'kit pads with zeros');
    if (s.node.input?.[3]) throw s.refuse('pads selected axes', 'export without the axes input');
    if (pads.length !== 8 || pads[0] !== 0 || pads[4] !== 0 || pads.some((p) => p < 0)) throw s.refuse(`pads [${pads.join(', ')}]`, 'kit pads height, width and channels by non-negative amounts');
    // torch.onnx.export writes a Pad of zeros before AveragePool: nothing to run.
    if (pads.every((p) => p === 0)) return this.bind(s, a);
    const id = this.node(s.name, 'pad', [a.id], { paddings: [[pads[2], pads[6]], [pads[3], pads[7]], [pads[1], pads[5]]] });
    this.bind(s, { kind: 'act', id, onnx: [1, c + pads[1] + pads[5], h + pads[2] + pads[6], w + pads[3] + pads[7]], order: 'nchw' });
  }

  /** Transposes that only relabel axes: NCHW <-> NHWC (kit's data is HWC either way) or moves of size-1 axes. */
  private transpose(s: NodeScope): void {
    const input = this.value(s, 0);
    if (input.kind === 'input' && input.nhwc) {
      // The NHWC input's transpose to NCHW (see bindInput): from here on the input reads as NCHW.
      input.nhwc = false;
      return this.bind(s, input);
    }
    const a = this.act(s, 0);
    const perm = intsAttr(s.node, 'perm') ?? a.onnx.map((_, i) => a.onnx.length - 1 - i);
    const shape = perm.map((p) => a.onnx[p]);
    if (a.order === 'nchw' && perm.join() === '0,2,3,1') return this.bind(s, { ...a, onnx: shape, order: 'same' });
    if (a.order === 'same' && a.onnx.length === 4 && perm.join() === '0,3,1,2') {
      const [, hh, ww, cc] = a.onnx;
      if (this.graph.tensors[a.id].shape.join() === [hh, ww, cc].join()) return this.bind(s, { ...a, onnx: shape, order: 'nchw' });
    }
    const moved = perm.filter((p) => a.onnx[p] !== 1);
    if (a.order === 'same' && moved.every((p, i) => i === 0 || moved[i - 1] < p)) return this.bind(s, { ...a, onnx: shape });
    throw s.refuse(`transposes [${a.onnx.join(', ')}] with perm [${perm.join(', ')}], which moves data`, 'kit imports transposes that only change the layout');
  }
}
