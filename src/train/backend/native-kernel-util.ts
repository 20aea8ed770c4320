import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { RecyclingCpuBackend } from './native-storage.js';

export interface NativeKernelArgs {
  inputs: tf.NamedTensorInfoMap;
  attrs: tf.NamedAttrMap;
  backend: MathBackendCPU;
}

/**
 * A kernel that runs natively when it can and returns null when it cannot (a dtype, layout or
 * attribute it does not handle): the registration then runs tfjs-backend-cpu's own kernel.
 */
export interface NativeKernel {
  kernelName: string;
  run(args: NativeKernelArgs): tf.TensorInfo | tf.TensorInfo[] | null;
}

/** The float32 values of a tensor held by the cpu-style backend, or null if it has none. */
export function f32(backend: MathBackendCPU, t: tf.TensorInfo | undefined | null): Float32Array | null {
  if (!t || t.dtype !== 'float32') return null;
  const values = backend.data.get(t.dataId).values;
  return values instanceof Float32Array ? values : null;
}

export function size(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * A float32 output and the function that hands it to the backend. On the native backend the array
 * may be a recycled one holding old values: the kernel must write every element.
 */
export function output(backend: MathBackendCPU, shape: number[]): { values: Float32Array; info: () => tf.TensorInfo } {
  const n = size(shape);
  const values = backend instanceof RecyclingCpuBackend ? backend.allocate(n) : new Float32Array(n);
  return { values, info: () => backend.makeTensorInfo(shape, 'float32', values) };
}

/** tfjs attributes take a number or a pair; the kernels want the pair. */
export function pair(v: number | number[]): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}
