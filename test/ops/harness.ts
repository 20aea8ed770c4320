import { allocate, numElements, type GraphNode, type Shape, type TensorData, type TensorSpec } from '../../src/ir/graph.js';
import { getOp } from '../../src/ops/registry.js';
import { asymmetricParams, dequantizeValue, minMax, quantizeValue, type AffineParams } from '../../src/quantize/qparams.js';
import type { Scheme } from '../../src/quantize/schemes.js';

/** A float tensor given to an op under test. */
export interface FloatTensor {
  shape: Shape;
  data: Float32Array;
}

export interface OpCase {
  op: string;
  attrs: Record<string, unknown>;
  inputs: FloatTensor[];
  params?: FloatTensor[];
  scheme: Scheme;
  /** Use the plain accumulation path for conv2d/dense. */
  plain?: boolean;
}

export interface OpResult {
  outQuant: AffineParams;
  outShape: Shape;
  /** The integer kernel's output. */
  int: TensorData;
  /** The integer output dequantized. */
  dequantized: Float32Array;
  /**
   * The float kernel on the dequantized inputs and dequantized quantized parameters, clamped to the
   * output's representable range: what the integer kernel approximates up to output rounding.
   */
  reference: Float32Array;
  /** The float kernel on dequantized inputs with the original float parameters. */
  float: Float32Array;
  /** Output range in steps of the output scale, for clamping checks. */
  activationMin: number;
  activationMax: number;
  bound: number;
}

const node = (op: string, attrs: Record<string, unknown>): GraphNode => ({ name: `test_${op}`, op, inputs: [], outputs: [], attrs });

function runFloat(op: string, attrs: Record<string, unknown>, inputs: { shape: Shape; data: TensorData }[], params: FloatTensor[], outShape: Shape): Float32Array {
  const def = getOp(op);
  const parsed = def.attrs.parse(attrs);
  const kernel = def.float({ node: node(op, attrs), attrs: parsed, inputShapes: inputs.map((i) => i.shape), outputShape: outShape, params });
  const out = new Float32Array(numElements(outShape));
  kernel(inputs.map((i) => i.data), out);
  return out;
}

/** Dequantize a quantized parameter tensor (per-channel along axis 0 when it has several scales). */
export function dequantizeParam(t: TensorSpec): Float32Array {
  const data = t.data!;
  const q = t.quant!;
  // Per-channel along `axis` (0 by default): the stride of that axis in the row-major layout.
  const axis = q.axis ?? 0;
  const stride = t.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return Float32Array.from(data, (v, i) => {
    const c = q.scale.length > 1 ? Math.floor(i / stride) % q.scale.length : 0;
    return (v - q.zeroPoint[c]) * q.scale[c];
  });
}

/**
 * Quantize the inputs of an op, quantize the op, run its integer kernel, and compute the float
 * references to judge it by.
 */
export function runOpCase(c: OpCase): OpResult {
  const def = getOp(c.op);
  const attrs = def.attrs.parse(c.attrs);
  const params = c.params ?? [];
  const { qmin, qmax, dtype } = c.scheme.activation;
  // Integer inputs: raw pixels for normalize_input, otherwise quantized floats.
  const pixels = c.op === 'normalize_input';
  const inputQuant = c.inputs.map((t) => {
    if (pixels) return { scale: 1, zeroPoint: 0 };
    const r = minMax(t.data);
    return asymmetricParams(r.min, r.max, qmin, qmax);
  });
  const intInputs = c.inputs.map((t, i) => {
    if (pixels) return Uint8Array.from(t.data);
    const q = allocate(dtype, t.data.length);
    for (let k = 0; k < t.data.length; k++) q[k] = quantizeValue(t.data[k], inputQuant[i], qmin, qmax);
    return q;
  });
  const deqInputs = c.inputs.map((t, i) =>
    pixels ? t.data : Float32Array.from(intInputs[i], (v) => dequantizeValue(v, inputQuant[i])),
  );
  const outShape = def.inferShape({ node: 'test', attrs, inputs: c.inputs.map((t) => t.shape), params: params.map((p) => p.shape) });
  const float = runFloat(c.op, c.attrs, c.inputs.map((t, i) => ({ shape: t.shape, data: deqInputs[i] })), params, outShape);

  let outQuant: AffineParams;
  if (def.outputQuant === 'same-as-input') outQuant = inputQuant[0];
  else if (def.outputQuant === 'fixed') outQuant = def.fixedOutputQuant!(dtype);
  else if (def.outputQuant === 'fixed-range') {
    const r = def.outputRange!(attrs);
    outQuant = asymmetricParams(r.min, r.max, qmin, qmax);
  } else {
    const r = minMax(float);
    outQuant = asymmetricParams(r.min, r.max, qmin, qmax);
  }
  const q = def.quantize({
    node: node(c.op, c.attrs),
    attrs,
    scheme: c.scheme,
    inputShapes: c.inputs.map((t) => t.shape),
    outputShape: outShape,
    inputQuant,
    outputQuant: outQuant,
    params,
  });
  const inputSpecs: TensorSpec[] = c.inputs.map((t, i) => ({
    shape: t.shape,
    dtype: pixels ? 'uint8' : dtype,
    ...(pixels ? {} : { quant: { scale: [inputQuant[i].scale], zeroPoint: [inputQuant[i].zeroPoint] } }),
  }));
  const outSpec: TensorSpec = { shape: outShape, dtype, quant: { scale: [outQuant.scale], zeroPoint: [outQuant.zeroPoint] } };
  const kernel = def.int({
    node: node(c.op, c.attrs),
    attrs,
    intParams: def.intParams.parse(q.intParams),
    inputs: inputSpecs,
    output: outSpec,
    params: q.params.map((p) => p.tensor),
    plainAccumulation: c.plain,
  });
  const int = allocate(dtype, numElements(outShape));
  kernel(intInputs, int);
  const dequantized = Float32Array.from(int, (v) => dequantizeValue(v, outQuant));

  const ip = q.intParams as { activationMin?: number; activationMax?: number };
  const activationMin = ip.activationMin ?? qmin;
  const activationMax = ip.activationMax ?? qmax;
  const lo = dequantizeValue(activationMin, outQuant);
  const hi = dequantizeValue(activationMax, outQuant);
  const hasWeights = c.op === 'conv2d' || c.op === 'dense' || c.op === 'depthwise_conv2d';
  const refParams = hasWeights ? q.params.map((p) => ({ shape: p.tensor.shape, data: dequantizeParam(p.tensor) })) : params;
  const raw = runFloat(c.op, c.attrs, c.inputs.map((t, i) => ({ shape: t.shape, data: deqInputs[i] })), refParams, outShape);
  const reference = raw.map((v) => Math.min(hi, Math.max(lo, v)));
  return { outQuant, outShape, int, dequantized, reference, float, activationMin, activationMax, bound: q.accumulatorBound };
}

/** Largest |a - b| in units of `scale`. */
export function maxErrorSteps(a: Float32Array, b: Float32Array, scale: number): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / scale);
  return worst;
}

/** Signal-to-quantization-noise ratio in dB. */
export function sqnr(reference: Float32Array, approx: Float32Array): number {
  let s = 0;
  let e = 0;
  for (let i = 0; i < reference.length; i++) {
    s += reference[i] ** 2;
    e += (reference[i] - approx[i]) ** 2;
  }
  return 10 * Math.log10(s / e);
}
