import type { z } from 'zod';
import type { LowerContext, LayerLowering } from '../codegen/lower/types.js';
import type { Graph, GraphNode, Shape, TensorData, TensorSpec } from '../ir/graph.js';
import type { AffineParams } from '../quantize/qparams.js';
import type { IntDType, Scheme } from '../quantize/schemes.js';

/**
 * What one op is: everything kit knows about it lives in its file in src/ops/ and is registered in
 * src/ops/registry.ts. Kernels follow TFLite's prepare/eval split: `float` and `int` are called once
 * per graph with the node's static information and return the function that runs it on one image.
 */
export interface OpDef<A = unknown, P = unknown> {
  readonly name: string;
  /** Name of the C code template for this op (code generation is a later stage). */
  readonly template: string;
  /** Schema of the node's attributes (validated when graphs are built or loaded). */
  readonly attrs: z.ZodType<A>;
  /** Schema of the integer parameters the quantizer computes for it. */
  readonly intParams: z.ZodType<P>;
  /**
   * How many of the node's inputs are activations ('all' for ops with any number of them, e.g.
   * concat); the rest are constant parameters. Passes split a node's inputs with `nodeInputs`.
   */
  readonly activationInputs: number | 'all';
  /**
   * Where the output's quantization comes from: calibration, the first input's (ops that only move or
   * select values, for which TFLite requires equal input and output parameters), or `outputRange`.
   */
  /** The output is the input's bytes in another shape (flatten, reshape): code generation aliases them. */
  readonly aliasesInput?: boolean;
  readonly outputQuant: 'calibrated' | 'same-as-input' | 'fixed-range' | 'fixed';
  /** For 'fixed-range' ops: the exact real range of the output, known without calibration. */
  outputRange?(attrs: A): { min: number; max: number };
  /** For 'fixed' ops: the output's scale and zero point, set by the op (TFLite's softmax: 1/256). */
  fixedOutputQuant?(dtype: IntDType): AffineParams;
  /** Output shape from input shapes; throws a KitError naming the node on inconsistent shapes. */
  inferShape(ctx: ShapeContext<A>): Shape;
  /** Multiply-accumulates per image (bytes of parameters follow from the stored tensors: ops/cost.ts). */
  macs(ctx: ShapeContext<A>): number;
  /** Prepare the float reference kernel. */
  float(ctx: FloatContext<A>): Kernel;
  /** Quantize the node's parameters and compute its integer parameters. */
  quantize(ctx: QuantizeContext<A>): QuantizedNode<P>;
  /** Prepare the integer reference kernel. */
  int(ctx: IntContext<A, P>): Kernel;
  /**
   * The integer parameters of a node whose tensors are already quantized (an imported model): from
   * the scales and zero points of its inputs, parameters and output, exactly as TFLite Micro's
   * Prepare computes them. `quantize` uses the same function once it has quantized the tensors.
   */
  deriveIntParams?(view: QuantizedView<A>): P;
  /**
   * In-place execution: the activation inputs (indices) whose bytes the output may overwrite for
   * these shapes, because the kernel has read every value it still needs from a location before it
   * writes there (element-wise ops; a fused residual block, see conv2d-add/in-place.ts). The memory
   * planner stores the output over the first of them that no later node reads. Absent: never.
   */
  inPlaceInputs?(view: NodeView<A>): number[];
  /**
   * The C lowering of the op (constant arrays, parameter struct, kernel configuration), for ops
   * that keep it next to their definition; older ops are lowered in src/codegen/lower/.
   */
  lower?(ctx: LowerContext<A, P>): LayerLowering;
}

/**
 * The one view of a node every pass reads (as TFLite Micro kernels read their tensors through one
 * accessor): its parsed attributes, its activation inputs, constant parameters and output as tensor
 * specs (shape, dtype, quantization, data for constants).
 */
export interface NodeView<A = unknown> {
  node: GraphNode;
  attrs: A;
  /** Activation inputs. */
  inputs: TensorSpec[];
  /** Constant parameters (weights, bias, tables), with data. */
  params: TensorSpec[];
  output: TensorSpec;
}

/** A node of an already-quantized graph before its integer parameters are known. */
export type QuantizedView<A = unknown> = NodeView<A>;

/** A node's input tensor ids split into activations and constant parameters. */
export function nodeInputs(op: Pick<OpDef, 'activationInputs'>, inputs: string[]): { acts: string[]; params: string[] } {
  const n = op.activationInputs === 'all' ? inputs.length : op.activationInputs;
  return { acts: inputs.slice(0, n), params: inputs.slice(n) };
}

/** The node view of `node` in `graph` (attributes parsed by the op's schema). */
export function viewNode<A>(graph: Graph, op: OpDef<A, unknown>, node: GraphNode): NodeView<A> {
  const { acts, params } = nodeInputs(op, node.inputs);
  return {
    node,
    attrs: op.attrs.parse(node.attrs),
    inputs: acts.map((id) => graph.tensors[id]),
    params: params.map((id) => graph.tensors[id]),
    output: graph.tensors[node.outputs[0]],
  };
}

/** Runs one node on one image: activation inputs in, output written in place. */
export type Kernel = (inputs: TensorData[], output: TensorData) => void;

export interface ShapeContext<A> {
  node: string;
  attrs: A;
  /** Shapes of the activation inputs. */
  inputs: Shape[];
  /** Shapes of the constant parameters. */
  params: Shape[];
}

export interface FloatContext<A> {
  node: GraphNode;
  attrs: A;
  inputShapes: Shape[];
  outputShape: Shape;
  params: { shape: Shape; data: Float32Array }[];
}

export interface QuantizeContext<A> {
  node: GraphNode;
  attrs: A;
  scheme: Scheme;
  inputShapes: Shape[];
  outputShape: Shape;
  /** Per-tensor parameters of the (already quantized) activation inputs. */
  inputQuant: AffineParams[];
  outputQuant: AffineParams;
  params: { shape: Shape; data: Float32Array }[];
}

export interface QuantizedNode<P> {
  /** Quantized constant parameters, in input order; each becomes tensor `${node.name}/${name}`. */
  params: { name: string; tensor: TensorSpec }[];
  intParams: P;
  /**
   * Largest |int32 accumulator| any input can produce (0 for ops without accumulation); the quantizer
   * refuses a node whose bound reaches 2^31.
   */
  accumulatorBound: number;
}

export interface IntContext<A, P> extends NodeView<A> {
  intParams: P;
  /** Force the plain int32 accumulation path even where the faster exact one applies (tests). */
  plainAccumulation?: boolean;
  /** Whose requantization to compute (default: TFLite Micro's, what the device runs). */
  requantization?: Requantization;
}

/**
 * 'tflite-micro': fixed-point multipliers (gemmlowp), what kit's C and TFLite Micro compute.
 * 'xnnpack': what desktop TFLite computes through its XNNPACK delegate, float32 scale x accumulator
 * rounded half to even; an analysis mode for comparing with TFLite on a PC, never the device's.
 * See src/quantize/integer-arithmetic.md.
 */
export type Requantization = 'tflite-micro' | 'xnnpack';
