import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getModelSpec } from '../../src/models/registry.js';
import { createAdam } from '../../src/train/backend/native-adam.js';
import { selectBackend } from '../../src/train/backend/select-backend.js';
import { Rng } from '../../src/util/rng.js';
import { addon, randomValues, skip, useNative } from './fixtures.js';

const STEPS = 20;
const BATCH = 8;

interface Run {
  losses: number[];
  weights: Float32Array;
}

/** ResNet-8 from a fixed seed, trained on fixed random data: the loss at each step. */
async function trainRun(backend: 'native' | 'wasm', steps = STEPS): Promise<Run> {
  if (backend === 'native') await useNative();
  else await selectBackend('wasm');
  const rng = new Rng(61);
  const model = getModelSpec('resnet8').build(5);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const opt = createAdam(2e-3, 0.9); // kit's Adam: fused on native, tfjs's on wasm
  const x = tf.tensor4d(randomValues(BATCH * 32 * 32 * 3, rng), [BATCH, 32, 32, 3]);
  const labels = Int32Array.from({ length: BATCH }, () => rng.int(10));
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true, vars)!;
    losses.push(loss.dataSync()[0]);
    loss.dispose();
  }
  const weights = Float32Array.from(vars.flatMap((v) => Array.from(v.dataSync())));
  tf.dispose([x, y]);
  opt.dispose();
  model.dispose();
  return { losses, weights };
}

test('ResNet-8 trains on the native backend along the same loss curve as on wasm', { skip }, async () => {
  const wasm = await trainRun('wasm');
  const native = await trainRun('native');
  // The curve must fall (the model learns the batch) and agree step by step: only float
  // rounding differs between the backends (measured: within 3e-5 over these 20 steps).
  assert.ok(native.losses[STEPS - 1] < native.losses[0] * 0.5, `native loss did not fall: ${native.losses.join(', ')}`);
  native.losses.forEach((l, i) => {
    assert.ok(Math.abs(l - wasm.losses[i]) <= 3e-4 * (1 + Math.abs(wasm.losses[i])), `step ${i}: native ${l} vs wasm ${wasm.losses[i]}`);
  });
});

test('native training is bit-identical run to run, and with 1 or 2 threads', { skip }, async () => {
  const threads = addon!.info().threads;
  try {
    addon!.setThreads(2);
    const a = await trainRun('native', 5);
    const b = await trainRun('native', 5);
    addon!.setThreads(1);
    const c = await trainRun('native', 5);
    assert.deepEqual(b.losses, a.losses);
    assert.deepEqual(c.losses, a.losses);
    assert.ok(Buffer.from(b.weights.buffer).equals(Buffer.from(a.weights.buffer)), 'weights differ between two runs');
    assert.ok(Buffer.from(c.weights.buffer).equals(Buffer.from(a.weights.buffer)), 'weights differ between 1 and 2 threads');
  } finally {
    addon!.setThreads(threads);
  }
});
