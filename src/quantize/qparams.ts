import { clamp, roundHalfAwayFromZero } from './fixed-point.js';

/** Scale and zero point of one quantized tensor or channel: real = scale * (q - zeroPoint). */
export interface AffineParams {
  scale: number;
  zeroPoint: number;
}

/**
 * Scales are kept as float32, as TFLite's flatbuffer stores them, so that a consumer that recomputes
 * requantization multipliers from the stored scales gets exactly ours.
 */
function float32Scale(scale: number): number {
  const s = Math.fround(scale);
  return s > 0 ? s : 1.1754943508222875e-38; // smallest normal float32: a range so small it rounded to 0
}

/**
 * Asymmetric (affine) parameters for a real range. The range is widened to contain 0 so that zero is
 * exactly representable (zero padding and ReLU must be exact); the zero point is the integer nearest
 * to where real 0 falls. A degenerate range (all zeros) gets scale 1.
 */
export function asymmetricParams(rmin: number, rmax: number, qmin: number, qmax: number): AffineParams {
  const lo = Math.min(rmin, 0);
  const hi = Math.max(rmax, 0);
  if (!(hi > lo)) return { scale: 1, zeroPoint: clamp(0, qmin, qmax) };
  const scale = float32Scale((hi - lo) / (qmax - qmin));
  const zeroPoint = clamp(roundHalfAwayFromZero(qmin - lo / scale), qmin, qmax);
  return { scale, zeroPoint };
}

/** Symmetric parameters (zero point 0) so that [-maxAbs, maxAbs] maps to [-qmax, qmax]. */
export function symmetricParams(maxAbs: number, qmax: number): AffineParams {
  if (!(maxAbs > 0)) return { scale: 1, zeroPoint: 0 };
  return { scale: float32Scale(maxAbs / qmax), zeroPoint: 0 };
}

/** Quantize one real value: round to nearest (ties away from zero), add the zero point, saturate. */
export function quantizeValue(x: number, p: AffineParams, qmin: number, qmax: number): number {
  return clamp(roundHalfAwayFromZero(x / p.scale) + p.zeroPoint, qmin, qmax);
}

export function dequantizeValue(q: number, p: AffineParams): number {
  return (q - p.zeroPoint) * p.scale;
}

/** Smallest and largest value of an array (NaN-free input assumed; the graph builder checks). */
export function minMax(data: ArrayLike<number>, start = 0, end = data.length): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = start; i < end; i++) {
    const v = data[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}
