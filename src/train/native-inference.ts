import type * as tfl from '@tensorflow/tfjs-layers';
import { loadNativeAddon, type NativeAddon } from './backend/native-addon.js';

/**
 * Float inference of a (BatchNorm-folded, see fold-batchnorm.ts) layers model in one native call
 * per batch: the model is compiled once into a plan of oneDNN primitives with its buffers
 * allocated once (src/native/src/infer_plan.h), instead of one tfjs kernel dispatch and one fresh
 * output tensor per layer. Results match the tfjs path up to float rounding and are
 * bit-identical run to run and for any thread count.
 */
export interface NativeInference {
  /** Values per output row (the logits of one image). */
  readonly outputs: number;
  /** n images (NHWC, normalized) -> n rows of outputs. */
  run(x: Float32Array, n: number): Float32Array;
  /** Frees the plan's memory now rather than at garbage collection. */
  dispose(): void;
}

export type NativeInferenceResult = { ok: true; inference: NativeInference } | { ok: false; reason: string };

// The step table's layout: kInferStepInts integers per step, ops as in infer_plan.h.
const STEP_INTS = 16;
const OP = { conv: 0, dense: 1, add: 2, relu: 3, avgPool: 4, maxPool: 5, flatten: 6, globalAvgPool: 7 } as const;
/**
 * Images per chunk of the convolutional part: few enough that a chunk's activations stay in cache
 * and a batch of 32 makes 4 chunks to share out, enough that oneDNN's kernels run at full width
 * (measured on ResNet-8, batch 32: 8 beat 2 and 4). Fixed, so results never depend on threads.
 */
const CHUNK = 8;

/** The tfjs-layers internals the walk needs (public fields, not in the exported typings). */
interface SymbolicTensorLike {
  id: number;
  shape: (number | null)[];
}
interface LayerLike {
  name: string;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  getWeights(): { dataSync(): ArrayLike<number>; shape: number[] }[];
  inboundNodes: { inputTensors: SymbolicTensorLike[] }[];
  output: SymbolicTensorLike | SymbolicTensorLike[];
}

interface Step {
  op: number;
  out: number;
  in0: number;
  in1: number;
  relu: boolean;
  weights: number;
  bias: number;
  p: number[];
}

class Unsupported extends Error {}

function pair(v: unknown, fallback?: unknown): [number, number] {
  const x = v ?? fallback;
  if (typeof x === 'number') return [x, x];
  const a = x as number[];
  return [a[0], a[1]];
}

/** tfjs' 'same' padding before (top or left): half the total, rounded down. */
function padBefore(padding: unknown, input: number, output: number, kernel: number, stride: number, dilation: number): number {
  if (padding === 'valid') return 0;
  if (padding !== 'same') throw new Unsupported(`padding '${String(padding)}'`);
  return Math.floor(Math.max(0, (output - 1) * stride + (kernel - 1) * dilation + 1 - input) / 2);
}

/** The model as the addon's tables: tensors [rows, h, w, c], steps, weight arrays. */
function encode(model: tfl.LayersModel): { tensors: Int32Array; steps: Int32Array; weights: Float32Array[]; input: number; output: number; outputs: number } {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) throw new Unsupported('more than one input or output');
  const shapes: number[][] = []; // per plan tensor: [h, w, c] (image) or [c] (row)
  const ids = new Map<number, number>(); // symbolic tensor id -> plan tensor
  const tensor = (t: SymbolicTensorLike): number => {
    const s = t.shape.slice(1);
    if (s.some((d) => !d) || (s.length !== 3 && s.length !== 1)) throw new Unsupported(`a tensor of shape [${t.shape.join(', ')}]`);
    shapes.push(s as number[]);
    ids.set(t.id, shapes.length - 1);
    return shapes.length - 1;
  };
  const steps: Step[] = [];
  const weights: Float32Array[] = [];
  const weight = (v: { dataSync(): ArrayLike<number> }) => weights.push(Float32Array.from(v.dataSync())) - 1;
  const layers = model.layers as unknown as LayerLike[];
  const uses = new Map<number, number>();
  for (const l of layers) for (const n of l.inboundNodes) for (const t of n.inputTensors) uses.set(t.id, (uses.get(t.id) ?? 0) + 1);
  for (const t of model.outputs as unknown as SymbolicTensorLike[]) uses.set(t.id, (uses.get(t.id) ?? 0) + 1);
  const producer = new Map<number, Step>(); // plan tensor -> step

  const input = tensor(model.inputs[0] as unknown as SymbolicTensorLike);
  if (shapes[input].length !== 3) throw new Unsupported('an input that is not an image');
  for (const layer of layers) {
    const cls = layer.getClassName();
    if (cls === 'InputLayer') continue;
    if (layer.inboundNodes.length !== 1) throw new Unsupported(`layer '${layer.name}' applied more than once`);
    const config = layer.getConfig();
    const ins = layer.inboundNodes[0].inputTensors;
    const inIds = ins.map((t) => {
      const id = ids.get(t.id);
      if (id === undefined) throw new Unsupported(`an input of layer '${layer.name}'`);
      return id;
    });
    const output = layer.output as SymbolicTensorLike;
    const one = () => {
      if (inIds.length !== 1) throw new Unsupported(`layer '${layer.name}' with ${inIds.length} inputs`);
      return inIds[0];
    };
    const activation = () => {
      const a = config.activation;
      if (a === undefined || a === null || a === 'linear') return false;
      if (a === 'relu') return true;
      throw new Unsupported(`activation '${String(a)}' of layer '${layer.name}'`);
    };
    const channelsLast = () => {
      if (config.dataFormat != null && config.dataFormat !== 'channelsLast') throw new Unsupported(`data format of layer '${layer.name}'`);
    };
    const add = (op: number, in0: number, extra: Partial<Step> = {}) => {
      const step: Step = { op, out: tensor(output), in0, in1: -1, relu: false, weights: -1, bias: -1, p: [], ...extra };
      steps.push(step);
      producer.set(step.out, step);
    };
    switch (cls) {
      case 'Conv2D': {
        channelsLast();
        const x = one();
        const [h, w] = shapes[x];
        const [oh, ow] = (output.shape as number[]).slice(1);
        const [kh, kw] = pair(config.kernelSize);
        const [sh, sw] = pair(config.strides, 1);
        const [dh, dw] = pair(config.dilationRate, 1);
        const [kernel, bias] = layer.getWeights();
        const p = [kh, kw, sh, sw, padBefore(config.padding, h, oh, kh, sh, dh), padBefore(config.padding, w, ow, kw, sw, dw), dh, dw];
        add(OP.conv, x, { relu: activation(), weights: weight(kernel), bias: config.useBias === false ? -1 : weight(bias), p });
        break;
      }
      case 'Dense': {
        const x = one();
        if (shapes[x].length !== 1) throw new Unsupported(`layer '${layer.name}' on a rank-${shapes[x].length + 1} tensor`);
        const [kernel, bias] = layer.getWeights();
        add(OP.dense, x, { relu: activation(), weights: weight(kernel), bias: config.useBias === false ? -1 : weight(bias) });
        break;
      }
      case 'Add':
        if (inIds.length !== 2) throw new Unsupported(`layer '${layer.name}' adding ${inIds.length} tensors`);
        add(OP.add, inIds[0], { in1: inIds[1] });
        break;
      case 'ReLU':
      case 'Activation': {
        const x = one();
        if (cls === 'ReLU' && (config.maxValue != null || (config.threshold as number | undefined))) throw new Unsupported(`capped ReLU '${layer.name}'`);
        if (cls === 'Activation' && !activation()) {
          ids.set(output.id, x);
          break;
        }
        // Fused into the step before when that step's output feeds this ReLU alone.
        const prev = producer.get(x);
        const sole = uses.get(ins[0].id) === 1;
        if (prev && sole && !prev.relu && (prev.op === OP.conv || prev.op === OP.dense || prev.op === OP.add)) {
          prev.relu = true;
          ids.set(output.id, x);
        } else add(OP.relu, x);
        break;
      }
      case 'AveragePooling2D':
      case 'MaxPooling2D': {
        channelsLast();
        const x = one();
        const [h, w] = shapes[x];
        const [oh, ow] = (output.shape as number[]).slice(1);
        const [kh, kw] = pair(config.poolSize);
        const [sh, sw] = pair(config.strides, [kh, kw]);
        const p = [kh, kw, sh, sw, padBefore(config.padding, h, oh, kh, sh, 1), padBefore(config.padding, w, ow, kw, sw, 1)];
        add(cls === 'AveragePooling2D' ? OP.avgPool : OP.maxPool, x, { p });
        break;
      }
      case 'GlobalAveragePooling2D':
        channelsLast();
        add(OP.globalAvgPool, one());
        break;
      case 'Flatten': {
        const x = one();
        if (shapes[x].length === 1) ids.set(output.id, x);
        else add(OP.flatten, x);
        break;
      }
      case 'Dropout':
        ids.set(output.id, one()); // identity at inference
        break;
      default:
        throw new Unsupported(`layer '${layer.name}' (${cls})`);
    }
  }
  const out = ids.get((model.outputs[0] as unknown as SymbolicTensorLike).id)!;
  if (shapes[out].length !== 1) throw new Unsupported('an output that is not a row of values');
  const tensors = new Int32Array(shapes.length * 4);
  shapes.forEach((s, i) => tensors.set(s.length === 1 ? [1, 1, 1, s[0]] : [0, s[0], s[1], s[2]], i * 4));
  const table = new Int32Array(steps.length * STEP_INTS);
  steps.forEach((s, i) => table.set([s.op, s.out, s.in0, s.in1, s.relu ? 1 : 0, s.weights, s.bias, ...s.p], i * STEP_INTS));
  return { tensors, steps: table, weights, input, output: out, outputs: shapes[out][0] };
}

/**
 * Compiles `model` (already BatchNorm-folded) for native inference. Not ok, with the reason, when
 * the addon is not built or lacks oneDNN, or the model has a layer the plan does not support:
 * the caller then runs the model through tfjs.
 */
export function compileNativeInference(model: tfl.LayersModel, addon?: NativeAddon): NativeInferenceResult {
  if (!addon) {
    const load = loadNativeAddon();
    if (!load.ok) return { ok: false, reason: load.reason };
    addon = load.addon;
  }
  let enc: ReturnType<typeof encode>;
  try {
    enc = encode(model);
  } catch (e) {
    if (e instanceof Unsupported) return { ok: false, reason: `unsupported: ${e.message}` };
    throw e;
  }
  let plan: unknown;
  try {
    plan = addon.inferPlanCreate(enc.tensors, enc.steps, enc.weights, Int32Array.of(enc.input, enc.output, CHUNK));
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  const native = addon;
  const outputs = enc.outputs;
  return {
    ok: true,
    inference: {
      outputs,
      run(x, n) {
        const out = new Float32Array(n * outputs);
        native.inferPlanRun(plan, x, n, out);
        return out;
      },
      dispose() {
        native.inferPlanFree(plan);
      },
    },
  };
}
