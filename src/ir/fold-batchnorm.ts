/** BatchNormalization statistics and affine parameters of one layer (inference mode). */
export interface BatchNormParams {
  gamma: Float32Array | null; // null when the layer has scale: false
  beta: Float32Array | null; // null when the layer has center: false
  movingMean: Float32Array;
  movingVariance: Float32Array;
  epsilon: number;
}

/**
 * Fold an inference-mode BatchNorm into the layer before it, per output channel c:
 *   s = gamma[c] / sqrt(var[c] + eps)
 *   w'[c, ...] = w[c, ...] * s
 *   b'[c]      = (b[c] - mean[c]) * s + beta[c]
 * so conv(x, w') + b' = BN(conv(x, w) + b) exactly in real arithmetic. Computed in double, stored
 * as float32. Weights are [channels, ...] (OHWI or [out, in]).
 */
export function foldBatchNorm(weights: Float32Array, bias: Float32Array, bn: BatchNormParams): { weights: Float32Array; bias: Float32Array } {
  const channels = bias.length;
  const perChannel = weights.length / channels;
  const w = new Float32Array(weights.length);
  const b = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const s = (bn.gamma ? bn.gamma[c] : 1) / Math.sqrt(bn.movingVariance[c] + bn.epsilon);
    for (let k = 0; k < perChannel; k++) w[c * perChannel + k] = weights[c * perChannel + k] * s;
    b[c] = (bias[c] - bn.movingMean[c]) * s + (bn.beta ? bn.beta[c] : 0);
  }
  return { weights: w, bias: b };
}
