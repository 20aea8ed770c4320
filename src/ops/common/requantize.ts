import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../../quantize/fixed-point.js';
import type { AffineParams } from '../../quantize/qparams.js';
import { checkAccumulator } from './quantize-weights.js';

/**
 * Moving 8-bit values from one quantization to another, TFLite Micro's Requantize (QUANTIZE between
 * integer tensors; kit's concat of inputs quantized differently):
 *   y = clamp(MultiplyByQuantizedMultiplier(x - zx, multiplier, shift) + zy, qmin, qmax)
 * with (multiplier, shift) = QuantizeMultiplier(s_x / s_y) computed in double.
 */
export interface Requantization {
  multiplier: number;
  shift: number;
}

export function requantization(node: string, input: AffineParams, output: AffineParams): Requantization {
  const { multiplier, shift } = quantizeMultiplier(input.scale / output.scale);
  // |x - zx| <= 255, shifted left by a multiplier >= 1's shift.
  checkAccumulator(node, 255, [shift]);
  return { multiplier, shift };
}

/** The same parameters in and out: the values move unchanged (MBQM by 1 would give them back too). */
export function sameQuant(a: AffineParams, b: AffineParams): boolean {
  return a.scale === b.scale && a.zeroPoint === b.zeroPoint;
}

/** Requantize `count` values from x[from] to out[to]. */
export function requantizeRun(
  r: Requantization,
  zx: number,
  zy: number,
  qmin: number,
  qmax: number,
  x: ArrayLike<number>,
  from: number,
  out: { [i: number]: number },
  to: number,
  count: number,
): void {
  for (let i = 0; i < count; i++) {
    const v = multiplyByQuantizedMultiplier(x[from + i] - zx, r.multiplier, r.shift) + zy;
    out[to + i] = v < qmin ? qmin : v > qmax ? qmax : v;
  }
}

/**
 * What desktop TFLite's XNNPACK delegate computes for an int8 -> int8 QUANTIZE (XNNPACK's qs8
 * convert): the ratio s_x / s_y in float32, as a multiplier m = round(256 * ratio) (ties to even),
 * then y = clamp(((x - zx) * m + 128) >> 8 (arithmetic shift: halves rounded up) + zy). XNNPACK
 * takes ratios in [2^-8, 2^7] only; outside, the delegate leaves the op to TFLite's own kernel,
 * which is TFLite Micro's Requantize (undefined is returned then).
 */
export function xnnpackConvertMultiplier(input: AffineParams, output: AffineParams): number | undefined {
  const ratio = Math.fround(Math.fround(input.scale) / Math.fround(output.scale));
  if (ratio < 2 ** -8 || ratio > 2 ** 7) return undefined;
  const scaled = 256 * ratio;
  const m = Math.round(scaled);
  return m - scaled === 0.5 && m % 2 !== 0 ? m - 1 : m;
}

/** XNNPACK's qs8 convert of `count` values from x[from] to out[to] (multiplier from xnnpackConvertMultiplier). */
export function xnnpackConvertRun(m: number, zx: number, zy: number, qmin: number, qmax: number, x: ArrayLike<number>, from: number, out: { [i: number]: number }, to: number, count: number): void {
  for (let i = 0; i < count; i++) {
    const v = (((x[from + i] - zx) * m + 128) >> 8) + zy;
    out[to + i] = v < qmin ? qmin : v > qmax ? qmax : v;
  }
}
