import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The C++ addon built from src/native (see src/native/src/addon.cc for each argument layout). */
export interface NativeAddon {
  /** dnnl: "oneDNN x.y.z" when the convolutions run on oneDNN, "" when on kit's own kernels. */
  info(): { blas: string; threads: number; dnnl: string };
  setThreads(n: number): void;
  /** Convolutions on oneDNN (the default when the addon was built with it) or on kit's kernels. */
  setDnnl(on: boolean): void;
  conv2d(x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, shape: Int32Array): void;
  conv2dBackpropInput(dy: Float32Array, w: Float32Array, dx: Float32Array, shape: Int32Array): void;
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, shape: Int32Array): void;
  matmul(a: Float32Array, b: Float32Array, bias: Float32Array | null, out: Float32Array, shape: Int32Array): void;
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, plan: Int32Array): void;
  unary(op: number, alpha: number, x: Float32Array, out: Float32Array): void;
  reduceSum(x: Float32Array, out: Float32Array, outer: number, reduce: number, inner: number, scale: number): void;
  tile(x: Float32Array, out: Float32Array, plan: Int32Array): void;
  avgPool(x: Float32Array, y: Float32Array, shape: Int32Array): void;
  avgPoolGrad(dy: Float32Array, dx: Float32Array, shape: Int32Array): void;
  batchNorm(
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    offset: Float32Array | null,
    scale: Float32Array | null,
    y: Float32Array,
    channels: number,
    epsilon: number,
  ): void;
  batchNormGradSums(x: Float32Array, dy: Float32Array, mean: Float32Array, sums: Float32Array, channels: number): void;
  batchNormGradX(dy: Float32Array, invStd: Float32Array, scale: Float32Array | null, dx: Float32Array, channels: number): void;
  moments(x: Float32Array, out: Float32Array, channels: number): void;
  momentsGrad(x: Float32Array, stats: Float32Array, d: Float32Array, dx: Float32Array, channels: number): void;
  batchNormTrainGrad(
    x: Float32Array,
    dy: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    scale: Float32Array,
    dx: Float32Array,
    dscale: Float32Array,
    doffset: Float32Array,
    channels: number,
    epsilon: number,
  ): void;
  /** Adam's update in place; consts: see src/native/src/adam.h (all float32 values). */
  /** Integer convolution of the reference interpreter (src/native/src/int_conv.h); shape [pixels, channels, kh, run, rowStride]. */
  intConvPack(w: Int16Array, packed: Int16Array, shape: Int32Array): void;
  intConvSums(x: Int16Array, origins: Int32Array, packed: Int16Array, sums: Int32Array, shape: Int32Array): void;
  adamStep(w: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, consts: Float32Array): void;
  /** A compiled inference plan (src/native/src/infer_plan.h; built by src/train/native-inference.ts); throws when it cannot be made. */
  inferPlanCreate(tensors: Int32Array, steps: Int32Array, weights: Float32Array[], io: Int32Array): unknown;
  inferPlanRun(plan: unknown, x: Float32Array, n: number, out: Float32Array): void;
  inferPlanFree(plan: unknown): void;
}

export type NativeLoad = { ok: true; addon: NativeAddon; threads: number } | { ok: false; reason: string };

/** The package root: the nearest folder above this file with a package.json (src/ and dist/ alike). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

export const NATIVE_ADDON_PATH = join(packageRoot(), 'src', 'native', 'build', 'Release', 'kit_native.node');

function threadCount(): number {
  const env = Number(process.env.KIT_NATIVE_THREADS);
  return Number.isInteger(env) && env >= 1 ? env : availableParallelism();
}

let loaded: NativeLoad | undefined;

/**
 * Loads the addon once. Never throws: a missing or broken build is a reason, so callers can fall
 * back. KIT_NATIVE=0 turns it off; KIT_NATIVE_THREADS sets the thread count (default: all cores).
 */
export function loadNativeAddon(): NativeLoad {
  if (loaded) return loaded;
  if (process.env.KIT_NATIVE === '0') return (loaded = { ok: false, reason: 'turned off by KIT_NATIVE=0' });
  if (!existsSync(NATIVE_ADDON_PATH)) {
    const why = readBuildNote();
    return (loaded = { ok: false, reason: why ?? 'not built (npm install builds it when g++ and libopenblas-dev are present)' });
  }
  try {
    const addon = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as NativeAddon;
    const threads = threadCount();
    addon.setThreads(threads);
    return (loaded = { ok: true, addon, threads });
  } catch (e) {
    return (loaded = { ok: false, reason: `failed to load ${NATIVE_ADDON_PATH}: ${(e as Error).message.split('\n')[0]}` });
  }
}

/** scripts/build-native.mjs leaves the reason a build was skipped or failed in src/native/build/build-note.txt. */
function readBuildNote(): string | undefined {
  try {
    return readFileSync(join(dirname(NATIVE_ADDON_PATH), '..', 'build-note.txt'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
