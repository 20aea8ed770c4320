/**
 * kit's graph IR: a flat list of nodes in execution order over named tensors. One graph describes
 * the network for ONE image (shapes have no batch dimension); interpreters loop over a batch.
 *
 * Layouts (the TFLite / CMSIS-NN ones, so code generation can dump tensors as they are):
 * - activations: HWC (channels last), or [N] after flatten / global pooling
 * - conv2d weights: OHWI [outChannels, kernelH, kernelW, inChannels]
 * - dense weights: [outUnits, inUnits]
 * - per-channel quantization of weights is along axis 0 (the output channel)
 *
 * A float graph (as built from a Keras/tfjs model) has float32 tensors and no `quant`; a quantized
 * graph has the same nodes and tensor names, integer tensors with `quant`, and per-node integer
 * parameters (`intParams`: requantization multipliers, activation clamps) computed once by the
 * quantizer so that every consumer (interpreter, C code, device) uses the same integers.
 */

/** Bump when the JSON layout changes in a way older readers cannot handle. */
export const GRAPH_VERSION = 1;

export type DType = 'float32' | 'int32' | 'int8' | 'uint8';
export type Shape = number[];
export type TensorData = Float32Array | Int32Array | Int8Array | Uint8Array;

/** real = scale[c] * (q - zeroPoint[c]); one entry per tensor, or per slice along `axis`. */
export interface QuantParams {
  scale: number[];
  zeroPoint: number[];
  axis?: number;
}

export interface TensorSpec {
  shape: Shape;
  dtype: DType;
  quant?: QuantParams;
  /** Present for constants (weights, biases, tables); absent for activations. */
  data?: TensorData;
}

export interface GraphNode {
  /** Unique; the name of the source layer (fused layers are listed in `fused`). */
  name: string;
  op: string;
  /** Activation inputs first, then constant parameters (weights, bias, ...). */
  inputs: string[];
  outputs: string[];
  attrs: Record<string, unknown>;
  /** Integer parameters of a quantized node (validated by the op's schema). */
  intParams?: Record<string, unknown>;
  /** Source layers folded or fused into this node (BatchNorm, ReLU), for reports. */
  fused?: string[];
  /** Quantized nodes: the proven worst-case |int32 accumulator| (see src/quantize/integer-arithmetic.md). */
  accumulatorBound?: number;
}

export type GraphKind = 'float' | 'quantized';

export interface Graph {
  version: number;
  kind: GraphKind;
  /** Quantization scheme name for a quantized graph. */
  scheme?: string;
  tensors: Record<string, TensorSpec>;
  nodes: GraphNode[];
  inputs: string[];
  outputs: string[];
}

export function numElements(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function dtypeBytes(dtype: DType): number {
  return dtype === 'float32' || dtype === 'int32' ? 4 : 1;
}

export function allocate(dtype: DType, length: number): TensorData {
  switch (dtype) {
    case 'float32': return new Float32Array(length);
    case 'int32': return new Int32Array(length);
    case 'int8': return new Int8Array(length);
    case 'uint8': return new Uint8Array(length);
  }
}

/** The dtype a typed array stores, for checks when loading or building graphs. */
export function dtypeOf(data: TensorData): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Int8Array) return 'int8';
  return 'uint8';
}
