import { loadNativeAddon } from '../../train/backend/native-addon.js';
import { PaddedInput, type ConvGeometry } from './conv-geometry.js';

export interface NativeIntConv {
  /** The zero-bordered input, as 16-bit values the native kernel reads. */
  padded: PaddedInput<Int16Array>;
  /** Writes the raw sums (without bias) of every output pixel and channel. */
  accumulate(sums: Int32Array): void;
}

/**
 * The accumulation of int-conv.ts in kit's C++ addon (src/native/src/int_conv.cc: 16-bit
 * multiply-adds into int32, exact), when the addon is built; undefined otherwise, and the JS loops
 * run. Inputs and weights minus their zero points fit 16 bits: both lie in [-255, 255].
 */
export function nativeIntConv(g: ConvGeometry, channels: number, weights: Int16Array): NativeIntConv | undefined {
  const load = loadNativeAddon();
  // An addon built before this kernel existed lacks it: the JS loops run until it is rebuilt.
  if (!load.ok || typeof load.addon.intConvSums !== 'function') return undefined;
  const addon = load.addon;
  // The kernel reads each run in pairs: one value past the last run.
  const padded = new PaddedInput(g, (n) => new Int16Array(n), 1);
  const shape = Int32Array.from([padded.origins.length, channels, g.kH, g.kW * g.inC, padded.rowStride]);
  const runs = g.kH * Math.ceil((g.kW * g.inC) / 2);
  const packed = new Int16Array(runs * Math.ceil(channels / 8) * 8 * 2);
  addon.intConvPack(weights, packed, shape);
  return { padded, accumulate: (sums) => addon.intConvSums(padded.data, padded.origins, packed, sums, shape) };
}
