/** Per-channel input normalization: the network reads (pixel / 255 - mean[c]) / std[c]. */
export interface Normalization {
  mean: number[];
  std: number[];
}

/** The origin recipe's CIFAR-10 statistics. */
export const CIFAR10_NORMALIZATION: Normalization = {
  mean: [0.4914, 0.4822, 0.4465],
  std: [0.247, 0.243, 0.261],
};

/**
 * ToTensor + Normalize as one (channels x 256) table: (v / 255 - mean[c]) / std[c]. A table makes
 * the float path cheap and is exactly what the quantized model's input stage turns into integers.
 */
export function normalizationTable(n: Normalization): Float32Array {
  const channels = n.mean.length;
  const t = new Float32Array(channels * 256);
  for (let c = 0; c < channels; c++) {
    for (let v = 0; v < 256; v++) t[c * 256 + v] = (v / 255 - n.mean[c]) / n.std[c];
  }
  return t;
}

/** Normalizes whole HWC images (no augmentation), e.g. for evaluation. */
export function normalizeImages(pixels: Uint8Array, table: Float32Array, out = new Float32Array(pixels.length)): Float32Array {
  const channels = table.length / 256;
  for (let i = 0; i < pixels.length; i++) out[i] = table[(i % channels) * 256 + pixels[i]];
  return out;
}
