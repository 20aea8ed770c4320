import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { loadNativeAddon, type NativeAddon } from '../../src/train/backend/native-addon.js';
import { NATIVE_BACKEND, nativeKernels, registerNativeBackend } from '../../src/train/backend/native-backend.js';
import type { RecyclingCpuBackend } from '../../src/train/backend/native-storage.js';
import { Rng } from '../../src/util/rng.js';
import { unavailable } from '../tools.js';

const load = loadNativeAddon();
/**
 * Tests of the addon skip (with the reason) where it is not built; test options take this. In CI
 * (KIT_REQUIRE_TOOLS=1, which installs g++ and OpenBLAS) a missing build fails instead: test/tools.ts.
 */
export const skip: string | false = unavailable(load.ok ? false : `native addon unavailable: ${load.reason}`);
export const addon: NativeAddon | undefined = load.ok ? load.addon : undefined;

/** Switches to the native backend (registering it first) and returns its storage. */
export async function useNative(): Promise<MathBackendCPU> {
  registerNativeBackend(addon!);
  await tf.setBackend(NATIVE_BACKEND);
  return tf.backend() as MathBackendCPU;
}

/** Uniform values in [-1, 1), seeded. */
export function randomValues(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.next() * 2 - 1;
  return a;
}

export function randomTensor(shape: number[], rng: Rng): tf.Tensor {
  return tf.tensor(randomValues(tf.util.sizeFromShape(shape), rng), shape, 'float32');
}

export interface BothResults {
  got: Float32Array;
  want: Float32Array;
  gotShape: number[];
  wantShape: number[];
}

/**
 * Runs one kernel twice on the same inputs and backend storage: kit's native implementation,
 * which must not decline, and tfjs-backend-cpu's JS kernel of the same name (the reference,
 * registered under 'cpu' and never overridden).
 */
export async function runBoth(kernelName: string, inputs: Record<string, tf.Tensor | undefined>, attrs: tf.NamedAttrMap): Promise<BothResults> {
  const backend = await useNative();
  const native = nativeKernels(addon!).find((k) => k.kernelName === kernelName);
  assert.ok(native, `no native ${kernelName}`);
  const infos = Object.fromEntries(Object.entries(inputs).filter(([, t]) => t !== undefined)) as tf.NamedTensorInfoMap;
  const want = tf.getKernel(kernelName, 'cpu')!.kernelFunc({ inputs: infos, attrs, backend }) as tf.TensorInfo;
  // The native output comes from the recycled buffers (native-storage.ts): one full of NaN must
  // not show through, so every element has to be written.
  seedRecycled(backend, tf.util.sizeFromShape(want.shape), NaN);
  const got = native.run({ inputs: infos, attrs, backend });
  assert.ok(got, `native ${kernelName} declined ${JSON.stringify(attrs)}`);
  assert.ok(!Array.isArray(got), `${kernelName} has one output`);
  const read = (t: tf.TensorInfo) => {
    const v = Float32Array.from(backend.readSync(t.dataId) as Float32Array);
    backend.disposeData(t.dataId);
    return v;
  };
  return { gotShape: got.shape, wantShape: want.shape, got: read(got), want: read(want) };
}

/** Leaves one recycled buffer of `length` floats, all `value`, for the backend's next output of that length. */
export function seedRecycled(backend: MathBackendCPU, length: number, value: number): void {
  const storage = backend as RecyclingCpuBackend;
  const values = storage.allocate(length).fill(value);
  storage.disposeData(storage.write(values, [length], 'float32'));
}

/** Element-wise closeness, scaled by the largest reference magnitude (sums of many products). */
export function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, label: string): void {
  assert.equal(got.length, want.length, `${label}: length`);
  let scale = 1;
  for (let i = 0; i < want.length; i++) if (Number.isFinite(want[i])) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) {
    const ok = Math.abs(got[i] - want[i]) <= rtol * scale || (Number.isNaN(got[i]) && Number.isNaN(want[i]));
    if (!ok) assert.fail(`${label} [${i}]: ${got[i]} vs ${want[i]} (tolerance ${rtol * scale})`);
  }
}

/** Exactly equal values (NaN equals NaN, -0 equals 0): for kernels with the same roundings. */
export function assertSame(got: ArrayLike<number>, want: ArrayLike<number>, label: string): void {
  assert.equal(got.length, want.length, `${label}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!(got[i] === want[i] || (Number.isNaN(got[i]) && Number.isNaN(want[i])))) assert.fail(`${label} [${i}]: ${got[i]} vs ${want[i]}`);
  }
}
