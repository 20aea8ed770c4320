import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './native-addon.js';
import { f32, output, size, type NativeKernel, type NativeKernelArgs } from './native-kernel-util.js';

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation?: string;
}

/**
 * a x b over leading batch axes. Handled natively: equal batch shapes, or one side without
 * batch (all ones); partial broadcasting ([2, 1] x [1, 3]) is left to the JS kernel.
 */
function matmul(addon: NativeAddon, { inputs, attrs, backend }: NativeKernelArgs, fused: boolean): tf.TensorInfo | null {
  const { a, b, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
  const { transposeA, transposeB, activation = 'linear' } = attrs as unknown as MatMulAttrs;
  if (!a || !b || a.shape.length < 2 || b.shape.length < 2) return null;
  if (fused && (preluActivationWeights || (activation !== 'linear' && activation !== 'relu'))) return null;
  const av = f32(backend, a);
  const bv = f32(backend, b);
  if (!av || !bv) return null;
  const ra = a.shape.length, rb = b.shape.length;
  const [m, k] = transposeA ? [a.shape[ra - 1], a.shape[ra - 2]] : [a.shape[ra - 2], a.shape[ra - 1]];
  const [k2, n] = transposeB ? [b.shape[rb - 1], b.shape[rb - 2]] : [b.shape[rb - 2], b.shape[rb - 1]];
  if (k !== k2 || m === 0 || n === 0 || k === 0) return null;
  const batchShape = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = size(batchShape), batchA = size(a.shape.slice(0, -2)), batchB = size(b.shape.slice(0, -2));
  if ((batchA !== 1 && batchA !== batch) || (batchB !== 1 && batchB !== batch)) return null;
  let biasValues: Float32Array | null = null;
  if (fused && bias) {
    biasValues = f32(backend, bias);
    if (!biasValues || size(bias.shape) !== n || bias.shape[bias.shape.length - 1] !== n) return null;
  }
  const out = output(backend, [...batchShape, m, n]);
  addon.matmul(av, bv, biasValues, out.values, Int32Array.of(batch, batchA, batchB, m, n, k, +transposeA, +transposeB, +(activation === 'relu')));
  return out.info();
}

export function matmulKernels(addon: NativeAddon): NativeKernel[] {
  return [
    { kernelName: 'BatchMatMul', run: (args) => matmul(addon, args, false) },
    { kernelName: '_FusedMatMul', run: (args) => matmul(addon, args, true) },
  ];
}
