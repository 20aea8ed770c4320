import { getOp } from '../ops/registry.js';
import { nodeInputs, viewNode, type Kernel, type Requantization } from '../ops/op.js';
import { allocate, numElements, type Graph, type TensorData } from './graph.js';
import { validateGraph } from './validate.js';

export interface InterpreterOptions {
  /** Integer graphs: use the plain int32 accumulation loop everywhere (slower; tests compare). */
  plainAccumulation?: boolean;
  /** 'xnnpack': desktop TFLite's requantization instead of the device's (analysis only). */
  requantization?: Requantization;
}

/**
 * Runs a graph on one image at a time, reusing one buffer per tensor. A float graph runs the ops'
 * float reference kernels; a quantized graph runs their integer reference kernels, which is kit's
 * integer truth: generated C code and the device must reproduce its outputs bit for bit.
 */
export class Interpreter {
  private readonly values = new Map<string, TensorData>();
  private readonly steps: { kernel: Kernel; inputs: TensorData[]; output: TensorData }[] = [];
  readonly input: string;
  readonly output: string;
  readonly inputLength: number;

  constructor(readonly graph: Graph, options: InterpreterOptions = {}) {
    validateGraph(graph);
    if (graph.inputs.length !== 1 || graph.outputs.length !== 1) throw new Error('kit graphs have one input and one output');
    this.input = graph.inputs[0];
    this.output = graph.outputs[0];
    const integer = graph.kind === 'quantized';
    for (const [id, t] of Object.entries(graph.tensors)) {
      this.values.set(id, t.data ?? allocate(t.dtype, numElements(t.shape)));
    }
    this.inputLength = numElements(graph.tensors[this.input].shape);
    for (const node of graph.nodes) {
      const op = getOp(node.op);
      const view = viewNode(graph, op, node);
      const { acts } = nodeInputs(op, node.inputs);
      const kernel = integer
        ? op.int({ ...view, intParams: op.intParams.parse(node.intParams), plainAccumulation: options.plainAccumulation, requantization: options.requantization })
        : op.float({
            node,
            attrs: view.attrs,
            inputShapes: view.inputs.map((t) => t.shape),
            outputShape: view.output.shape,
            params: view.params.map((p) => ({ shape: p.shape, data: p.data as Float32Array })),
          });
      this.steps.push({ kernel, inputs: acts.map((id) => this.values.get(id)!), output: this.values.get(node.outputs[0])! });
    }
  }

  /**
   * Run on one image of raw pixels (HWC uint8). Returns the output tensor's buffer, which the next
   * run overwrites: copy what you keep.
   */
  run(pixels: Uint8Array): TensorData {
    if (pixels.length !== this.inputLength) throw new Error(`expected ${this.inputLength} pixel values, got ${pixels.length}`);
    (this.values.get(this.input) as Uint8Array).set(pixels);
    for (const step of this.steps) step.kernel(step.inputs, step.output);
    return this.values.get(this.output)!;
  }

  /** The current value of any tensor (after run): intermediate activations for SQNR and debugging. */
  value(id: string): TensorData {
    const v = this.values.get(id);
    if (!v) throw new Error(`graph has no tensor '${id}'`);
    return v;
  }

  /** Activation tensors in execution order (node outputs). */
  activations(): string[] {
    return this.graph.nodes.map((n) => n.outputs[0]);
  }
}

export interface BatchOptions extends InterpreterOptions {
  /** Called after each image with (done, total). */
  onImage?: (done: number, total: number) => void;
  /** Also return these intermediate tensors for every image, concatenated. */
  keep?: string[];
}

export interface BatchResult {
  /** The output of every image, concatenated ([count, ...outputShape]). */
  outputs: TensorData;
  /** Requested intermediate tensors, concatenated per tensor. */
  kept: Record<string, TensorData>;
}

/** Run a graph on `count` images stored back to back (count * H * W * C uint8). */
export function runBatch(graph: Graph, images: Uint8Array, count: number, options: BatchOptions = {}): BatchResult {
  const interp = new Interpreter(graph, options);
  const outSpec = graph.tensors[interp.output];
  const outLen = numElements(outSpec.shape);
  const outputs = allocate(outSpec.dtype, count * outLen);
  const kept: Record<string, TensorData> = {};
  for (const id of options.keep ?? []) {
    const t = graph.tensors[id];
    if (!t) throw new Error(`graph has no tensor '${id}'`);
    kept[id] = allocate(t.dtype, count * numElements(t.shape));
  }
  const n = interp.inputLength;
  for (let i = 0; i < count; i++) {
    outputs.set(interp.run(images.subarray(i * n, (i + 1) * n)) as never, i * outLen);
    for (const id of options.keep ?? []) {
      const v = interp.value(id);
      kept[id].set(v as never, i * v.length);
    }
    options.onImage?.(i + 1, count);
  }
  return { outputs, kept };
}
