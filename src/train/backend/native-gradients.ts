import * as tf from '@tensorflow/tfjs-core';
// tfjs-layers registers tfjs's gradients when it loads (its bundle carries its own copy), which
// would replace the overrides below if it loaded after them: load it first.
import '@tensorflow/tfjs-layers';
import type { NativeAddon } from './native-addon.js';
import { KIT_BATCH_NORM_GRAD_X, KIT_MEAN_GRAD, KIT_RELU_GRAD, KIT_SQUARE_GRAD } from './native-gradient-kernels.js';

type GradFunc = tf.GradConfig['gradFunc'];
/** A faster gradient for the native backend, or null to use tfjs's own for these inputs. */
type FastGrad = (dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap) => ReturnType<GradFunc> | null;

const run = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}) => tf.engine().runKernel(name, inputs, attrs) as tf.Tensor;
const allFloat = (...ts: (tf.Tensor | undefined)[]) => ts.every((t) => !t || t.dtype === 'float32');

/**
 * tfjs composes these gradients from chains of full-size tensors: Relu's from step, cast and
 * multiply; Mean's from ones, multiply and divide; FusedBatchNorm's from about a dozen (tile,
 * subtract, multiplies, sums). On a CPU that memory traffic, not the arithmetic, is the cost.
 * These give the same values with one pass per result. (Training BatchNorm through tfjs-layers
 * goes further, see native-batchnorm.ts; these serve every other use, e.g. batchNorm with given
 * statistics.) tfjs keeps one gradient per op for all backends, so each override checks the
 * active backend and otherwise runs tfjs's own gradient: other backends (wasm) compute exactly
 * what they did before.
 */
function fastGradients(addon: NativeAddon): Record<string, FastGrad> {
  return {
    Relu: (dy, [x]) => (allFloat(dy, x) ? { x: () => run(KIT_RELU_GRAD, { dy, x }) } : null),
    Square: (dy, [x]) => (allFloat(dy, x) ? { x: () => run(KIT_SQUARE_GRAD, { dy, x }) } : null),
    Mean: (dy, [x], attrs) => {
      if (!allFloat(dy, x)) return null;
      const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
      const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const reduceSize = tf.util.sizeFromShape(axes.map((a) => x.shape[a]));
      return { x: () => run(KIT_MEAN_GRAD, { dy: tf.reshape(dy, kept) }, { shape: x.shape, reduceSize }) };
    },
    FusedBatchNorm: (dy, [x, mean, variance, scale], attrs) => {
      const channels = x.shape[x.shape.length - 1];
      const perChannel = (t: tf.Tensor | undefined) => !t || (t.rank === 1 && t.shape[0] === channels);
      if (!allFloat(dy, x, mean, variance, scale) || !perChannel(mean) || !perChannel(variance) || !perChannel(scale)) return null;
      const epsilon = attrs.varianceEpsilon as number;
      const invStd = () => tf.rsqrt(tf.add(variance, tf.scalar(epsilon)));
      const gamma = () => scale ?? tf.scalar(1);
      // Per channel: [sum dy, sum dy * (x - mean)], in one native pass shared by the closures
      // (plain arrays, so no tensor outlives the scope it was made in).
      let sums: Float32Array | undefined;
      const sum = (which: 0 | 1) => {
        if (!sums) {
          sums = new Float32Array(2 * channels);
          addon.batchNormGradSums(x.dataSync() as Float32Array, dy.dataSync() as Float32Array, mean.dataSync() as Float32Array, sums, channels);
        }
        return tf.tensor1d(sums.slice(which * channels, (which + 1) * channels));
      };
      return {
        x: () => run(KIT_BATCH_NORM_GRAD_X, scale ? { dy, invStd: invStd(), scale } : { dy, invStd: invStd() }),
        mean: () => tf.mul(tf.neg(tf.mul(invStd(), gamma())), sum(0)),
        variance: () => {
          const s = invStd();
          return tf.mul(tf.mul(tf.mul(tf.mul(tf.mul(s, s), s), -0.5), gamma()), sum(1));
        },
        scale: () => tf.mul(invStd(), sum(1)),
        offset: () => sum(0),
      };
    },
  };
}

let registered = false;

/** Installs the fused gradients (once per process); they act only while `backendName` is active. */
export function registerNativeGradients(addon: NativeAddon, backendName: string): void {
  if (registered) return;
  registered = true;
  for (const [kernelName, fast] of Object.entries(fastGradients(addon))) {
    const original = tf.getGradient(kernelName);
    if (!original) continue;
    const gradFunc: GradFunc = (dy, saved, attrs) =>
      (tf.getBackend() === backendName && fast(dy as tf.Tensor, saved, attrs)) || original.gradFunc(dy, saved, attrs);
    tf.registerGradient({ ...original, gradFunc });
  }
}
