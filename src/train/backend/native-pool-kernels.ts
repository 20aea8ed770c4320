import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './native-addon.js';
import { f32, output, type NativeKernel } from './native-kernel-util.js';

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The Int32Array layout of src/native/src/pool2d.h's PoolShape. */
function poolArgs(xShape: number[], a: PoolAttrs): { info: tf.backend_util.Conv2DInfo; args: Int32Array } | null {
  if (xShape.length !== 4 || xShape.includes(0)) return null;
  const c = tf.backend_util.computePool2DInfo(xShape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  if (c.outHeight <= 0 || c.outWidth <= 0) return null;
  const args = Int32Array.of(c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth, c.filterHeight, c.filterWidth, c.strideHeight, c.strideWidth, c.padInfo.top, c.padInfo.left);
  return { info: c, args };
}

export function poolKernels(addon: NativeAddon): NativeKernel[] {
  return [
    {
      kernelName: 'AvgPool',
      run: ({ inputs, attrs, backend }) => {
        const { x } = inputs as { x: tf.TensorInfo };
        const xv = f32(backend, x);
        const p = xv ? poolArgs(x.shape, attrs as unknown as PoolAttrs) : null;
        if (!p) return null;
        const out = output(backend, p.info.outShape);
        addon.avgPool(xv!, out.values, p.args);
        return out.info();
      },
    },
    {
      kernelName: 'AvgPoolGrad',
      run: ({ inputs, attrs, backend }) => {
        const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
        const dyv = f32(backend, dy);
        const p = dyv ? poolArgs(input.shape, attrs as unknown as PoolAttrs) : null;
        if (!p || p.info.outHeight !== dy.shape[1] || p.info.outWidth !== dy.shape[2]) return null;
        const out = output(backend, [...input.shape]);
        addon.avgPoolGrad(dyv!, out.values, p.args);
        return out.info();
      },
    },
  ];
}
