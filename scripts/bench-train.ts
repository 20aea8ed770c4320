/**
 * Training and inference throughput of each model on the selected backend, on random data of
 * CIFAR-10 shape (throughput does not depend on pixel values). Prints one line per measurement.
 *   npm run bench:train -- [--backend wasm] [--models resnet8,resnet-seed] [--batch 32] [--steps 20]
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { getModelSpec } from '../src/models/registry.js';
import { selectBackend, type BackendChoice } from '../src/train/backend/select-backend.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    models: { type: 'string', default: 'resnet8,resnet-seed' },
    batch: { type: 'string', default: '32' },
    steps: { type: 'string', default: '20' },
  },
});
const batch = Number(values.batch);
const steps = Number(values.steps);
const backend = await selectBackend(values.backend as BackendChoice);
console.log(`backend: ${backend.description}; batch ${batch}`);

for (const name of values.models!.split(',')) {
  const model = getModelSpec(name).build(1);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const opt = tf.train.adam(1e-4);
  const x = tf.randomNormal([batch, 32, 32, 3]);
  const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32') as tf.Tensor1D, 10);
  const step = () => {
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true, vars)!;
    loss.dataSync();
    loss.dispose();
  };
  const infer = () => tf.tidy(() => (model.apply(x, { training: false }) as tf.Tensor).dataSync());
  const time = (f: () => void, n: number) => {
    f(); // warm-up: kernels and buffers are set up on the first call
    f();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) f();
    return (n * batch * 1000) / (performance.now() - t0);
  };
  const trainRate = time(step, name === 'resnet-seed' ? Math.max(2, steps / 4) : steps);
  const inferRate = time(infer, steps);
  console.log(`${name.padEnd(12)} train ${trainRate.toFixed(1).padStart(7)} images/s   infer ${inferRate.toFixed(1).padStart(7)} images/s`);
  tf.dispose([x, y]);
  model.dispose();
}
