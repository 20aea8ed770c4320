import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAdam } from '../../src/train/backend/native-adam.js';
import { Rng } from '../../src/util/rng.js';
import { addon, assertSame, randomValues, skip, useNative } from './fixtures.js';

// Sizes: below, at and above the addon's 16,384-element task, and one not a multiple of 8.
const SHAPES = [[3], [16384], [40000], [7, 9, 11]];
const STEPS = 6;

interface Result {
  weights: Float32Array[];
  moments: Float32Array[];
  accBetas: number[];
  iterations: number;
}

/**
 * STEPS Adam steps on fixed weights and gradients, changing the learning rate and beta1 between
 * steps as the one-cycle schedule does, with the gradients scaled so some are large, some tiny.
 */
async function run(backend: 'native' | 'cpu', opt: () => tf.AdamOptimizer): Promise<Result> {
  if (backend === 'native') await useNative();
  else await tf.setBackend('cpu');
  const rng = new Rng(77);
  const vars = SHAPES.map((s, i) => tf.variable(tf.tensor(randomValues(tf.util.sizeFromShape(s), rng), s), true, `adam_test_${backend}_${i}`));
  const adam = opt();
  for (let step = 0; step < STEPS; step++) {
    const scale = 10 ** (step - 3);
    const grads = vars.map((v) => ({ name: v.name, tensor: tf.tensor(randomValues(v.size, rng).map((g) => g * scale), v.shape) }));
    const a = adam as unknown as { learningRate: number; beta1: number };
    a.learningRate = 1e-3 * (1 + step);
    a.beta1 = 0.95 - 0.02 * step;
    adam.applyGradients(grads);
    tf.dispose(grads.map((g) => g.tensor));
  }
  const internals = adam as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable };
  const result: Result = {
    weights: vars.map((v) => Float32Array.from(v.dataSync() as Float32Array)),
    moments: (await adam.getWeights()).slice(1).map((w) => Float32Array.from(w.tensor.dataSync() as Float32Array)),
    accBetas: [internals.accBeta1.dataSync()[0], internals.accBeta2.dataSync()[0]],
    iterations: (adam as unknown as { iterations: number }).iterations,
  };
  adam.dispose();
  tf.dispose(vars);
  return result;
}

test("kit's Adam on the native backend equals tfjs's Adam on the cpu backend bit for bit", { skip }, async () => {
  assert.equal(typeof addon!.adamStep, 'function', 'the addon predates the fused Adam step: npm run build:native');
  const want = await run('cpu', () => tf.train.adam(1e-3, 0.95));
  const got = await run('native', () => createAdam(1e-3, 0.95));
  assert.equal(got.moments.length, 2 * SHAPES.length);
  want.weights.forEach((w, i) => assertSame(got.weights[i], w, `weights ${i}`));
  want.moments.forEach((m, i) => assertSame(got.moments[i], m, `moment ${i}`));
  assert.deepEqual(got.accBetas, want.accBetas);
  assert.equal(got.iterations, STEPS);
  // The update moved the weights (a no-op update would pass the equality above only if tfjs's did too).
  const start = randomValues(SHAPES[0][0], new Rng(77));
  assert.notDeepEqual(Array.from(got.weights[0]), Array.from(start));
});

test("kit's Adam leaves a tensor that shares a variable's storage unchanged", { skip }, async () => {
  await useNative();
  const v = tf.variable(tf.tensor1d([1, 2, 3]), true, 'adam_test_shared');
  const kept = v.clone(); // same storage as v until v is updated
  const adam = createAdam(0.1, 0.9);
  const g = tf.tensor1d([1, -1, 0.5]);
  adam.applyGradients([{ name: v.name, tensor: g }]);
  assert.deepEqual(Array.from(kept.dataSync()), [1, 2, 3]);
  // First Adam step: m/(1-b1) = g, v/(1-b2) = g^2, so each weight moves by lr * sign(g) (up to epsilon).
  const after = Array.from(v.dataSync());
  [0.9, 2.1, 2.9].forEach((want, i) => assert.ok(Math.abs(after[i] - want) < 1e-6, `weight ${i}: ${after[i]} vs ${want}`));
  tf.dispose([v, kept, g]);
  adam.dispose();
});
