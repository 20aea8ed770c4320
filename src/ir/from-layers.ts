import type * as tfl from '@tensorflow/tfjs-layers';
import { KitError } from '../errors.js';
import { FloatGraphBuilder } from './float-graph-builder.js';
import { foldBatchNorm } from './fold-batchnorm.js';
import type { Graph, GraphNode, Shape } from './graph.js';
import { validateGraph } from './validate.js';

/** Per-channel input normalization the model was trained with: x = (pixel / 255 - mean) / std. */
export interface Normalization {
  mean: number[];
  std: number[];
}

/** The tfjs-layers internals the walk needs (public fields, not in the exported typings). */
interface SymbolicTensorLike {
  id: number;
  shape: (number | null)[];
  sourceLayer: { name: string };
}
interface LayerLike {
  name: string;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  getWeights(): { dataSync(): ArrayLike<number>; shape: number[] }[];
  weights: { originalName: string; name: string }[];
  inboundNodes: { inputTensors: SymbolicTensorLike[] }[];
  output: SymbolicTensorLike | SymbolicTensorLike[];
}

export const SUPPORTED_LAYERS = [
  'Conv2D', 'BatchNormalization', 'ReLU', 'Activation', 'Add', 'Dense', 'AveragePooling2D', 'MaxPooling2D',
  'GlobalAveragePooling2D', 'Flatten', 'Dropout', 'DepthwiseConv2D', 'ZeroPadding2D', 'Concatenate',
];

function refuse(layer: LayerLike, why: string, hint?: string): KitError {
  return new KitError('layer-unsupported', 'quantize', `layer '${layer.name}' (${layer.getClassName()}) ${why}`, hint);
}

/**
 * Build kit's float graph from a tfjs-layers model (channels last, one image input, one output):
 * a normalize_input node first (raw pixels in), BatchNorm folded into the conv/dense before it, ReLU
 * fused into the conv/dense/add before it, Dropout dropped. Anything else is refused with the layer's
 * name and class.
 */
export function graphFromLayersModel(model: tfl.LayersModel, normalization: Normalization): Graph {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new KitError('model-shape', 'quantize', `the model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; kit needs one of each`);
  }
  const b = new GraphBuilder();
  const input = model.inputs[0] as unknown as SymbolicTensorLike;
  const [, h, w, c] = input.shape;
  if (input.shape.length !== 4 || !h || !w || !c) {
    throw new KitError('model-shape', 'quantize', `the model input has shape [${input.shape.join(', ')}]; kit needs [batch, height, width, channels]`);
  }
  const pixels = input.sourceLayer.name;
  b.tensor(pixels, [h, w, c], 'uint8');
  b.graph.inputs.push(pixels);
  b.bind(input, b.node(`${pixels}_normalize`, 'normalize_input', [pixels], { mean: normalization.mean, std: normalization.std }));

  const layers = model.layers as unknown as LayerLike[];
  const consumers = countConsumers(layers, model.outputs as unknown as SymbolicTensorLike[]);
  for (const layer of layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    if (layer.inboundNodes.length !== 1) throw refuse(layer, 'is applied more than once', 'kit needs each layer used once');
    convertLayer(b, layer, consumers);
  }
  b.graph.outputs.push(b.lookup(model.outputs[0] as unknown as SymbolicTensorLike));
  validateGraph(b.graph);
  return b.graph;
}

function countConsumers(layers: LayerLike[], outputs: SymbolicTensorLike[]): Map<number, number> {
  const count = new Map<number, number>();
  const use = (t: SymbolicTensorLike) => count.set(t.id, (count.get(t.id) ?? 0) + 1);
  for (const layer of layers) for (const n of layer.inboundNodes) n.inputTensors.forEach(use);
  outputs.forEach(use);
  return count;
}

/** Accumulates the graph (FloatGraphBuilder's nodes and tensors) and maps tfjs symbolic tensors to graph tensors. */
class GraphBuilder extends FloatGraphBuilder {
  private readonly bound = new Map<number, string>();

  /** A layer's tensor named like another's would silently replace it. */
  override tensor(id: string, shape: Shape, dtype: 'float32' | 'uint8', data?: Float32Array): string {
    if (this.graph.tensors[id]) throw new Error(`duplicate tensor '${id}'`);
    return super.tensor(id, shape, dtype, data);
  }

  /** Public here: the layer converters below add their nodes through it. */
  override node(name: string, op: string, inputs: string[], attrs: Record<string, unknown>): string {
    return super.node(name, op, inputs, attrs);
  }

  bind(t: SymbolicTensorLike, id: string): void {
    this.bound.set(t.id, id);
  }

  lookup(t: SymbolicTensorLike): string {
    const id = this.bound.get(t.id);
    if (!id) throw new Error(`tensor of layer '${t.sourceLayer.name}' was not converted`);
    return id;
  }

  producerOf(id: string): GraphNode | undefined {
    return this.producer.get(id);
  }

  /** Rename a node's output tensor (after fusing the next layer into it, its output is that layer's). */
  renameOutput(node: GraphNode, id: string): string {
    const old = node.outputs[0];
    this.graph.tensors[id] = this.graph.tensors[old];
    delete this.graph.tensors[old];
    this.producer.delete(old);
    this.producer.set(id, node);
    node.outputs[0] = id;
    return id;
  }
}

function weightsByName(layer: LayerLike): Map<string, { data: Float32Array; shape: number[] }> {
  const values = layer.getWeights();
  const map = new Map<string, { data: Float32Array; shape: number[] }>();
  layer.weights.forEach((v, i) => {
    const name = (v.originalName ?? v.name).split('/').pop()!.replace(/_\d+$/, '');
    map.set(name, { data: Float32Array.from(values[i].dataSync()), shape: values[i].shape });
  });
  return map;
}

function activationOf(layer: LayerLike, allowSoftmax = false): 'none' | 'relu' | 'relu6' | 'softmax' {
  const a = layer.getConfig().activation;
  if (a === undefined || a === null || a === 'linear') return 'none';
  if (a === 'relu' || a === 'relu6' || (allowSoftmax && a === 'softmax')) return a;
  throw refuse(layer, `has activation '${String(a)}'`, 'kit supports linear, relu, relu6 (and softmax after Dense)');
}

/** Weights with the channel last ([..., C]) to channel-major ([C, ...]) and back (BatchNorm folding). */
function channelMajor(w: Float32Array, channels: number, back = false): Float32Array {
  const taps = w.length / channels;
  const out = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const [c, t] = [i % channels, Math.floor(i / channels)];
    if (back) out[i] = w[c * taps + t];
    else out[c * taps + t] = w[i];
  }
  return out;
}

function channelsLast(layer: LayerLike): void {
  const f = layer.getConfig().dataFormat;
  if (f !== undefined && f !== null && f !== 'channelsLast') throw refuse(layer, `uses data format ${String(f)}`, 'kit needs channelsLast');
}

function pair(v: unknown, fallback?: unknown): [number, number] {
  const x = v ?? fallback;
  if (typeof x === 'number') return [x, x];
  const a = x as number[];
  return [a[0], a[1]];
}

function convertLayer(b: GraphBuilder, layer: LayerLike, consumers: Map<number, number>): void {
  const cls = layer.getClassName();
  const config = layer.getConfig();
  const inputs = layer.inboundNodes[0].inputTensors;
  const inIds = inputs.map((t) => b.lookup(t));
  const output = layer.output as SymbolicTensorLike;
  const only = (): string => {
    if (inIds.length !== 1) throw refuse(layer, `has ${inIds.length} inputs`);
    return inIds[0];
  };
  // The single node that produced `id`, if this layer may be merged into it.
  const fusable = (id: string, ops: string[]): GraphNode | undefined => {
    const node = b.producerOf(id);
    const sole = (consumers.get(inputs[0].id) ?? 0) === 1;
    return node && sole && ops.includes(node.op) ? node : undefined;
  };

  switch (cls) {
    case 'Conv2D': {
      channelsLast(layer);
      if (pair(config.dilationRate, 1).some((d) => d !== 1)) throw refuse(layer, 'is dilated', 'kit supports dilation 1');
      const wts = weightsByName(layer);
      const kernel = wts.get('kernel')!;
      const [kh, kw, cin, cout] = kernel.shape;
      const weights = new Float32Array(kernel.data.length);
      // HWIO (Keras) -> OHWI (TFLite, CMSIS-NN).
      for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) {
        weights[((o * kh + y) * kw + x) * cin + i] = kernel.data[((y * kw + x) * cin + i) * cout + o];
      }
      const bias = wts.get('bias')?.data ?? new Float32Array(cout);
      const wId = b.tensor(`${layer.name}/weights`, [cout, kh, kw, cin], 'float32', weights);
      const bId = b.tensor(`${layer.name}/bias`, [cout], 'float32', bias);
      const padding = config.padding as string;
      if (padding !== 'same' && padding !== 'valid') throw refuse(layer, `uses padding '${padding}'`);
      b.bind(output, b.node(layer.name, 'conv2d', [only(), wId, bId], { strides: pair(config.strides, 1), padding, activation: activationOf(layer) }));
      return;
    }
    case 'Dense': {
      const wts = weightsByName(layer);
      const kernel = wts.get('kernel')!;
      const [nin, nout] = kernel.shape;
      const inShape = b.graph.tensors[only()].shape;
      if (inShape.length !== 1) throw refuse(layer, `gets a rank-${inShape.length} input`, 'put a Flatten or GlobalAveragePooling2D before Dense');
      const weights = new Float32Array(kernel.data.length);
      for (let i = 0; i < nin; i++) for (let o = 0; o < nout; o++) weights[o * nin + i] = kernel.data[i * nout + o];
      const bias = wts.get('bias')?.data ?? new Float32Array(nout);
      const wId = b.tensor(`${layer.name}/weights`, [nout, nin], 'float32', weights);
      const bId = b.tensor(`${layer.name}/bias`, [nout], 'float32', bias);
      const activation = activationOf(layer, true);
      if (activation === 'softmax') {
        // TFLite's layout: the logits, then a SOFTMAX node.
        const logits = b.node(`${layer.name}_logits`, 'dense', [only(), wId, bId], { activation: 'none' });
        b.bind(output, b.node(layer.name, 'softmax', [logits], { beta: 1 }));
      } else b.bind(output, b.node(layer.name, 'dense', [only(), wId, bId], { activation }));
      return;
    }
    case 'DepthwiseConv2D': {
      channelsLast(layer);
      const wts = weightsByName(layer);
      // Keras [kh, kw, in, multiplier] in row-major order is TFLite's [1, kh, kw, in * multiplier].
      const kernel = wts.get('depthwise_kernel')!;
      const [kh, kw, cin, mult] = kernel.shape;
      const bias = wts.get('bias')?.data ?? new Float32Array(cin * mult);
      const wId = b.tensor(`${layer.name}/weights`, [1, kh, kw, cin * mult], 'float32', Float32Array.from(kernel.data));
      const bId = b.tensor(`${layer.name}/bias`, [cin * mult], 'float32', bias);
      const padding = config.padding as string;
      if (padding !== 'same' && padding !== 'valid') throw refuse(layer, `uses padding '${padding}'`);
      b.bind(output, b.node(layer.name, 'depthwise_conv2d', [only(), wId, bId], {
        strides: pair(config.strides, 1),
        padding,
        dilation: pair(config.dilationRate, 1),
        depthMultiplier: mult,
        activation: activationOf(layer),
      }));
      return;
    }
    case 'ZeroPadding2D': {
      channelsLast(layer);
      const p = config.padding as number | [number, number] | [[number, number], [number, number]];
      const [[top, bottom], [left, right]] = typeof p === 'number' ? [[p, p], [p, p]] : typeof p[0] === 'number' ? [[p[0], p[0]], [p[1], p[1]]] : (p as [[number, number], [number, number]]);
      b.bind(output, b.node(layer.name, 'pad', [only()], { paddings: [[top, bottom], [left, right], [0, 0]] }));
      return;
    }
    case 'Concatenate': {
      const axis = (config.axis as number | undefined) ?? -1;
      // Keras counts the batch dimension, kit's shapes have none.
      b.bind(output, b.node(layer.name, 'concat', inIds, { axis: axis < 0 ? axis : axis - 1 }));
      return;
    }
    case 'BatchNormalization': {
      const axis = config.axis as number;
      const rank = b.graph.tensors[only()].shape.length;
      if (axis !== -1 && axis !== rank) throw refuse(layer, `normalizes axis ${axis}`, 'kit folds BatchNorm over the channel (last) axis only');
      const prev = fusable(only(), ['conv2d', 'dense', 'depthwise_conv2d']);
      if (!prev || prev.attrs.activation !== 'none') {
        throw refuse(layer, 'does not directly follow a Conv2D or Dense layer (without activation) whose output it alone uses', 'kit folds BatchNorm into the layer before it');
      }
      const wts = weightsByName(layer);
      const [, wId, bId] = prev.inputs;
      const depthwise = prev.op === 'depthwise_conv2d';
      const channels = b.graph.tensors[bId].shape[0];
      const w = b.graph.tensors[wId].data as Float32Array;
      const folded = foldBatchNorm(depthwise ? channelMajor(w, channels) : w, b.graph.tensors[bId].data as Float32Array, {
        gamma: wts.get('gamma')?.data ?? null,
        beta: wts.get('beta')?.data ?? null,
        movingMean: wts.get('moving_mean')!.data,
        movingVariance: wts.get('moving_variance')!.data,
        epsilon: config.epsilon as number,
      });
      b.graph.tensors[wId].data = depthwise ? channelMajor(folded.weights, channels, true) : folded.weights;
      b.graph.tensors[bId].data = folded.bias;
      (prev.fused ??= []).push(layer.name);
      b.bind(output, b.renameOutput(prev, layer.name));
      return;
    }
    case 'ReLU':
    case 'Activation': {
      const capped = cls === 'ReLU' && config.maxValue != null;
      if (capped && config.maxValue !== 6) throw refuse(layer, `caps at ${String(config.maxValue)}`, 'kit supports ReLU and ReLU capped at 6');
      const kind = cls === 'ReLU' ? (capped ? 'relu6' : 'relu') : String(config.activation);
      if (kind === 'linear') {
        b.bind(output, only());
        return;
      }
      if (kind === 'softmax') {
        b.bind(output, b.node(layer.name, 'softmax', [only()], { beta: 1 }));
        return;
      }
      if (kind !== 'relu' && kind !== 'relu6') throw refuse(layer, `has activation '${kind}'`, 'kit supports linear, relu, relu6 and softmax activations');
      const prev = fusable(only(), ['conv2d', 'dense', 'add', 'depthwise_conv2d']);
      if (prev && prev.attrs.activation === 'none') {
        prev.attrs = { ...prev.attrs, activation: kind };
        (prev.fused ??= []).push(layer.name);
        b.bind(output, b.renameOutput(prev, layer.name));
      } else {
        if (kind === 'relu6') throw refuse(layer, 'caps a layer it cannot be fused into', 'put ReLU6 right after a Conv2D, DepthwiseConv2D, Dense or Add whose output it alone uses');
        b.bind(output, b.node(layer.name, 'relu', [only()], {}));
      }
      return;
    }
    case 'Add': {
      if (inIds.length !== 2) throw refuse(layer, `adds ${inIds.length} tensors`, 'kit supports adding two tensors');
      b.bind(output, b.node(layer.name, 'add', inIds, { activation: 'none' }));
      return;
    }
    case 'AveragePooling2D':
    case 'MaxPooling2D': {
      channelsLast(layer);
      const poolSize = pair(config.poolSize);
      const padding = config.padding as string;
      if (padding !== 'same' && padding !== 'valid') throw refuse(layer, `uses padding '${padding}'`);
      const op = cls === 'AveragePooling2D' ? 'avg_pool2d' : 'max_pool2d';
      b.bind(output, b.node(layer.name, op, [only()], { poolSize, strides: pair(config.strides, poolSize), padding }));
      return;
    }
    case 'GlobalAveragePooling2D':
      channelsLast(layer);
      b.bind(output, b.node(layer.name, 'global_avg_pool', [only()], {}));
      return;
    case 'Flatten':
      b.bind(output, b.node(layer.name, 'flatten', [only()], {}));
      return;
    case 'Dropout':
      b.bind(output, only()); // identity at inference
      return;
    default:
      throw refuse(layer, 'is not supported', `kit supports ${SUPPORTED_LAYERS.join(', ')}`);
  }
}
