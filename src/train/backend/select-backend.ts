import * as tf from '@tensorflow/tfjs-core';
import { KitError } from '../../errors.js';
import { registerWasmConvFilterGrad } from './wasm-conv-filter-grad.js';

export type BackendChoice = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: BackendChoice[] = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export interface SelectedBackend {
  name: string;
  /** One line for the user: what runs, and why that one. */
  description: string;
}

/** Loads a package only if it is installed: tfjs-node(-gpu) cannot be a hard dependency. */
async function tryImport(pkg: string): Promise<boolean> {
  try {
    await import(pkg);
    return true;
  } catch {
    return false;
  }
}

async function useTensorflow(pkg: string, backend: string, label: string): Promise<SelectedBackend | undefined> {
  if (!(await tryImport(pkg))) return undefined;
  if (!(await tf.setBackend(backend))) return undefined;
  return { name: backend, description: `${label} (${pkg})` };
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
  return { name: 'cpu', description: 'plain JavaScript (slow; for checking results only)' };
}

/**
 * Picks the fastest available backend: TensorFlow with a GPU, then TensorFlow on the CPU (both only
 * when their optional packages are installed), then WebAssembly. An explicit choice that is not
 * available is an error, not a silent fallback.
 */
export async function selectBackend(choice: BackendChoice = 'auto'): Promise<SelectedBackend> {
  const missing = (pkg: string) =>
    new KitError('backend', 'train', `${pkg} is not installed`, `npm install ${pkg} (needs libtensorflow), or use --backend wasm`);
  switch (choice) {
    case 'tensorflow-gpu':
      return (await useTensorflow('@tensorflow/tfjs-node-gpu', 'tensorflow', 'TensorFlow on the GPU')) ?? Promise.reject(missing('@tensorflow/tfjs-node-gpu'));
    case 'tensorflow':
      return (await useTensorflow('@tensorflow/tfjs-node', 'tensorflow', 'TensorFlow on the CPU')) ?? Promise.reject(missing('@tensorflow/tfjs-node'));
    case 'wasm':
      return useWasm();
    case 'cpu':
      return useCpu();
    case 'auto':
      return (
        (await useTensorflow('@tensorflow/tfjs-node-gpu', 'tensorflow', 'TensorFlow on the GPU')) ??
        (await useTensorflow('@tensorflow/tfjs-node', 'tensorflow', 'TensorFlow on the CPU')) ??
        useWasm()
      );
    default:
      throw new KitError('backend', 'train', `unknown backend '${choice as string}'`, `choose one of: ${BACKEND_CHOICES.join(', ')}`);
  }
}
