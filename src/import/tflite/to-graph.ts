/**
 * A fully integer TFLite model (TflModel) to kit's quantized graph. TFLite's tensors keep their
 * scales and zero points, weights and biases their integers; each node's integer parameters
 * (requantization multipliers, clamps) are computed from those stored float32 scales exactly as
 * TFLite Micro's Prepare does, so kit's integer reference, its C and TFLite Micro agree.
 *
 * Shapes lose TFLite's batch dimension (kit graphs describe one input). A float32 input or output
 * wrapped by QUANTIZE / DEQUANTIZE is stripped: the graph runs on the integer tensors, and the float
 * side's scale and zero point are what the summary reports.
 */
import { KitError } from '../../errors.js';
import { GRAPH_VERSION, type Graph, type GraphNode, type QuantParams, type TensorData, type TensorSpec } from '../../ir/graph.js';
import { getOp } from '../../ops/registry.js';
import { INT8 } from '../../quantize/schemes.js';
import { accumulatorBound, centeredWeights, checkAccumulator, maxAbsOffset, requantMultipliers } from '../../ops/common/quantize-weights.js';
import { KIT_DESCRIPTION, type KitExportInfo } from './from-graph.js';
import type { OptionValue, TflModel, TflOperator, TflSubgraph, TflTensor } from './model.js';
import type { Activation } from '../../ops/common/activation.js';
import { deriveNodeIntParams } from '../../ops/derive.js';
import { depthwiseGeometry } from '../../ops/depthwise-conv2d/geometry.js';
import { centeredDepthwiseWeights, depthwiseBounds } from '../../ops/depthwise-conv2d/weights.js';
import { Activation as TflActivation, BuiltinOperator, builtinName, Padding, TensorType, tensorTypeName } from './schema.js';

/** TFLite builtin ops kit imports (QUANTIZE / DEQUANTIZE only at the model's float edges). */
export const SUPPORTED_OPS = ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'PAD', 'ADD', 'AVERAGE_POOL_2D', 'MAX_POOL_2D', 'RESHAPE', 'MEAN', 'SOFTMAX', 'CONCATENATION', 'QUANTIZE', 'DEQUANTIZE'];

/** Largest model kit imports: everything must fit a microcontroller's flash many times over. */
export const MAX_MODEL_BYTES = 64 * 1024 * 1024;

export interface IoInfo {
  /** Shape with the batch dimension, as TFLite states it. */
  shape: number[];
  dtype: string;
  scale: number;
  zeroPoint: number;
  /** True when the model's own input/output is float32 and kit stripped the QUANTIZE/DEQUANTIZE. */
  floatWrapped: boolean;
}

export interface ImportedModel {
  graph: Graph;
  input: IoInfo;
  output: IoInfo;
  /** TFLite op name per kit node, for the summary. */
  sourceOps: string[];
  /** The model's name, when kit exported it. */
  model?: string;
}

function refuse(code: string, message: string, hint?: string): KitError {
  return new KitError(code, 'import', message, hint);
}

const activationName = (a: number) => Object.entries(TflActivation).find(([, v]) => v === a)?.[0] ?? `activation ${a}`;

export function tfliteToGraph(model: TflModel, file: string): ImportedModel {
  if (model.subgraphs.length !== 1) {
    throw refuse('tflite-subgraphs', `${file} has ${model.subgraphs.length} subgraphs; kit imports models with exactly one`, 'export a single-signature model without control flow');
  }
  const sg = model.subgraphs[0];
  if (sg.inputs.length !== 1 || sg.outputs.length !== 1) {
    throw refuse('tflite-io', `${file} has ${sg.inputs.length} inputs and ${sg.outputs.length} outputs; kit imports models with one of each`);
  }
  return new Importer(model, sg, file).run();
}

/** A TFLite tensor name usable as a kit tensor/node name (short, plain), else undefined. */
function plainName(name: string): string | undefined {
  return /^[A-Za-z_][A-Za-z0-9_.\-/]{0,63}$/.test(name) && !name.includes('//') ? name : undefined;
}

/** What kit export wrote into the model's description, if it was kit. */
function exportInfo(description: string): KitExportInfo {
  if (!description.startsWith(KIT_DESCRIPTION)) return {};
  try {
    return JSON.parse(description.slice(KIT_DESCRIPTION.length)) as KitExportInfo;
  } catch {
    return {};
  }
}

class Importer {
  private readonly tensors: Record<string, TensorSpec> = {};
  private readonly nodes: GraphNode[] = [];
  private readonly sourceOps: string[] = [];
  /** TFLite tensor index -> kit tensor id. */
  private readonly ids = new Map<number, string>();
  private readonly used = new Set<string>();
  /** The operators being converted and the position of the current one (pool + reshape fold into one node). */
  private ops: { op: TflOperator; index: number }[] = [];
  /** What kit export recorded, when the file comes from kit. */
  private readonly info: KitExportInfo;
  private at = 0;

  constructor(
    private readonly model: TflModel,
    private readonly sg: TflSubgraph,
    private readonly file: string,
  ) {
    this.info = exportInfo(model.description);
  }

  run(): ImportedModel {
    this.checkTypes();
    let ops = this.sg.operators.map((op, index) => ({ op, index }));
    let inputIndex = this.sg.inputs[0];
    let outputIndex = this.sg.outputs[0];
    const input = this.tensor(inputIndex);
    const output = this.tensor(outputIndex);
    const inputFloat = input.type === TensorType.FLOAT32;
    const outputFloat = output.type === TensorType.FLOAT32;
    if (inputFloat) {
      const first = ops[0];
      if (!first || first.op.builtin !== BuiltinOperator.QUANTIZE || first.op.inputs[0] !== inputIndex) {
        throw this.floatModel();
      }
      inputIndex = first.op.outputs[0];
      ops = ops.slice(1);
    }
    if (outputFloat) {
      const last = ops[ops.length - 1];
      if (!last || last.op.builtin !== BuiltinOperator.DEQUANTIZE || last.op.outputs[0] !== outputIndex) throw this.floatModel();
      outputIndex = last.op.inputs[0];
      ops = ops.slice(0, -1);
    }
    let inId: string;
    const lut = this.info.normalizeInput;
    if (lut) {
      // A model kit exported: put back the pixel lookup table TFLite has no op for.
      inId = this.unique(lut.input);
      const name = this.unique(lut.name);
      const spec = this.activationSpec(inputIndex);
      const bytes = Buffer.from(lut.table, 'base64');
      const channels = lut.shape[2];
      if (bytes.length !== channels * 256 || spec.shape.join() !== lut.shape.join()) throw refuse('tflite-corrupt', `${this.file}: its kit input table does not match the input`, 'export the model again');
      this.tensors[inId] = { shape: [...lut.shape], dtype: 'uint8' };
      this.tensors[`${name}/table`] = { shape: [channels, 256], dtype: 'int8', data: new Int8Array(new Uint8Array(bytes).buffer), quant: { scale: [...spec.quant!.scale], zeroPoint: [...spec.quant!.zeroPoint] } };
      const out = this.tensorId(inputIndex, name);
      this.tensors[out] = spec;
      this.nodes.push({ name, op: 'normalize_input', inputs: [inId, `${name}/table`], outputs: [out], attrs: { mean: lut.mean, std: lut.std }, intParams: {}, accumulatorBound: 0 });
      this.sourceOps.push('(kit input table)');
      this.ids.set(inputIndex, out);
    } else {
      inId = this.unique(plainName(this.tensor(inputIndex).name) ?? 'input');
      this.ids.set(inputIndex, inId);
      this.tensors[inId] = this.activationSpec(inputIndex);
    }
    this.ops = ops;
    for (this.at = 0; this.at < ops.length; this.at++) this.convert(ops[this.at].op, ops[this.at].index);
    const outId = this.ids.get(outputIndex);
    if (!outId || outId === inId) throw refuse('tflite-io', `${this.file}: the output is not computed by any operator`);
    const graph: Graph = { version: GRAPH_VERSION, kind: 'quantized', scheme: 'int8', tensors: this.tensors, nodes: this.nodes, inputs: [inId], outputs: [outId] };
    return {
      graph,
      input: this.ioInfo(this.sg.inputs[0], inputIndex, inputFloat),
      output: this.ioInfo(this.sg.outputs[0], outputIndex, outputFloat),
      sourceOps: this.sourceOps,
      ...(this.info.model ? { model: this.info.model } : {}),
    };
  }

  private ioInfo(outer: number, inner: number, floatWrapped: boolean): IoInfo {
    const t = this.tensor(inner);
    const q = t.quantization!;
    return { shape: this.tensor(outer).shape, dtype: tensorTypeName(this.tensor(outer).type), scale: q.scale[0], zeroPoint: q.zeroPoint[0], floatWrapped };
  }

  private floatModel(): KitError {
    return refuse('tflite-float', `${this.file} is a float model (float32 tensors without quantization)`, 'kit imports fully int8-quantized models; quantize a float model with kit quantize, or convert it with the TFLite converter\'s full-integer quantization');
  }

  /** Whole-model dtype checks first, so that the message names the kind of model, not one op. */
  private checkTypes(): void {
    const { tensors, operators } = this.sg;
    const constant = (i: number) => this.model.buffers[tensors[i].buffer]?.length > 0;
    const activations = new Set<number>();
    for (const op of operators) for (const i of [...op.inputs, ...op.outputs]) if (i >= 0 && !constant(i)) activations.add(i);
    const types = new Set([...activations].map((i) => tensors[i].type));
    const weightTypes = new Set(operators.flatMap((op) => op.inputs.filter((i) => i >= 0 && constant(i)).map((i) => tensors[i].type)));
    if (types.has(TensorType.INT16) || weightTypes.has(TensorType.INT16) && !types.has(TensorType.INT8)) {
      throw refuse('tflite-int16', `${this.file} uses int16 activations (16x8 quantization)`, 'kit imports int8 models: convert with full-integer int8 quantization');
    }
    if (types.has(TensorType.FLOAT32) && (weightTypes.has(TensorType.INT8) || weightTypes.has(TensorType.UINT8)) && !types.has(TensorType.INT8)) {
      throw refuse('tflite-hybrid', `${this.file} is a hybrid model (int8 weights, float32 activations)`, 'kit imports fully integer models: convert with full-integer quantization and a representative dataset');
    }
    const floatActs = [...activations].filter((i) => tensors[i].type === TensorType.FLOAT32);
    const edges = new Set([this.sg.inputs[0], this.sg.outputs[0]]);
    if (floatActs.length && floatActs.every((i) => !tensors[i].quantization) && !types.has(TensorType.INT8) && !types.has(TensorType.UINT8)) throw this.floatModel();
    const inner = floatActs.filter((i) => !edges.has(i));
    if (inner.length) {
      throw refuse('tflite-hybrid', `${this.file} computes in float32 inside the model (tensor '${tensors[inner[0]].name}')`, 'kit imports fully integer models: convert with full-integer quantization');
    }
    for (const i of activations) {
      const t = tensors[i];
      const sig = t.shapeSignature;
      if (sig && sig.slice(1).some((d) => d < 0) || t.shape.slice(1).some((d) => d < 1)) {
        throw refuse('tflite-dynamic', `${this.file}: tensor '${t.name}' has a dynamic shape [${(sig ?? t.shape).join(', ')}]`, 'kit needs static shapes: convert with a fixed input size');
      }
    }
  }

  private tensor(i: number): TflTensor {
    const t = this.sg.tensors[i];
    if (!t) throw refuse('tflite-corrupt', `${this.file} is corrupt: tensor index ${i} of ${this.sg.tensors.length}`, 'convert or download the model again');
    return t;
  }

  private unique(base: string): string {
    let name = base;
    for (let k = 2; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  /** Kit's shape of a TFLite activation: the batch dimension (which must be 1) dropped. */
  private kitShape(i: number): number[] {
    const t = this.tensor(i);
    if (t.shape.length < 2) return [...t.shape];
    if (t.shape[0] !== 1) throw refuse('tflite-batch', `${this.file}: tensor '${t.name}' has batch size ${t.shape[0]}`, 'kit runs one input at a time: convert with batch size 1');
    return t.shape.slice(1);
  }

  private quantOf(i: number): QuantParams {
    const t = this.tensor(i);
    const q = t.quantization;
    if (!q || !q.scale.length || q.hasDetails) throw refuse('tflite-unquantized', `${this.file}: tensor '${t.name}' has no scale and zero point`, 'kit imports fully int8-quantized models');
    return {
      scale: q.scale.map((s) => Math.fround(s)),
      zeroPoint: q.zeroPoint.length ? q.zeroPoint : q.scale.map(() => 0),
      ...(q.scale.length > 1 ? { axis: q.quantizedDimension } : {}),
    };
  }

  private activationSpec(i: number): TensorSpec {
    const t = this.tensor(i);
    if (t.type !== TensorType.INT8) {
      throw refuse('tflite-dtype', `${this.file}: activation '${t.name}' is ${tensorTypeName(t.type)}`, 'kit imports int8 activations (the TFLite converter\'s full-integer int8 output)');
    }
    const q = this.quantOf(i);
    if (q.scale.length !== 1) throw refuse('tflite-quant', `${this.file}: activation '${t.name}' is quantized per channel`, 'kit imports per-tensor activations');
    return { shape: this.kitShape(i), dtype: 'int8', quant: q };
  }

  private constData(i: number, type: number, what: string): TensorData {
    const t = this.tensor(i);
    const bytes = this.model.buffers[t.buffer];
    if (!bytes || !bytes.length) throw refuse('tflite-unsupported', `${this.file}: the ${what} '${t.name}' is not a constant`, 'kit needs constant weights');
    if (t.type !== type) throw refuse('tflite-dtype', `${this.file}: the ${what} '${t.name}' is ${tensorTypeName(t.type)}, expected ${tensorTypeName(type)}`, 'kit imports int8 weights and int32 biases');
    const count = t.shape.reduce((a, b) => a * b, 1);
    const width = type === TensorType.INT32 ? 4 : 1;
    if (bytes.length !== count * width) throw refuse('tflite-corrupt', `${this.file} is corrupt: '${t.name}' holds ${bytes.length} bytes for shape [${t.shape.join(', ')}]`, 'convert or download the model again');
    const copy = new Uint8Array(bytes); // aligned copy
    return type === TensorType.INT32 ? new Int32Array(copy.buffer) : new Int8Array(copy.buffer);
  }

  /** The kit id of an activation input, which an earlier op must have produced. */
  private input(i: number, opIndex: number): string {
    const id = this.ids.get(i);
    if (!id) throw refuse('tflite-unsupported', `${this.file}: operator ${opIndex} reads tensor '${this.tensor(i).name}', which is neither the input nor computed before it`);
    return id;
  }

  /**
   * Name a node after its TFLite output tensor when that name is short and plain (or as kit export
   * recorded it), else op_index.
   */
  private nodeName(op: TflOperator, kitOp: string, index: number): string {
    const t = this.tensor(op.outputs[0]).name;
    return this.unique(this.info.nodes?.[t]?.name ?? plainName(t) ?? `${kitOp}_${index}`);
  }

  /** The kit id of a TFLite activation tensor: its own name when plain and free, else the node's. */
  private tensorId(i: number, fallback: string): string {
    let id = plainName(this.tensor(i).name) ?? fallback;
    for (let k = 2; this.tensors[id]; k++) id = `${plainName(this.tensor(i).name) ?? fallback}_${k}`;
    return id;
  }

  /**
   * Add a node for TFLite operator `op`; its integer parameters come from the op's own
   * deriveIntParams (TFLite Micro's Prepare on the stored scales), so import and quantize share them.
   */
  private emit(op: TflOperator, index: number, kitOp: string, inputs: string[], attrs: Record<string, unknown>, accumulator = 0, options: { outShape?: number[]; name?: string } = {}): string {
    const name = options.name ?? this.nodeName(op, kitOp, index);
    const out = this.activationSpec(op.outputs[0]);
    if (options.outShape) out.shape = options.outShape;
    const id = this.tensorId(op.outputs[0], name);
    this.tensors[id] = out;
    const extra = this.info.nodes?.[this.tensor(op.outputs[0]).name];
    if (extra?.activation && 'activation' in attrs) attrs = { ...attrs, activation: extra.activation };
    const node: GraphNode = { name, op: kitOp, inputs, outputs: [id], attrs, ...(extra?.fused ? { fused: extra.fused } : {}) };
    node.intParams = deriveNodeIntParams(this.partialGraph(), node);
    node.accumulatorBound = accumulator;
    this.nodes.push(node);
    this.sourceOps.push(builtinName(op.builtin));
    this.ids.set(op.outputs[0], id);
    return id;
  }

  private partialGraph(): Graph {
    return { version: GRAPH_VERSION, kind: 'quantized', scheme: 'int8', tensors: this.tensors, nodes: this.nodes, inputs: [], outputs: [] };
  }

  /** TFLite's fused_activation_function as kit's activation attribute. */
  private activation(value: OptionValue | undefined, index: number): Activation {
    switch (value ?? TflActivation.NONE) {
      case TflActivation.NONE: return 'none';
      case TflActivation.RELU: return 'relu';
      case TflActivation.RELU6: return 'relu6';
      case TflActivation.RELU_N1_TO_1: return 'relu_n1_to_1';
      default: throw refuse('tflite-unsupported', `${this.file}: operator ${index} has fused activation ${activationName(value as number)}`, 'kit supports fused NONE, RELU, RELU6 and RELU_N1_TO_1');
    }
  }

  private convert(op: TflOperator, index: number): void {
    switch (op.builtin) {
      case BuiltinOperator.CONV_2D: return this.conv(op, index);
      case BuiltinOperator.DEPTHWISE_CONV_2D: return this.depthwise(op, index);
      case BuiltinOperator.PAD: return this.pad(op, index);
      case BuiltinOperator.FULLY_CONNECTED: return this.dense(op, index);
      case BuiltinOperator.ADD: return this.add(op, index);
      case BuiltinOperator.AVERAGE_POOL_2D: return this.pool(op, index, 'avg_pool2d');
      case BuiltinOperator.MAX_POOL_2D: return this.pool(op, index, 'max_pool2d');
      case BuiltinOperator.RESHAPE: return this.reshape(op, index);
      case BuiltinOperator.MEAN: return this.mean(op, index);
      case BuiltinOperator.SOFTMAX: return this.emitSimple(op, index, 'softmax', [this.input(op.inputs[0], index)], { beta: (op.options.beta as number | undefined) ?? 1 });
      case BuiltinOperator.CONCATENATION: return this.concat(op, index);
      case BuiltinOperator.QUANTIZE: return this.quantize(op, index);
      default: throw this.unsupported(op, index);
    }
  }

  private unsupported(op: TflOperator, index: number, why?: string): KitError {
    const name = op.builtin === BuiltinOperator.CUSTOM ? `custom op '${op.customCode ?? '?'}'` : builtinName(op.builtin);
    return refuse('tflite-op-unsupported', `${this.file}: operator ${index} is ${name}${why ? ` (${why})` : ''}, which kit cannot import`, `kit supports: ${SUPPORTED_OPS.join(', ')}`);
  }

  /** Weights and bias of a conv/dense node as kit tensors, with the requantization they imply. */
  private weightsAndBias(op: TflOperator, index: number, name: string, channels: number) {
    const [xi, wi, bi] = op.inputs;
    const wT = this.tensor(wi);
    const w = this.constData(wi, TensorType.INT8, 'weights') as Int8Array;
    const wq = this.quantOf(wi);
    if (wq.scale.length !== 1 && (wq.scale.length !== channels || (wq.axis ?? 0) !== 0)) {
      throw refuse('tflite-quant', `${this.file}: weights '${wT.name}' have ${wq.scale.length} scales for ${channels} output channels`, 'per-channel weights are quantized along the output channel');
    }
    if (wq.zeroPoint.some((z) => z !== 0)) throw refuse('tflite-quant', `${this.file}: weights '${wT.name}' have a non-zero zero point`, 'TFLite int8 weights are symmetric');
    const xq = this.quantOf(xi);
    const outQ = this.quantOf(op.outputs[0]);
    const bias = bi !== undefined && bi >= 0 ? (this.constData(bi, TensorType.INT32, 'bias') as Int32Array) : new Int32Array(channels);
    if (bias.length !== channels) throw refuse('tflite-shape', `${this.file}: operator ${index} has ${bias.length} biases for ${channels} channels`);
    const scales = wq.scale.length === 1 ? Array(channels).fill(wq.scale[0]) : wq.scale;
    const { multiplier, shift } = requantMultipliers(xq.scale[0], scales.map((scale: number) => ({ scale, zeroPoint: 0 })), outQ.scale[0]);
    const depth = w.length / channels;
    const bound = accumulatorBound(centeredWeights(w, [0], channels, depth), bias, channels, depth, maxAbsOffset(xq.zeroPoint[0], -128, 127));
    checkAccumulator(name, bound, shift);
    const wId = `${name}/weights`;
    const bId = `${name}/bias`;
    this.tensors[wId] = { shape: [...wT.shape], dtype: 'int8', data: w, quant: { scale: wq.scale, zeroPoint: wq.scale.map(() => 0), ...(wq.scale.length > 1 ? { axis: 0 } : {}) } };
    this.tensors[bId] = {
      shape: [channels],
      dtype: 'int32',
      data: bias,
      quant: { scale: wq.scale.map((s) => xq.scale[0] * s), zeroPoint: wq.scale.map(() => 0), ...(wq.scale.length > 1 ? { axis: 0 } : {}) },
    };
    return { wId, bId, bound };
  }

  private conv(op: TflOperator, index: number): void {
    const o = op.options;
    if (o.dilationW !== 1 || o.dilationH !== 1) throw this.unsupported(op, index, `dilation ${o.dilationH}x${o.dilationW}`);
    const x = this.input(op.inputs[0], index);
    const channels = this.tensor(op.inputs[1]).shape[0];
    const name = this.nodeName(op, 'conv2d', index);
    const { wId, bId, bound } = this.weightsAndBias(op, index, name, channels);
    this.emit(op, index, 'conv2d', [x, wId, bId], {
      strides: [o.strideH, o.strideW],
      padding: o.padding === Padding.SAME ? 'same' : 'valid',
      activation: this.activation(o.fusedActivation, index),
    }, bound, { name });
  }

  private depthwise(op: TflOperator, index: number): void {
    const o = op.options;
    const x = this.input(op.inputs[0], index);
    const [wi, bi] = [op.inputs[1], op.inputs[2]];
    const wT = this.tensor(wi);
    const outC = wT.shape[3];
    const inC = this.tensors[x].shape[2];
    if (wT.shape.length !== 4 || wT.shape[0] !== 1 || outC % inC !== 0) throw this.unsupported(op, index, `weights [${wT.shape.join(', ')}] for ${inC} input channels`);
    const name = this.nodeName(op, 'depthwise_conv2d', index);
    const w = this.constData(wi, TensorType.INT8, 'weights') as Int8Array;
    const wq = this.quantOf(wi);
    if (wq.scale.length !== 1 && (wq.scale.length !== outC || wq.axis !== 3)) {
      throw refuse('tflite-quant', `${this.file}: depthwise weights '${wT.name}' have ${wq.scale.length} scales along axis ${wq.axis} for ${outC} channels`, 'per-channel depthwise weights are quantized along the last axis');
    }
    if (wq.zeroPoint.some((z) => z !== 0)) throw refuse('tflite-quant', `${this.file}: weights '${wT.name}' have a non-zero zero point`, 'TFLite int8 weights are symmetric');
    const xq = this.tensors[x].quant!;
    const bias = bi !== undefined && bi >= 0 ? (this.constData(bi, TensorType.INT32, 'bias') as Int32Array) : new Int32Array(outC);
    const attrs = {
      strides: [o.strideH, o.strideW],
      padding: o.padding === Padding.SAME ? 'same' : 'valid',
      dilation: [o.dilationH, o.dilationW],
      depthMultiplier: outC / inC,
      activation: this.activation(o.fusedActivation, index),
    };
    const wId = `${name}/weights`;
    const bId = `${name}/bias`;
    const axis = wq.scale.length > 1;
    this.tensors[wId] = { shape: [...wT.shape], dtype: 'int8', data: w, quant: { scale: wq.scale, zeroPoint: wq.scale.map(() => 0), ...(axis ? { axis: 3 } : {}) } };
    this.tensors[bId] = { shape: [outC], dtype: 'int32', data: bias, quant: { scale: wq.scale.map((sc) => xq.scale[0] * sc), zeroPoint: wq.scale.map(() => 0), ...(axis ? { axis: 0 } : {}) } };
    const g = depthwiseGeometry({ node: name, attrs: attrs as never, inputs: [this.tensors[x].shape], params: [wT.shape, [outC]] });
    const bound = Math.max(...depthwiseBounds(g, centeredDepthwiseWeights(w, [0], outC), bias, maxAbsOffset(xq.zeroPoint[0], -128, 127)));
    this.emit(op, index, 'depthwise_conv2d', [x, wId, bId], attrs, bound, { name });
  }

  private pad(op: TflOperator, index: number): void {
    const x = this.input(op.inputs[0], index);
    this.sameQuant(op, index, x);
    const rows = Array.from(this.constData(op.inputs[1], TensorType.INT32, 'paddings') as Int32Array);
    const rank = this.tensor(op.inputs[0]).shape.length;
    if (rows.length !== 2 * rank || (rank > 1 && (rows[0] !== 0 || rows[1] !== 0))) throw this.unsupported(op, index, 'padding the batch dimension');
    const paddings = Array.from({ length: rank - (rank > 1 ? 1 : 0) }, (_, d) => [rows[2 * (d + (rank > 1 ? 1 : 0))], rows[2 * (d + (rank > 1 ? 1 : 0)) + 1]]);
    this.emitSimple(op, index, 'pad', [x], { paddings });
  }

  private dense(op: TflOperator, index: number): void {
    const o = op.options;
    if (o.weightsFormat) throw this.unsupported(op, index, 'shuffled weights');
    let x = this.input(op.inputs[0], index);
    const [channels, depth] = this.tensor(op.inputs[1]).shape;
    if (this.tensors[x].shape.length !== 1) {
      if (this.tensors[x].shape.reduce((a, b) => a * b, 1) !== depth) throw this.unsupported(op, index, 'input size differs from the weights');
      const flat = this.unique(`${x}_flat`);
      this.tensors[flat] = { ...this.tensors[x], shape: [depth] };
      this.nodes.push({ name: flat, op: 'flatten', inputs: [x], outputs: [flat], attrs: {}, intParams: {}, accumulatorBound: 0 });
      this.sourceOps.push('FULLY_CONNECTED (input flattened)');
      x = flat;
    }
    const name = this.nodeName(op, 'dense', index);
    const { wId, bId, bound } = this.weightsAndBias(op, index, name, channels);
    this.emit(op, index, 'dense', [x, wId, bId], { activation: this.activation(o.fusedActivation, index) }, bound, { outShape: [channels], name });
  }

  private add(op: TflOperator, index: number): void {
    const [a, b] = op.inputs.map((i) => this.input(i, index));
    if (this.tensors[a].shape.join() !== this.tensors[b].shape.join()) throw this.unsupported(op, index, 'broadcasting');
    this.emitSimple(op, index, 'add', [a, b], { activation: this.activation(op.options.fusedActivation, index) });
  }

  /**
   * A node without constants (add, pooling, reshapes). Its accumulator bound is the one the op's
   * quantize() proves, evaluated on the stored scales and zero points.
   */
  private emitSimple(op: TflOperator, index: number, kitOp: string, inputs: string[], attrs: Record<string, unknown>, name?: string): void {
    const def = getOp(kitOp);
    const q = (spec: TensorSpec) => ({ scale: spec.quant!.scale[0], zeroPoint: spec.quant!.zeroPoint[0] });
    const out = this.activationSpec(op.outputs[0]);
    const inShapes = inputs.map((x) => this.tensors[x].shape);
    const parsed = def.attrs.parse(attrs);
    const { accumulatorBound } = def.quantize({
      node: { name: name ?? kitOp, op: kitOp, inputs, outputs: [], attrs },
      attrs: parsed,
      scheme: INT8,
      inputShapes: inShapes,
      outputShape: def.inferShape({ node: kitOp, attrs: parsed, inputs: inShapes, params: [] }),
      inputQuant: inputs.map((x) => q(this.tensors[x])),
      outputQuant: q(out),
      params: [],
    });
    this.emit(op, index, kitOp, inputs, attrs, accumulatorBound, { name });
  }

  private sameQuant(op: TflOperator, index: number, x: string): void {
    const outQ = this.quantOf(op.outputs[0]);
    const inQ = this.tensors[x].quant!;
    if (outQ.scale[0] !== inQ.scale[0] || outQ.zeroPoint[0] !== inQ.zeroPoint[0]) {
      throw this.unsupported(op, index, 'input and output quantization differ');
    }
  }

  private pool(op: TflOperator, index: number, kitOp: string): void {
    const o = op.options;
    const x = this.input(op.inputs[0], index);
    this.sameQuant(op, index, x);
    const outQ = this.quantOf(op.outputs[0]);
    const [h, w, c] = this.tensors[x].shape;
    const next = this.ops[this.at + 1];
    const whole = kitOp === 'avg_pool2d' && o.filterHeight === h && o.filterWidth === w && o.padding === Padding.VALID && this.kitShape(op.outputs[0]).join() === `1,1,${c}`;
    if (whole && this.info.globalPools?.includes(this.tensor(next?.op.outputs[0] ?? -1)?.name ?? '') && next && next.op.builtin === BuiltinOperator.RESHAPE && next.op.inputs[0] === op.outputs[0] && this.kitShape(next.op.outputs[0]).join() === `${c}`) {
      // Average over the whole input, then to a vector: kit's global_avg_pool (how kit exports it).
      this.at++;
      this.sameQuant(next.op, next.index, x);
      this.emitSimple(next.op, next.index, 'global_avg_pool', [x], {});
      return;
    }
    const activation = this.activation(o.fusedActivation, index);
    this.emitSimple(op, index, kitOp, [x], {
      poolSize: [o.filterHeight, o.filterWidth],
      strides: [o.strideH, o.strideW],
      padding: o.padding === Padding.SAME ? 'same' : 'valid',
      ...(activation !== 'none' ? { activation } : {}),
    });
  }

  private reshape(op: TflOperator, index: number): void {
    const x = this.input(op.inputs[0], index);
    const shape = this.kitShape(op.outputs[0]);
    this.sameQuant(op, index, x);
    if (shape.length !== 1) throw this.unsupported(op, index, `to [${this.tensor(op.outputs[0]).shape.join(', ')}]`);
    this.emitSimple(op, index, 'flatten', [x], {});
  }

  /** A TFLite axis (counted over the shape with its batch dimension) as kit's, refusing the batch axis. */
  private kitAxis(op: TflOperator, index: number, axis: number, rank: number): number {
    const a = axis < 0 ? axis + rank : axis;
    if (a < 1 || a >= rank) throw this.unsupported(op, index, `axis ${axis} of a rank-${rank} tensor`);
    return a - 1;
  }

  private mean(op: TflOperator, index: number): void {
    const x = this.input(op.inputs[0], index);
    const axesT = op.inputs[1];
    const axes = axesT !== undefined && axesT >= 0 ? Array.from(this.constData(axesT, TensorType.INT32, 'axes')) : [];
    if (!axes.length) throw this.unsupported(op, index, 'without axes');
    const rank = this.tensor(op.inputs[0]).shape.length;
    this.emitSimple(op, index, 'mean', [x], { axes: axes.map((a) => this.kitAxis(op, index, a, rank)), keepDims: Boolean(op.options.keepDims) });
  }

  /**
   * CONCATENATION. An input that kit export wrote through a QUANTIZE (TFLite's int8 concatenation
   * needs every input at the output's quantization) is read from before that QUANTIZE again.
   */
  private concat(op: TflOperator, index: number): void {
    if (this.activation(op.options.fusedActivation, index) !== 'none') throw this.unsupported(op, index, 'fused activation');
    const folded = new Set(this.info.concatInputs ?? []);
    const inputs = op.inputs.map((i) => {
      if (folded.has(this.tensor(i).name)) {
        const producer = this.sg.operators.find((o) => o.outputs[0] === i && o.builtin === BuiltinOperator.QUANTIZE);
        if (producer) return this.input(producer.inputs[0], index);
      }
      return this.input(i, index);
    });
    const rank = this.tensor(op.inputs[0]).shape.length;
    this.emitSimple(op, index, 'concat', inputs, { axis: this.kitAxis(op, index, (op.options.axis as number | undefined) ?? 0, rank) });
  }

  /** QUANTIZE between int8 tensors inside the model (requantization); at the edges it was stripped. */
  private quantize(op: TflOperator, index: number): void {
    if (this.info.concatInputs?.includes(this.tensor(op.outputs[0]).name)) return; // folded into its CONCATENATION
    this.emitSimple(op, index, 'quantize', [this.input(op.inputs[0], index)], {});
  }
}
