import { IMAGE_BYTES, IMAGE_CHANNELS } from './types.js';

export interface Normalization {
  mean: [number, number, number];
  std: [number, number, number];
}

/** The origin recipe's CIFAR-10 statistics. */
export const CIFAR10_NORMALIZATION: Normalization = {
  mean: [0.4914, 0.4822, 0.4465],
  std: [0.247, 0.243, 0.261],
};

/**
 * ToTensor + Normalize as one 3x256 table: (v / 255 - mean[c]) / std[c]. A table makes the float
 * path cheap and is exactly what the quantized model's input stage will turn into integers.
 */
export function normalizationTable(n: Normalization): Float32Array {
  const t = new Float32Array(IMAGE_CHANNELS * 256);
  for (let c = 0; c < IMAGE_CHANNELS; c++) {
    for (let v = 0; v < 256; v++) t[c * 256 + v] = (v / 255 - n.mean[c]) / n.std[c];
  }
  return t;
}

/** Normalizes whole images (no augmentation), e.g. for evaluation. */
export function normalizeImages(pixels: Uint8Array, table: Float32Array, out = new Float32Array(pixels.length)): Float32Array {
  for (let i = 0; i < pixels.length; i++) out[i] = table[(i % IMAGE_CHANNELS) * 256 + pixels[i]];
  return out;
}

export { IMAGE_BYTES };
