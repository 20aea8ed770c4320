import { KitError } from '../../errors.js';

export type Padding = 'same' | 'valid';

/** Output size and leading padding of a sliding window along one axis, as TensorFlow defines them. */
export interface WindowAxis {
  out: number;
  /** Padding before the first input element; TF puts the odd extra padding element after. */
  padBefore: number;
}

/**
 * TF/TFLite semantics: 'valid' keeps only full windows; 'same' gives ceil(in / stride) outputs and
 * pads max((out - 1) * stride + kernel - in, 0) in total, the smaller half before.
 */
export function windowAxis(size: number, kernel: number, stride: number, padding: Padding): WindowAxis {
  if (padding === 'valid') return { out: Math.floor((size - kernel) / stride) + 1, padBefore: 0 };
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  return { out, padBefore: Math.floor(total / 2) };
}

/** Window geometry in 2-D, refusing windows that produce no output. */
export function window2d(
  node: string,
  inH: number,
  inW: number,
  kernel: [number, number],
  strides: [number, number],
  padding: Padding,
): { outH: number; outW: number; padTop: number; padLeft: number } {
  const y = windowAxis(inH, kernel[0], strides[0], padding);
  const x = windowAxis(inW, kernel[1], strides[1], padding);
  if (y.out < 1 || x.out < 1) {
    throw new KitError('shape', 'quantize', `${node}: a ${kernel[0]}x${kernel[1]} window does not fit a ${inH}x${inW} input`);
  }
  return { outH: y.out, outW: x.out, padTop: y.padBefore, padLeft: x.padBefore };
}
