/**
 * kit's quantized int8 graph to a TflModel (kit export --format tflite). Every integer is written as
 * kit holds it (weights, biases, scales, zero points), so that importing the file gives back the
 * same graph, and TFLite computes the model from the same numbers.
 *
 * What TFLite has no op for:
 * - normalize_input (kit's per-channel pixel lookup table): the exported model starts at the
 *   table's output, an int8 tensor; the table and its pixel input are kept in the model's
 *   description, from which kit import restores the node.
 * - global_avg_pool is written as AVERAGE_POOL_2D over the whole input followed by RESHAPE, which
 *   is TFLite's own integer average with the same rounding; import folds the pair back.
 * - uint8 graphs (kit's asymmetric scheme) are refused: TFLite's uint8 kernels are a legacy path
 *   that TFLite Micro no longer ships; re-quantize with --scheme int8.
 */
import { KitError } from '../../errors.js';
import { numElements, type Graph, type GraphNode, type TensorSpec } from '../../ir/graph.js';
import type { TflModel, TflOperator, TflTensor } from './model.js';
import { Activation, BuiltinOperator, OPTIONS, Padding, SCHEMA_VERSION, TensorType } from './schema.js';

/** Marker of the description kit writes; the JSON after it describes what TFLite cannot hold. */
export const KIT_DESCRIPTION = 'kit-export ';

export interface KitExportInfo {
  /** The model's name in kit (banners of the generated C carry it). */
  model?: string;
  normalizeInput?: { name: string; input: string; shape: number[]; mean: number[]; std: number[]; table: string };
  /**
   * What TFLite cannot hold about a node, by output tensor name: its name where it differs, the
   * fused activation kit's float graph had (a ReLU whose clamp is the whole int8 range is NONE to
   * TFLite), and the source layers folded into it.
   */
  nodes?: Record<string, { name?: string; activation?: string; fused?: string[] }>;
  /** Output tensors of global_avg_pool nodes (written as AVERAGE_POOL_2D + RESHAPE). */
  globalPools?: string[];
  /**
   * Tensors kit wrote as QUANTIZE in front of a CONCATENATION (TFLite's int8 concatenation needs
   * every input at the output's quantization; kit's concat requantizes such inputs itself, with the
   * same arithmetic). Import reads the concat from before them again.
   */
  concatInputs?: string[];
}

function refuse(message: string, hint?: string): KitError {
  return new KitError('export-unsupported', 'import', message, hint);
}

export function graphToTflite(graph: Graph, options: { model?: string } = {}): TflModel {
  if (graph.kind !== 'quantized') throw refuse('kit export needs a quantized graph', 'run kit quantize first');
  if (graph.scheme !== 'int8') {
    throw refuse(`kit export writes int8 TFLite models; this graph uses the ${graph.scheme ?? 'unknown'} scheme`, 're-run kit quantize with --scheme int8 (TFLite\'s uint8 kernels are a legacy path TFLite Micro no longer ships)');
  }
  return new Exporter(graph, options.model).run();
}

class Exporter {
  private readonly tensors: TflTensor[] = [];
  private readonly buffers: Uint8Array[] = [new Uint8Array(0)];
  private readonly operators: TflOperator[] = [];
  private readonly index = new Map<string, number>();
  private readonly info: KitExportInfo = {};

  constructor(
    private readonly graph: Graph,
    model?: string,
  ) {
    if (model) this.info.model = model;
  }

  run(): TflModel {
    let nodes = this.graph.nodes;
    let input = this.graph.inputs[0];
    const first = nodes[0];
    if (first?.op === 'normalize_input') {
      const attrs = first.attrs as { mean: number[]; std: number[] };
      const table = this.graph.tensors[first.inputs[1]].data!;
      this.info.normalizeInput = {
        name: first.name,
        input,
        shape: this.graph.tensors[input].shape,
        mean: attrs.mean,
        std: attrs.std,
        table: Buffer.from(table.buffer, table.byteOffset, table.byteLength).toString('base64'),
      };
      input = first.outputs[0];
      nodes = nodes.slice(1);
    }
    const inputIndex = this.activation(input);
    for (const node of nodes) {
      const extra = {
        ...(node.name !== node.outputs[0] ? { name: node.name } : {}),
        ...(typeof node.attrs.activation === 'string' ? { activation: node.attrs.activation } : {}),
        ...(node.fused ? { fused: node.fused } : {}),
      };
      if (Object.keys(extra).length) (this.info.nodes ??= {})[node.outputs[0]] = extra;
      if (node.op === 'global_avg_pool') (this.info.globalPools ??= []).push(node.outputs[0]);
      this.node(node);
    }
    return {
      version: SCHEMA_VERSION,
      description: KIT_DESCRIPTION + JSON.stringify(this.info),
      subgraphs: [{ name: 'main', tensors: this.tensors, inputs: [inputIndex], outputs: [this.index.get(this.graph.outputs[0])!], operators: this.operators }],
      buffers: this.buffers,
    };
  }

  private addTensor(t: TflTensor, id?: string): number {
    const i = this.tensors.push(t) - 1;
    if (id) this.index.set(id, i);
    return i;
  }

  private quant(spec: TensorSpec) {
    const q = spec.quant!;
    return { scale: q.scale, zeroPoint: q.zeroPoint, quantizedDimension: q.axis ?? 0 };
  }

  /** An activation tensor, with TFLite's batch dimension of 1. */
  private activation(id: string, shape?: number[]): number {
    const spec = this.graph.tensors[id];
    if (spec.dtype !== 'int8') throw refuse(`tensor '${id}' is ${spec.dtype}; kit exports int8 graphs`);
    return this.addTensor({ name: id, shape: [1, ...(shape ?? spec.shape)], type: TensorType.INT8, buffer: 0, quantization: this.quant(spec) }, id);
  }

  private constant(id: string): number {
    const spec = this.graph.tensors[id];
    const data = spec.data!;
    const buffer = this.buffers.push(new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))) - 1;
    const type = spec.dtype === 'int32' ? TensorType.INT32 : TensorType.INT8;
    return this.addTensor({ name: id, shape: [...spec.shape], type, buffer, quantization: this.quant(spec) }, id);
  }

  private int32Constant(name: string, values: number[], shape = [values.length]): number {
    const buffer = this.buffers.push(new Uint8Array(Int32Array.from(values).buffer)) - 1;
    return this.addTensor({ name, shape, type: TensorType.INT32, buffer });
  }

  private op(builtin: number, inputs: number[], outputs: number[], options?: { table: keyof typeof OPTIONS; values: Record<string, number | boolean | number[]> }): void {
    this.operators.push({
      builtin,
      version: 1,
      inputs,
      outputs,
      optionsType: options ? OPTIONS[options.table].unionType : 0,
      options: options?.values ?? {},
    });
  }

  /** The node's fused activation as TFLite's enum (TFLite recomputes the same clamp from it). */
  private fused(node: GraphNode): number {
    const activation = (node.attrs.activation as string | undefined) ?? 'none';
    const value = { none: Activation.NONE, relu: Activation.RELU, relu6: Activation.RELU6, relu_n1_to_1: Activation.RELU_N1_TO_1 }[activation];
    if (value === undefined) throw refuse(`node '${node.name}' has activation '${activation}', which TFLite does not fuse`);
    return value;
  }

  private node(node: GraphNode): void {
    const a = node.attrs as Record<string, any>;
    const ins = node.inputs.map((id) => this.index.get(id));
    const act = (i: number) => ins[i] ?? this.constant(node.inputs[i]);
    switch (node.op) {
      case 'conv2d': {
        const x = act(0), w = act(1), b = act(2);
        const out = this.activation(node.outputs[0]);
        this.op(BuiltinOperator.CONV_2D, [x, w, b], [out], {
          table: 'Conv2DOptions',
          values: { padding: a.padding === 'same' ? Padding.SAME : Padding.VALID, strideH: a.strides[0], strideW: a.strides[1], fusedActivation: this.fused(node), dilationW: 1, dilationH: 1 },
        });
        return;
      }
      case 'depthwise_conv2d': {
        const x = act(0), w = act(1), b = act(2);
        const out = this.activation(node.outputs[0]);
        const dilation = (a.dilation as [number, number] | undefined) ?? [1, 1];
        this.op(BuiltinOperator.DEPTHWISE_CONV_2D, [x, w, b], [out], {
          table: 'DepthwiseConv2DOptions',
          values: { padding: a.padding === 'same' ? Padding.SAME : Padding.VALID, strideH: a.strides[0], strideW: a.strides[1], depthMultiplier: a.depthMultiplier, fusedActivation: this.fused(node), dilationH: dilation[0], dilationW: dilation[1] },
        });
        return;
      }
      case 'pad': {
        const x = act(0);
        const out = this.activation(node.outputs[0]);
        const rows = (a.paddings as [number, number][]).flat();
        this.op(BuiltinOperator.PAD, [x, this.int32Constant(`${node.name}/paddings`, [0, 0, ...rows], [rows.length / 2 + 1, 2])], [out], { table: 'PadOptions', values: {} });
        return;
      }
      case 'dense': {
        const x = act(0), w = act(1), b = act(2);
        const out = this.activation(node.outputs[0]);
        this.op(BuiltinOperator.FULLY_CONNECTED, [x, w, b], [out], { table: 'FullyConnectedOptions', values: { fusedActivation: this.fused(node) } });
        return;
      }
      case 'add': {
        const out = this.activation(node.outputs[0]);
        this.op(BuiltinOperator.ADD, [act(0), act(1)], [out], { table: 'AddOptions', values: { fusedActivation: this.fused(node) } });
        return;
      }
      case 'avg_pool2d':
      case 'max_pool2d': {
        const out = this.activation(node.outputs[0]);
        this.op(node.op === 'avg_pool2d' ? BuiltinOperator.AVERAGE_POOL_2D : BuiltinOperator.MAX_POOL_2D, [act(0)], [out], {
          table: 'Pool2DOptions',
          values: { padding: a.padding === 'same' ? Padding.SAME : Padding.VALID, strideH: a.strides[0], strideW: a.strides[1], filterHeight: a.poolSize[0], filterWidth: a.poolSize[1], fusedActivation: this.fused(node) },
        });
        return;
      }
      case 'global_avg_pool': {
        const [h, w, c] = this.graph.tensors[node.inputs[0]].shape;
        const spec = this.graph.tensors[node.outputs[0]];
        const pooled = this.addTensor({ name: `${node.name}/pool`, shape: [1, 1, 1, c], type: TensorType.INT8, buffer: 0, quantization: this.quant(spec) });
        this.op(BuiltinOperator.AVERAGE_POOL_2D, [act(0)], [pooled], {
          table: 'Pool2DOptions',
          values: { padding: Padding.VALID, strideH: 1, strideW: 1, filterHeight: h, filterWidth: w, fusedActivation: this.fused(node) },
        });
        const out = this.activation(node.outputs[0]);
        this.op(BuiltinOperator.RESHAPE, [pooled, this.int32Constant(`${node.name}/shape`, [1, c])], [out], { table: 'ReshapeOptions', values: { newShape: [1, c] } });
        return;
      }
      case 'flatten': {
        const n = numElements(this.graph.tensors[node.outputs[0]].shape);
        const out = this.activation(node.outputs[0]);
        this.op(BuiltinOperator.RESHAPE, [act(0), this.int32Constant(`${node.name}/shape`, [1, n])], [out], { table: 'ReshapeOptions', values: { newShape: [1, n] } });
        return;
      }
      case 'softmax': {
        const out = this.activation(node.outputs[0]);
        this.op(BuiltinOperator.SOFTMAX, [act(0)], [out], { table: 'SoftmaxOptions', values: { beta: a.beta } });
        return;
      }
      case 'quantize': {
        const out = this.activation(node.outputs[0]);
        this.op(BuiltinOperator.QUANTIZE, [act(0)], [out]);
        return;
      }
      case 'mean': {
        const rank = this.graph.tensors[node.inputs[0]].shape.length;
        const axes = (a.axes as number[]).map((x) => (x < 0 ? x + rank : x) + 1);
        const out = this.activation(node.outputs[0]);
        this.op(BuiltinOperator.MEAN, [act(0), this.int32Constant(`${node.name}/axes`, axes)], [out], { table: 'ReducerOptions', values: { keepDims: a.keepDims } });
        return;
      }
      case 'concat': {
        const rank = this.graph.tensors[node.inputs[0]].shape.length;
        const outSpec = this.graph.tensors[node.outputs[0]];
        const requantize = (node.intParams as { requantize: boolean[] }).requantize;
        const inputs = node.inputs.map((id, i) => {
          if (!requantize[i]) return act(i);
          const name = `${node.name}/input${i}`;
          const q = this.addTensor({ name, shape: [1, ...this.graph.tensors[id].shape], type: TensorType.INT8, buffer: 0, quantization: this.quant(outSpec) });
          this.op(BuiltinOperator.QUANTIZE, [act(i)], [q]);
          (this.info.concatInputs ??= []).push(name);
          return q;
        });
        const out = this.activation(node.outputs[0]);
        const axis = a.axis < 0 ? a.axis + rank : a.axis;
        this.op(BuiltinOperator.CONCATENATION, inputs, [out], { table: 'ConcatenationOptions', values: { axis: axis + 1, fusedActivation: Activation.NONE } });
        return;
      }
      default:
        throw refuse(`node '${node.name}' is a ${node.op}, which kit export cannot write as TFLite yet`);
    }
  }
}
