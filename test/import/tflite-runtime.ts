/**
 * TFLite's own runtime in Node, as the tests' oracle: @tensorflow/tfjs-tflite's WASM build (the
 * TFLite interpreter with the XNNPACK delegate, as on a desktop). It is written for browsers, so it
 * gets the few globals it looks for: no SharedArrayBuffer (so it picks the single-threaded build),
 * `self`/`location` (it then loads like a web worker), `importScripts` evaluating its loader script,
 * and `fetch` reading its .wasm file, both from the package's wasm/ folder on disk.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';

const require = createRequire(import.meta.url);
const BASE = 'http://tflite.invalid/';

interface RunnerTensor {
  dataType: string;
  shape: string;
  data(): Int8Array | Uint8Array | Float32Array | Int32Array;
}
interface Runner {
  getInputs(): RunnerTensor[];
  getOutputs(): RunnerTensor[];
  infer(): boolean;
  cleanUp(): void;
}

let loaded: Promise<{ create(model: ArrayBuffer, options: { numThreads: number }): Promise<Runner> }> | undefined;

function load() {
  if (loaded) return loaded;
  const pkg = dirname(require.resolve('@tensorflow/tfjs-tflite/package.json'));
  const local = (url: string) => join(pkg, 'wasm', String(url).slice(BASE.length));
  const g = globalThis as Record<string, unknown>;
  delete g.SharedArrayBuffer;
  g.self = globalThis;
  g.location = { href: BASE, origin: BASE.slice(0, -1) };
  g.importScripts = (url: string) => vm.runInThisContext(readFileSync(local(url), 'utf8'), { filename: url });
  g.fetch = async (url: string) => new Response(readFileSync(local(url)), { headers: { 'content-type': 'application/wasm' } });
  const tflite = require('@tensorflow/tfjs-tflite') as { setWasmPath(path: string): void };
  tflite.setWasmPath(BASE);
  loaded = Promise.resolve((g.tfweb as { TFLiteWebModelRunner: never }).TFLiteWebModelRunner);
  return loaded;
}

/** Run a .tflite model on `count` inputs (raw bytes of its int8 input, back to back); outputs as bytes. */
export async function runTflite(model: Uint8Array, inputs: Uint8Array, count: number): Promise<{ outputs: Uint8Array; outputBytes: number }> {
  const factory = await load();
  const runner = await factory.create(model.slice().buffer, { numThreads: 1 });
  try {
    const input = runner.getInputs()[0].data();
    const n = input.byteLength;
    const out0 = runner.getOutputs()[0].data();
    const outputBytes = out0.byteLength;
    const outputs = new Uint8Array(count * outputBytes);
    for (let i = 0; i < count; i++) {
      new Uint8Array(input.buffer, input.byteOffset, n).set(inputs.subarray(i * n, (i + 1) * n));
      if (!runner.infer()) throw new Error('TFLite inference failed');
      const out = runner.getOutputs()[0].data();
      outputs.set(new Uint8Array(out.buffer, out.byteOffset, outputBytes), i * outputBytes);
    }
    return { outputs, outputBytes };
  } finally {
    runner.cleanUp();
  }
}
