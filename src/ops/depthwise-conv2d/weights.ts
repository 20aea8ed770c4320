import type { DepthwiseGeometry } from './geometry.js';

/** Weight zero point and scale of output channel oc (per-channel along the last axis, or per tensor). */
export const perChannel = (values: number[], oc: number) => (values.length === 1 ? values[0] : values[oc]);

/** Weights minus their zero points, as int16 [kH * kW * outC] (layout kept). */
export function centeredDepthwiseWeights(data: Int8Array | Uint8Array, zeroPoints: number[], outC: number): Int16Array {
  return Int16Array.from(data, (w, i) => w - perChannel(zeroPoints, i % outC));
}

/** Worst |acc| of each output channel: |bias| + max|x - zx| * sum over taps |w - zw|. */
export function depthwiseBounds(g: DepthwiseGeometry, centered: Int16Array, bias: Int32Array, maxAbsInput: number): number[] {
  const sums = new Array<number>(g.outC).fill(0);
  for (let i = 0; i < centered.length; i++) sums[i % g.outC] += Math.abs(centered[i]);
  return sums.map((s, oc) => Math.abs(bias[oc]) + maxAbsInput * s);
}

