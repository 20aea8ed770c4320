import { KitError } from '../../errors.js';
import type { QuantParams } from '../../ir/graph.js';
import { INT32_MAX, quantizeMultiplier, roundHalfAwayFromZero } from '../../quantize/fixed-point.js';
import { asymmetricParams, minMax, quantizeValue, symmetricParams, type AffineParams } from '../../quantize/qparams.js';
import type { Scheme } from '../../quantize/schemes.js';

/** Weights quantized per the scheme, [channels, depth] row-major. */
export interface QuantizedWeights {
  data: Int8Array | Uint8Array;
  /** One entry per channel when per-channel, else one. */
  params: AffineParams[];
}

/**
 * Quantize a [channels, depth] weight matrix: symmetric per channel for the int8 scheme (when the op
 * allows it), asymmetric or symmetric per tensor otherwise.
 */
export function quantizeWeights(w: Float32Array, channels: number, depth: number, scheme: Scheme, perChannel: boolean): QuantizedWeights {
  const { qmin, qmax, symmetric, dtype } = scheme.weight;
  const data = dtype === 'uint8' ? new Uint8Array(w.length) : new Int8Array(w.length);
  const slices = perChannel ? channels : 1;
  const sliceLength = perChannel ? depth : channels * depth;
  const params: AffineParams[] = [];
  for (let s = 0; s < slices; s++) {
    const start = s * sliceLength;
    const end = start + sliceLength;
    const { min, max } = minMax(w, start, end);
    const p = symmetric ? symmetricParams(Math.max(-min, max), qmax) : asymmetricParams(min, max, qmin, qmax);
    for (let i = start; i < end; i++) data[i] = quantizeValue(w[i], p, qmin, qmax);
    params.push(p);
  }
  return { data, params };
}

/** Per-channel view of weight params (a per-tensor entry repeated). */
export function channelParams(q: QuantizedWeights, channels: number): AffineParams[] {
  return q.params.length === channels ? q.params : Array.from({ length: channels }, () => q.params[0]);
}

export function weightQuantParams(q: QuantizedWeights): QuantParams {
  return {
    scale: q.params.map((p) => p.scale),
    zeroPoint: q.params.map((p) => p.zeroPoint),
    ...(q.params.length > 1 ? { axis: 0 } : {}),
  };
}

/**
 * int32 bias with scale input_scale * weight_scale[c] and zero point 0, so it adds straight into the
 * accumulator. A bias too large for int32 at that scale is refused rather than silently clipped.
 */
export function quantizeBias(node: string, b: Float32Array, inputScale: number, weightParams: AffineParams[]): Int32Array {
  const out = new Int32Array(b.length);
  for (let c = 0; c < b.length; c++) {
    const q = roundHalfAwayFromZero(b[c] / (inputScale * weightParams[c].scale));
    if (Math.abs(q) > INT32_MAX) {
      throw new KitError('bias-overflow', 'quantize', `${node}: bias of channel ${c} (${b[c]}) does not fit int32 at scale ${inputScale * weightParams[c].scale}`);
    }
    out[c] = q;
  }
  return out;
}

/** Requantization multipliers input_scale * weight_scale[c] / output_scale as Q31 + shift. */
export function requantMultipliers(inputScale: number, weightParams: AffineParams[], outputScale: number): { multiplier: number[]; shift: number[] } {
  const multiplier: number[] = [];
  const shift: number[] = [];
  for (const w of weightParams) {
    const m = quantizeMultiplier((inputScale * w.scale) / outputScale);
    multiplier.push(m.multiplier);
    shift.push(m.shift);
  }
  return { multiplier, shift };
}

/** Largest |q - zeroPoint| an input of range [qmin, qmax] can have. */
export function maxAbsOffset(zeroPoint: number, qmin: number, qmax: number): number {
  return Math.max(zeroPoint - qmin, qmax - zeroPoint);
}

/** Weights minus their (per-channel) zero point, as the integer kernels consume them. */
export function centeredWeights(data: Int8Array | Uint8Array, zeroPoints: number[], channels: number, depth: number): Int16Array {
  const out = new Int16Array(channels * depth);
  for (let c = 0; c < channels; c++) {
    const z = zeroPoints.length === 1 ? zeroPoints[0] : zeroPoints[c];
    for (let k = 0; k < depth; k++) out[c * depth + k] = data[c * depth + k] - z;
  }
  return out;
}

/**
 * The exact worst case of the int32 accumulator of each output channel:
 * |bias[c]| + maxAbsInput * sum_k |w[c,k] - zw[c]|. This is tighter than the textbook
 * depth * 255 * 255 because it uses the actual weights, and it bounds every partial sum too.
 */
export function accumulatorBound(centered: Int16Array, bias: Int32Array, channels: number, depth: number, maxAbsInput: number): number {
  let worst = 0;
  for (let c = 0; c < channels; c++) {
    let sumAbs = 0;
    for (let k = 0; k < depth; k++) sumAbs += Math.abs(centered[c * depth + k]);
    worst = Math.max(worst, Math.abs(bias[c]) + maxAbsInput * sumAbs);
  }
  return worst;
}

/**
 * Refuse a node whose accumulator could overflow int32, including after the left shift that
 * MultiplyByQuantizedMultiplier applies for multipliers >= 1.
 */
export function checkAccumulator(node: string, bound: number, shifts: number[]): void {
  const maxLeft = Math.max(0, ...shifts);
  if (bound * 2 ** maxLeft > INT32_MAX) {
    throw new KitError(
      'accumulator-overflow',
      'quantize',
      `${node}: the int32 accumulator could reach ${bound}${maxLeft > 0 ? ` shifted left by ${maxLeft}` : ''}, which overflows`,
      'the layer is too deep or its weights too large for 8-bit quantization',
    );
  }
}
