import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { KIT_MOMENTS, KIT_MOMENTS_GRAD } from './native-gradient-kernels.js';

/** tfjs-core as CommonJS: the module object tfjs-layers' bundle calls moments() through. */
const core = createRequire(import.meta.url)('@tensorflow/tfjs-core') as { moments: typeof tf.moments };

const run = (name: string, inputs: tf.NamedTensorMap) => tf.engine().runKernel(name, inputs, {}) as tf.Tensor;

/** Batch mean and variance per channel as one op with a one-pass gradient. */
const fusedStats = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const stats = run(KIT_MOMENTS, { x });
  save([x, stats]);
  return { value: stats, gradFunc: (dy: tf.Tensor, [xs, s]: tf.Tensor[]) => run(KIT_MOMENTS_GRAD, { x: xs, stats: s, dy }) };
}) as (x: tf.Tensor) => tf.Tensor;

/** Reduces over every axis but the last (BatchNorm's case, NHWC) without keeping dims. */
function perChannel(x: unknown, axis: number | number[] | undefined, keepDims: boolean | undefined): x is tf.Tensor {
  if (keepDims || !(x instanceof tf.Tensor) || x.dtype !== 'float32' || x.rank < 2 || x.size === 0) return false;
  const shape: number[] = x.shape;
  const axes = (axis == null ? shape.map((_, i) => i) : tf.util.parseAxisParam(axis, shape)).sort((a, b) => a - b);
  return axes.length === shape.length - 1 && axes.every((a, i) => a === i);
}

let installed = false;

/**
 * tfjs-layers' BatchNormalization trains through tf.moments(): mean, subtract, square, mean, whose
 * gradient adds five full-size tensors per layer (two broadcast means, the square's, and two
 * accumulations). While `backendName` is active, per-channel moments become one native op whose
 * gradient is one pass. tfjs-layers' bundle calls moments through tfjs-core's CommonJS exports,
 * so that is where it is replaced; any other call (another backend, other axes, keepDims) goes
 * to tfjs's own moments unchanged. (Mathematically the same gradient, except the term through
 * the mean inside the variance, which is zero: the deviations from the mean sum to zero.)
 */
export function installFusedMoments(backendName: string): void {
  if (installed) return;
  installed = true;
  const original = core.moments;
  core.moments = ((x: tf.Tensor | tf.TensorLike, axis?: number | number[], keepDims?: boolean) => {
    if (tf.getBackend() !== backendName || !perChannel(x, axis, keepDims)) return original(x, axis, keepDims);
    return tf.tidy(() => {
      const channels = x.shape[x.rank - 1];
      const stats = fusedStats(x);
      return {
        mean: tf.reshape(tf.slice(stats, [0, 0], [1, channels]), [channels]),
        variance: tf.reshape(tf.slice(stats, [1, 0], [1, channels]), [channels]),
      };
    });
  }) as typeof tf.moments;
}
