/**
 * Training and inference throughput of each model on the selected backend, on random data of
 * CIFAR-10 shape (throughput does not depend on pixel values). Prints one line per measurement.
 *   npm run bench:train -- [--backend wasm] [--models resnet8,resnet-seed] [--batch 32] [--steps 20]
 *     [--threads N]   threads of the native backend (default: all cores; sets KIT_NATIVE_THREADS)
 *     [--profile]     also print the kernels that take the most time in a training step and in an
 *                     inference batch on tfjs (averaged over a quarter of --steps calls)
 *     [--infer tfjs]  time inference through tfjs even when the native inference plan is available
 *     [--vs-pytorch]  also run the same models, batch, steps and threads in PyTorch on the CPU
 *                     (scripts/pytorch/reference.py; needs python3-torch) and print both and the ratio
 * Rates are the mean over all timed steps and, in brackets, that of the fastest step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { getModelSpec } from '../src/models/registry.js';
import { createAdam } from '../src/train/backend/native-adam.js';
import { foldBatchNorm } from '../src/train/fold-batchnorm.js';
import { compileNativeInference } from '../src/train/native-inference.js';
import { selectBackend, type BackendChoice } from '../src/train/backend/select-backend.js';
import { findTorchPython, NO_TORCH, runReference } from './pytorch/run-reference.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    models: { type: 'string', default: 'resnet8,resnet-seed' },
    batch: { type: 'string', default: '32' },
    steps: { type: 'string', default: '20' },
    threads: { type: 'string' },
    profile: { type: 'boolean', default: false },
    infer: { type: 'string', default: 'auto' },
    'vs-pytorch': { type: 'boolean', default: false },
  },
});
const python = values['vs-pytorch'] ? findTorchPython() : undefined;
if (values['vs-pytorch'] && !python) {
  console.error(`bench:train --vs-pytorch: ${NO_TORCH}`);
  process.exit(1);
}
if (values.threads) process.env.KIT_NATIVE_THREADS = values.threads;
const batch = Number(values.batch);
const steps = Number(values.steps);
const backend = await selectBackend(values.backend as BackendChoice);
console.log(`backend: ${backend.description}; batch ${batch}`);

/** Time spent in each kernel while `f` runs, by wrapping the backend's kernels (sync only). */
function profileKernels(f: () => void): Map<string, { calls: number; ms: number }> {
  // (per-kernel times include any garbage collection that happens to fall inside a kernel)
  const stats = new Map<string, { calls: number; ms: number }>();
  const kernels = tf.getKernelsForBackend(backend.name);
  for (const k of kernels) {
    tf.unregisterKernel(k.kernelName, backend.name);
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        const t0 = performance.now();
        try {
          return k.kernelFunc(args);
        } finally {
          const s = stats.get(k.kernelName) ?? { calls: 0, ms: 0 };
          s.calls++;
          s.ms += performance.now() - t0;
          stats.set(k.kernelName, s);
        }
      },
    });
  }
  try {
    f();
  } finally {
    for (const k of kernels) {
      tf.unregisterKernel(k.kernelName, backend.name);
      tf.registerKernel(k);
    }
  }
  return stats;
}

for (const name of values.models!.split(',')) {
  const model = getModelSpec(name).build(1);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const opt = createAdam(1e-4, 0.9); // kit's optimizer, as kit train uses it
  const x = tf.randomNormal([batch, 32, 32, 3]);
  const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32') as tf.Tensor1D, 10);
  const step = () => {
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true, vars)!;
    loss.dataSync();
    loss.dispose();
  };
  // Inference as kit evaluates: on a copy with BatchNorm folded into the convolutions, through
  // the native plan when there is one (src/train/native-inference.ts), else through tfjs.
  const inference = await foldBatchNorm(model);
  const native = values.infer === 'tfjs' ? undefined : compileNativeInference(inference);
  const xData = x.dataSync() as Float32Array;
  const inferOnce = native?.ok
    ? () => native.inference.run(xData, batch)
    : () => tf.tidy(() => (inference.apply(x, { training: false }) as tf.Tensor).dataSync());
  const inferPath = native?.ok ? 'native plan' : native ? `tfjs: ${native.reason}` : 'tfjs';
  // Images/s over all n calls (mean) and of the fastest call (best): on a shared machine the best
  // call is the one least disturbed by other jobs, so ratios of bests compare the two sides best.
  const time = (f: () => void, n: number) => {
    f(); // warm-up: kernels and buffers are set up on the first call
    f();
    let fastest = Infinity;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      f();
      fastest = Math.min(fastest, performance.now() - t);
    }
    return { mean: (n * batch * 1000) / (performance.now() - t0), best: (batch * 1000) / fastest };
  };
  const train = time(step, name === 'resnet-seed' ? Math.max(2, steps / 4) : steps);
  const infer = time(inferOnce, steps);
  const rates = (r: { mean: number; best: number }) => `${r.mean.toFixed(1).padStart(7)} (best ${r.best.toFixed(1).padStart(7)})`;
  console.log(`${name.padEnd(12)} train ${rates(train)} images/s   infer ${rates(infer)} images/s   (kit, ${backend.name}; inference: ${inferPath})`);
  if (python) {
    // Same model, batch, step counts and threads, one after the other on the same machine.
    const threads = values.threads ?? String(availableParallelism());
    const [r] = await runReference(python, ['bench', '--model', name, '--batch', String(batch), '--steps', String(steps), '--threads', threads]);
    const pt = r as { train: number; infer: number; train_best: number; infer_best: number; torch: string; threads: number };
    const ptTrain = { mean: pt.train, best: pt.train_best };
    const ptInfer = { mean: pt.infer, best: pt.infer_best };
    console.log(`${name.padEnd(12)} train ${rates(ptTrain)} images/s   infer ${rates(ptInfer)} images/s   (PyTorch ${pt.torch}, CPU, ${pt.threads} threads)`);
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
    console.log(`${''.padEnd(12)} kit / PyTorch: train ${ratio(train.mean, ptTrain.mean)} (best ${ratio(train.best, ptTrain.best)})   infer ${ratio(infer.mean, ptInfer.mean)} (best ${ratio(infer.best, ptInfer.best)})`);
  }
  if (values.profile) {
    const n = Math.max(1, Math.round(steps / 4));
    const report = (what: string, f: () => void) => {
      const t0 = performance.now();
      const stats = profileKernels(() => {
        for (let i = 0; i < n; i++) f();
      });
      const total = (performance.now() - t0) / n;
      const inKernels = [...stats.values()].reduce((a, s) => a + s.ms, 0) / n;
      const calls = [...stats.values()].reduce((a, s) => a + s.calls, 0) / n;
      console.log(`  per ${what}: ${total.toFixed(1)} ms, ${inKernels.toFixed(1)} ms in ${calls} kernel calls`);
      for (const [kernel, s] of [...stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) {
        console.log(`  ${kernel.padEnd(24)} ${String(s.calls / n).padStart(5)} calls ${(s.ms / n).toFixed(2).padStart(9)} ms`);
      }
    };
    report('training step', step);
    // The native plan is one addon call, with no tfjs kernels to time: oneDNN lists its own.
    if (native?.ok) console.log('  per inference batch: one native plan call (ONEDNN_VERBOSE=1 prints each primitive\'s time)');
    else report('inference batch', inferOnce);
  }
  tf.dispose([x, y]);
  model.dispose();
  inference.dispose();
  if (native?.ok) native.inference.dispose();
}
