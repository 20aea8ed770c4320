import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getModelSpec } from '../../src/models/registry.js';
import { foldBatchNorm } from '../../src/train/fold-batchnorm.js';
import { Rng } from '../../src/util/rng.js';

/** Trained-like BatchNorm statistics: gamma, beta and means in [-1, 1), variances in [0.25, 2.25). */
function randomizeBatchNorms(model: ReturnType<ReturnType<typeof getModelSpec>['build']>, rng: Rng): void {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    layer.setWeights(layer.getWeights().map((w, i) => tf.tensor(Array.from({ length: w.size }, () => (i === 3 ? 0.25 + 2 * rng.next() : 2 * rng.next() - 1)), w.shape)));
  }
}

test('folding BatchNorm (and the ReLU after it) into the convolutions keeps ResNet-8\'s outputs', async () => {
  await tf.setBackend('cpu');
  const rng = new Rng(21);
  const model = getModelSpec('resnet8').build(2);
  randomizeBatchNorms(model, rng);
  const folded = await foldBatchNorm(model);
  // 7 conv+BN pairs fold (4 of them with the ReLU after), 30 layers -> 19; the residual adds,
  // 1x1 shortcuts (no BatchNorm), pool and dense stay.
  assert.equal(model.layers.length, 30);
  assert.deepEqual(folded.layers.map((l) => l.getClassName()), [
    'InputLayer', 'Conv2D', 'Conv2D', 'Conv2D', 'Add', 'ReLU', 'Conv2D', 'Conv2D', 'Conv2D', 'Add', 'ReLU',
    'Conv2D', 'Conv2D', 'Conv2D', 'Add', 'ReLU', 'AveragePooling2D', 'Flatten', 'Dense',
  ]);
  assert.equal(folded.getLayer('stem_conv').getConfig().activation, 'relu');
  assert.equal(folded.getLayer('stack1_b_conv').getConfig().activation, 'linear');
  const x = tf.tensor4d(Array.from({ length: 4 * 32 * 32 * 3 }, () => 2 * rng.next() - 1), [4, 32, 32, 3]);
  const want = (model.apply(x, { training: false }) as tf.Tensor).dataSync();
  const got = (folded.apply(x, { training: false }) as tf.Tensor).dataSync();
  const scale = Math.max(...Array.from(want, Math.abs));
  assert.ok(scale > 0.1, `outputs are not trivially small (${scale})`);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= 1e-5 * scale, `logit ${i}: ${got[i]} vs ${want[i]}`);
  // The copy owns its weights: disposing it leaves the trained model usable.
  folded.dispose();
  assert.deepEqual((model.apply(x, { training: false }) as tf.Tensor).dataSync(), want);
  model.dispose();
});
