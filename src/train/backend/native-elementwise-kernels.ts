import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './native-addon.js';
import { broadcastPlan } from './native-broadcast.js';
import { f32, output, type NativeKernel } from './native-kernel-util.js';

/** Codes of src/native/src/elementwise.h's BinaryOp and UnaryOp. */
const BINARY: Record<string, number> = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, Maximum: 4, Minimum: 5, SquaredDifference: 6 };
const UNARY: Record<string, number> = { Relu: 0, Step: 1, Square: 2, Neg: 3, Sqrt: 4, Rsqrt: 5, Abs: 6 };

/** Plans with more axes than the native loop takes (8) go to the JS kernel. */
const MAX_RANK = 8;

export function elementwiseKernels(addon: NativeAddon): NativeKernel[] {
  const binary = Object.entries(BINARY).map(([kernelName, op]): NativeKernel => ({
    kernelName,
    run: ({ inputs, backend }) => {
      const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const av = f32(backend, a);
      const bv = f32(backend, b);
      if (!av || !bv) return null;
      const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const plan = broadcastPlan(outShape, a.shape, b.shape);
      if (plan[0] > MAX_RANK || outShape.includes(0)) return null;
      const out = output(backend, outShape);
      addon.binary(op, av, bv, out.values, plan);
      return out.info();
    },
  }));
  const unary = Object.entries(UNARY).map(([kernelName, op]): NativeKernel => ({
    kernelName,
    run: ({ inputs, attrs, backend }) => {
      const { x } = inputs as { x: tf.TensorInfo };
      const xv = f32(backend, x);
      if (!xv) return null;
      const out = output(backend, [...x.shape]);
      addon.unary(op, (attrs as { alpha?: number } | undefined)?.alpha ?? 0, xv, out.values);
      return out.info();
    },
  }));
  return [...binary, ...unary];
}
