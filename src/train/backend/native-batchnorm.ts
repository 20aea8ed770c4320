import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { KIT_BATCH_NORM_TRAIN_GRAD, KIT_MOMENTS, KIT_MOMENTS_GRAD } from './native-gradient-kernels.js';

/** tfjs-core as CommonJS: the module object tfjs-layers' bundle calls moments() and batchNorm4d() through. */
const core = createRequire(import.meta.url)('@tensorflow/tfjs-core') as { moments: typeof tf.moments; batchNorm4d: typeof tf.batchNorm4d };

const run = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}) => tf.engine().runKernel(name, inputs, attrs);

/** Batch mean and variance per channel as one op, [mean; variance], with a one-pass gradient. */
const fusedStats = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const stats = run(KIT_MOMENTS, { x }) as tf.Tensor;
  save([x, stats]);
  return { value: stats, gradFunc: (dy: tf.Tensor, [xs, s]: tf.Tensor[]) => run(KIT_MOMENTS_GRAD, { x: xs, stats: s, dy }) as tf.Tensor };
}) as (x: tf.Tensor) => tf.Tensor;

/** Which input a mean or variance made by the fused moments describes. */
const momentsOf = new WeakMap<tf.Tensor, { x: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor }>();

/** Reduces over every axis but the last (BatchNorm's case, NHWC) without keeping dims. */
function perChannel(x: unknown, axis: number | number[] | undefined, keepDims: boolean | undefined): x is tf.Tensor {
  if (keepDims || !(x instanceof tf.Tensor) || x.dtype !== 'float32' || x.rank < 2 || x.size === 0) return false;
  const shape: number[] = x.shape;
  const axes = (axis == null ? shape.map((_, i) => i) : tf.util.parseAxisParam(axis, shape)).sort((a, b) => a - b);
  return axes.length === shape.length - 1 && axes.every((a, i) => a === i);
}

/**
 * y = scale * (x - mean) / sqrt(variance + epsilon) + offset, where mean and variance are x's own
 * batch statistics: one op over (x, scale, offset) whose gradient for x already accounts for the
 * statistics' dependence on x, so none flows back through them.
 */
function trainingBatchNorm(x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, offset: tf.Tensor, scale: tf.Tensor, epsilon: number): tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, gamma, beta, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const y = run('FusedBatchNorm', { x: xs, mean, variance, offset: beta, scale: gamma }, { varianceEpsilon: epsilon }) as tf.Tensor;
    save([xs, mean, variance, gamma]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, [sx, m, v, g]: tf.Tensor[]) =>
        run(KIT_BATCH_NORM_TRAIN_GRAD, { x: sx, dy, mean: m, variance: v, scale: g }, { varianceEpsilon: epsilon }) as tf.Tensor[],
    };
  });
  return op(x, scale, offset);
}

let installed = false;

/**
 * tfjs-layers' BatchNormalization trains through tf.moments() (mean, subtract, square, mean) and
 * tf.batchNorm4d(), whose gradients make about a dozen full-size tensors per layer: on a CPU that
 * memory traffic and the garbage collection it causes cost more than the arithmetic. While
 * `backendName` is active, per-channel moments become one native op, and a batchNorm4d of x with
 * x's own fused moments becomes one op whose gradient is two passes (sums, then dx). tfjs-layers'
 * bundle calls both through tfjs-core's CommonJS exports, so that is where they are replaced;
 * every other call (another backend, other axes, keepDims, given statistics, no scale or offset)
 * goes to tfjs's own functions unchanged.
 */
export function installFusedBatchNorm(backendName: string): void {
  if (installed) return;
  installed = true;
  const originalMoments = core.moments;
  const originalBatchNorm4d = core.batchNorm4d;
  core.moments = ((x: tf.Tensor | tf.TensorLike, axis?: number | number[], keepDims?: boolean) => {
    if (tf.getBackend() !== backendName || !perChannel(x, axis, keepDims)) return originalMoments(x, axis, keepDims);
    const result = tf.tidy(() => {
      const channels = x.shape[x.rank - 1];
      const stats = fusedStats(x);
      return {
        mean: tf.reshape(tf.slice(stats, [0, 0], [1, channels]), [channels]),
        variance: tf.reshape(tf.slice(stats, [1, 0], [1, channels]), [channels]),
      };
    });
    const entry = { x, ...result };
    momentsOf.set(result.mean, entry);
    momentsOf.set(result.variance, entry);
    return result;
  }) as typeof tf.moments;
  core.batchNorm4d = ((x, mean, variance, offset, scale, epsilon = 0.001) => {
    const entry = tf.getBackend() === backendName && mean instanceof tf.Tensor ? momentsOf.get(mean) : undefined;
    const perChannelParam = (t: unknown): t is tf.Tensor => t instanceof tf.Tensor && t.dtype === 'float32' && t.rank === 1 && entry !== undefined && t.shape[0] === entry.x.shape[entry.x.rank - 1];
    if (!entry || entry.x !== x || entry.variance !== variance || entry.x.rank !== 4 || !perChannelParam(offset) || !perChannelParam(scale)) {
      return originalBatchNorm4d(x, mean, variance, offset, scale, epsilon);
    }
    return trainingBatchNorm(entry.x, entry.mean, entry.variance, offset, scale, epsilon) as tf.Tensor4D;
  }) as typeof tf.batchNorm4d;
}
