import * as tf from '@tensorflow/tfjs-core';
import { silenceCpuAdvert } from './quiet-cpu.js';
import { KitError } from '../../errors.js';
import { loadNativeAddon } from './native-addon.js';
import { registerWasmConvFilterGrad } from './wasm-conv-filter-grad.js';
import { optionalImport } from '../../util/optional-import.js';

export type BackendChoice = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'native' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: BackendChoice[] = ['auto', 'tensorflow-gpu', 'tensorflow', 'native', 'wasm', 'cpu'];

export interface SelectedBackend {
  name: string;
  /** One line for the user: what runs, and why that one. */
  description: string;
  /** Why a faster backend was passed over, when one was (also printed once to stderr). */
  note?: string;
}

// tfjs-node(-gpu) cannot be a hard dependency: their install downloads libtensorflow.
const tryImport = optionalImport;

async function useTensorflow(pkg: string, backend: string, label: string): Promise<SelectedBackend | undefined> {
  if (!(await tryImport(pkg))) return undefined;
  if (!(await tf.setBackend(backend))) return undefined;
  return { name: backend, description: `${label} (${pkg})` };
}

/** kit's C++ kernels (src/native) on tfjs-backend-cpu's storage; the reason when not built. */
async function useNative(): Promise<SelectedBackend | string> {
  const load = loadNativeAddon();
  if (!load.ok) return load.reason;
  await import('@tensorflow/tfjs-backend-cpu');
  const { registerNativeBackend, NATIVE_BACKEND } = await import('./native-backend.js');
  registerNativeBackend(load.addon);
  if (!(await tf.setBackend(NATIVE_BACKEND))) return 'the native backend failed to start';
  const threads = `${load.threads} thread${load.threads === 1 ? '' : 's'}`;
  const { blas, dnnl } = load.addon.info();
  const convs = dnnl ? `, ${dnnl} convolutions` : '';
  return { name: NATIVE_BACKEND, description: `native CPU kernels (kit's C++ addon, ${threads}, ${blas}${convs})` };
}

let noted = false;

/** Says once per process why the native backend was passed over: a note, not an error. */
function noteOnce(note: string): void {
  if (noted) return;
  noted = true;
  process.stderr.write(`note: ${note}\n`);
}

async function useWasm(): Promise<SelectedBackend> {
  await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend('wasm'))) {
    throw new KitError('backend', 'train', 'the WebAssembly backend failed to start', 'try --backend cpu');
  }
  registerWasmConvFilterGrad();
  return { name: 'wasm', description: 'WebAssembly (XNNPACK, one thread), with kit\'s Conv2D filter gradient' };
}

async function useCpu(): Promise<SelectedBackend> {
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  silenceCpuAdvert(tf.backend());
  return { name: 'cpu', description: 'plain JavaScript (slow; for checking results only)' };
}

/**
 * Picks the fastest available backend: TensorFlow with a GPU, then TensorFlow on the CPU (both only
 * when their optional packages are installed), then kit's native CPU kernels (when the addon is
 * built), then WebAssembly. An explicit choice that is not available is an error, not a silent
 * fallback.
 */
export async function selectBackend(choice: BackendChoice = 'auto'): Promise<SelectedBackend> {
  const missing = (pkg: string) =>
    new KitError('backend', 'train', `${pkg} is not installed`, `npm install ${pkg} (needs libtensorflow), or use --backend wasm`);
  switch (choice) {
    case 'tensorflow-gpu':
      return (await useTensorflow('@tensorflow/tfjs-node-gpu', 'tensorflow', 'TensorFlow on the GPU')) ?? Promise.reject(missing('@tensorflow/tfjs-node-gpu'));
    case 'tensorflow':
      return (await useTensorflow('@tensorflow/tfjs-node', 'tensorflow', 'TensorFlow on the CPU')) ?? Promise.reject(missing('@tensorflow/tfjs-node'));
    case 'native': {
      const native = await useNative();
      if (typeof native !== 'string') return native;
      throw new KitError('backend', 'train', `the native CPU backend is unavailable: ${native}`, 'run node scripts/build-native.mjs (needs g++ and libopenblas-dev), or use --backend wasm');
    }
    case 'wasm':
      return useWasm();
    case 'cpu':
      return useCpu();
    case 'auto': {
      const tensorflow =
        (await useTensorflow('@tensorflow/tfjs-node-gpu', 'tensorflow', 'TensorFlow on the GPU')) ??
        (await useTensorflow('@tensorflow/tfjs-node', 'tensorflow', 'TensorFlow on the CPU'));
      if (tensorflow) return tensorflow;
      const native = await useNative();
      if (typeof native !== 'string') return native;
      const note = `kit's native CPU kernels are not in use (${native}); training on WebAssembly instead`;
      noteOnce(note);
      return { ...(await useWasm()), note };
    }
    default:
      throw new KitError('backend', 'train', `unknown backend '${choice as string}'`, `choose one of: ${BACKEND_CHOICES.join(', ')}`);
  }
}
