import type { z } from 'zod';
import type { GraphNode, Shape, TensorData, TensorSpec } from '../ir/graph.js';
import type { AffineParams } from '../quantize/qparams.js';
import type { Scheme } from '../quantize/schemes.js';

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
  /** How many of the node's inputs are activations; the rest are constant parameters. */
  readonly activationInputs: number;
  /**
   * Where the output's quantization comes from: calibration, the first input's (ops that only move or
   * select values, for which TFLite requires equal input and output parameters), or `outputRange`.
   */
  readonly outputQuant: 'calibrated' | 'same-as-input' | 'fixed-range';
  /** For 'fixed-range' ops: the exact real range of the output, known without calibration. */
  outputRange?(attrs: A): { min: number; max: number };
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

export interface IntContext<A, P> {
  node: GraphNode;
  attrs: A;
  intParams: P;
  /** Activation inputs (shape, dtype, quant). */
  inputs: TensorSpec[];
  output: TensorSpec;
  /** Constant parameters with data. */
  params: TensorSpec[];
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
