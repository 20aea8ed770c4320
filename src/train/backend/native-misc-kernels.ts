import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './native-addon.js';
import { f32, output, size, type NativeKernel } from './native-kernel-util.js';

/** Tile and FusedBatchNorm: the two full-size kernels of BatchNorm's forward and gradient. */
export function miscKernels(addon: NativeAddon): NativeKernel[] {
  return [
    {
      kernelName: 'Tile',
      run: ({ inputs, attrs, backend }) => {
        const { x } = inputs as { x: tf.TensorInfo };
        const { reps } = attrs as { reps: number[] };
        const xv = f32(backend, x);
        if (!xv || x.shape.length === 0 || x.shape.length > 8 || reps.length !== x.shape.length) return null;
        const outShape = x.shape.map((d, i) => d * reps[i]);
        if (size(outShape) === 0) return null;
        const out = output(backend, outShape);
        addon.tile(xv, out.values, Int32Array.from([x.shape.length, ...x.shape, ...reps]));
        return out.info();
      },
    },
    {
      kernelName: 'FusedBatchNorm',
      run: ({ inputs, attrs, backend }) => {
        const { x, mean, variance, offset, scale } = inputs as Record<string, tf.TensorInfo | undefined>;
        const { varianceEpsilon } = attrs as { varianceEpsilon: number };
        const xv = f32(backend, x);
        if (!x || !xv || x.shape.length === 0 || size(x.shape) === 0) return null;
        const channels = x.shape[x.shape.length - 1];
        // Each parameter: one value per channel, or one value for all (tfjs cycles shorter ones
        // through the flat tensor; other lengths are left to the JS kernel).
        const param = (t: tf.TensorInfo | undefined) => {
          if (!t) return { ok: true, v: null };
          const v = f32(backend, t);
          return { ok: v !== null && (v.length === channels || v.length === 1), v };
        };
        const [m, v, o, s] = [param(mean), param(variance), param(offset), param(scale)];
        if (!mean || !variance || !m.ok || !v.ok || !o.ok || !s.ok) return null;
        const out = output(backend, [...x.shape]);
        addon.batchNorm(xv, m.v!, v.v!, o.v, s.v, out.values, channels, varianceEpsilon);
        return out.info();
      },
    },
  ];
}
