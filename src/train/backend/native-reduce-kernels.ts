import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './native-addon.js';
import { f32, output, size, type NativeKernel, type NativeKernelArgs } from './native-kernel-util.js';

/**
 * Sum and Mean over a run of neighbouring axes (the NHWC per-channel reductions of BatchNorm and
 * bias gradients are axes [0, 1, 2]): the tensor is read as [outer, reduce, inner] without the
 * transpose tfjs-backend-cpu makes. Other axis sets go to the JS kernel.
 */
function reduce(addon: NativeAddon, { inputs, attrs, backend }: NativeKernelArgs, mean: boolean): tf.TensorInfo | null {
  const { x } = inputs as { x: tf.TensorInfo };
  const { axis, keepDims } = attrs as { axis: number | number[] | null; keepDims: boolean };
  const xv = f32(backend, x);
  if (!xv || size(x.shape) === 0) return null;
  const axes = (axis == null ? x.shape.map((_, i) => i) : tf.util.parseAxisParam(axis, x.shape)).sort((p, q) => p - q);
  if (axes.length === 0 || axes.some((a, i) => i > 0 && a !== axes[i - 1] + 1)) return null;
  const first = axes[0], last = axes[axes.length - 1];
  const outer = size(x.shape.slice(0, first));
  const count = size(x.shape.slice(first, last + 1));
  const inner = size(x.shape.slice(last + 1));
  let outShape = tf.backend_util.computeOutAndReduceShapes(x.shape, axes)[0];
  if (keepDims) outShape = tf.backend_util.expandShapeToKeepDim(outShape, axes);
  const out = output(backend, outShape);
  addon.reduceSum(xv, out.values, outer, count, inner, mean ? 1 / count : 1);
  return out.info();
}

export function reduceKernels(addon: NativeAddon): NativeKernel[] {
  return [
    { kernelName: 'Sum', run: (args) => reduce(addon, args, false) },
    { kernelName: 'Mean', run: (args) => reduce(addon, args, true) },
  ];
}
