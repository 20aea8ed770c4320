import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './native-addon.js';
import { broadcastPlan } from './native-broadcast.js';
import { f32, output, type NativeKernel } from './native-kernel-util.js';

/**
 * Kernels that exist only on the native backend, for the fused gradients of native-gradients.ts
 * and the fused training BatchNorm of native-batchnorm.ts. Each replaces a chain of full-size
 * tfjs ops with one pass.
 */
export const KIT_RELU_GRAD = 'KitReluGrad';
export const KIT_SQUARE_GRAD = 'KitSquareGrad';
export const KIT_MEAN_GRAD = 'KitMeanGrad';
export const KIT_BATCH_NORM_GRAD_X = 'KitBatchNormGradX';
export const KIT_MOMENTS = 'KitMoments';
export const KIT_MOMENTS_GRAD = 'KitMomentsGrad';
export const KIT_BATCH_NORM_TRAIN_GRAD = 'KitBatchNormTrainGrad';

/** Codes of src/native/src/elementwise.h's BinaryOp. */
const DIV = 3, RELU_GRAD = 7, SQUARE_GRAD = 8;

export function gradientKernels(addon: NativeAddon): NativeKernel[] {
  const dyTimes = (kernelName: string, op: number): NativeKernel => ({
    kernelName,
    run: ({ inputs, backend }) => {
      const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
      const dyv = f32(backend, dy);
      const xv = f32(backend, x);
      if (!dyv || !xv || !tf.util.arraysEqual(dy.shape, x.shape)) return null;
      const out = output(backend, [...x.shape]);
      addon.binary(op, dyv, xv, out.values, broadcastPlan(x.shape, x.shape, x.shape));
      return out.info();
    },
  });
  return [
    // dy * step(x): Relu's gradient (tfjs: step, cast, multiply).
    dyTimes(KIT_RELU_GRAD, RELU_GRAD),
    // dy * (2 * x): Square's gradient (tfjs: two multiplies).
    dyTimes(KIT_SQUARE_GRAD, SQUARE_GRAD),
    {
      // dy (with the reduced axes kept as 1) spread over `shape` and divided by the count: Mean's
      // gradient (tfjs: ones, multiply, divide).
      kernelName: KIT_MEAN_GRAD,
      run: ({ inputs, attrs, backend }) => {
        const { dy } = inputs as { dy: tf.TensorInfo };
        const { shape, reduceSize } = attrs as { shape: number[]; reduceSize: number };
        const dyv = f32(backend, dy);
        if (!dyv) return null;
        const out = output(backend, [...shape]);
        addon.binary(DIV, dyv, Float32Array.of(reduceSize), out.values, broadcastPlan(shape, dy.shape, []));
        return out.info();
      },
    },
    {
      // (dy * invStd) * scale per channel: BatchNorm's gradient through the normalisation.
      kernelName: KIT_BATCH_NORM_GRAD_X,
      run: ({ inputs, backend }) => {
        const { dy, invStd, scale } = inputs as Record<string, tf.TensorInfo | undefined>;
        const dyv = f32(backend, dy);
        const inv = f32(backend, invStd);
        const sv = scale ? f32(backend, scale) : null;
        if (!dy || !dyv || !inv || (scale && !sv)) return null;
        const out = output(backend, [...dy.shape]);
        addon.batchNormGradX(dyv, inv, sv, out.values, dy.shape[dy.shape.length - 1]);
        return out.info();
      },
    },
    {
      // [mean; variance] per channel (the last axis) over all other axes, as a [2, C] tensor.
      kernelName: KIT_MOMENTS,
      run: ({ inputs, backend }) => {
        const { x } = inputs as { x: tf.TensorInfo };
        const xv = f32(backend, x);
        if (!xv || x.shape.length < 2 || xv.length === 0) return null;
        const channels = x.shape[x.shape.length - 1];
        const out = output(backend, [2, channels]);
        addon.moments(xv, out.values, channels);
        return out.info();
      },
    },
    {
      // The gradient of KitMoments given dy = [dmean; dvar].
      kernelName: KIT_MOMENTS_GRAD,
      run: ({ inputs, backend }) => {
        const { x, stats, dy } = inputs as Record<string, tf.TensorInfo>;
        const [xv, sv, dv] = [f32(backend, x), f32(backend, stats), f32(backend, dy)];
        if (!xv || !sv || !dv) return null;
        const out = output(backend, [...x.shape]);
        addon.momentsGrad(xv, sv, dv, out.values, x.shape[x.shape.length - 1]);
        return out.info();
      },
    },
    {
      // Training BatchNorm's whole gradient: [dx, dscale, doffset] from dy, x, the batch mean
      // and variance of x, and scale.
      kernelName: KIT_BATCH_NORM_TRAIN_GRAD,
      run: ({ inputs, attrs, backend }) => {
        const { x, dy, mean, variance, scale } = inputs as Record<string, tf.TensorInfo>;
        const v = [x, dy, mean, variance, scale].map((t) => f32(backend, t));
        if (v.some((a) => !a)) return null;
        const channels = x.shape[x.shape.length - 1];
        const [dx, dscale, doffset] = [output(backend, [...x.shape]), output(backend, [channels]), output(backend, [channels])];
        addon.batchNormTrainGrad(v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, dx.values, dscale.values, doffset.values, channels, (attrs as { varianceEpsilon: number }).varianceEpsilon);
        return [dx.info(), dscale.info(), doffset.info()];
      },
    },
  ];
}
