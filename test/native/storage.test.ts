import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getModelSpec } from '../../src/models/registry.js';
import { createAdam } from '../../src/train/backend/native-adam.js';
import type { RecyclingCpuBackend } from '../../src/train/backend/native-storage.js';
import { Rng } from '../../src/util/rng.js';
import { randomValues, skip, useNative } from './fixtures.js';

const N = 4096; // above the length from which outputs are recycled

async function storage(): Promise<RecyclingCpuBackend> {
  return (await useNative()) as unknown as RecyclingCpuBackend;
}
const valuesOf = (backend: RecyclingCpuBackend, t: tf.Tensor) => backend.data.get(t.dataId)!.values as Float32Array;

test('a disposed output is reused for the next output of its length, and only then', { skip }, async () => {
  const backend = await storage();
  const x = tf.tensor1d(randomValues(N, new Rng(1)));
  const a = tf.relu(x);
  const buffer = valuesOf(backend, a).buffer;
  const b = tf.relu(x); // a is alive: b must get its own buffer
  assert.notEqual(valuesOf(backend, b).buffer, buffer);
  a.dispose();
  const c = tf.neg(x);
  assert.equal(valuesOf(backend, c).buffer, buffer);
  tf.dispose([x, b, c]);
});

test('an array read out with dataSync is never reused', { skip }, async () => {
  const backend = await storage();
  const x = tf.tensor1d(randomValues(N, new Rng(2)));
  const a = tf.relu(x);
  const read = a.dataSync();
  const kept = Float32Array.from(read);
  a.dispose();
  const b = tf.neg(x);
  assert.notEqual(valuesOf(backend, b).buffer, read.buffer);
  assert.deepEqual(read, kept);
  tf.dispose([x, b]);
});

test('a view of a disposed output (a JS slice) keeps its buffer from reuse', { skip }, async () => {
  const backend = await storage();
  const x = tf.tensor1d(randomValues(N, new Rng(3)));
  const a = tf.relu(x);
  const view = tf.slice(a, [0], [N / 2]); // tfjs-backend-cpu: a subarray of a's values
  assert.equal(valuesOf(backend, view).buffer, valuesOf(backend, a).buffer, 'the slice is not a view: this test proves nothing');
  const buffer = valuesOf(backend, a).buffer;
  const kept = Float32Array.from(valuesOf(backend, view));
  a.dispose();
  const b = tf.neg(x);
  assert.notEqual(valuesOf(backend, b).buffer, buffer);
  assert.deepEqual(valuesOf(backend, view), kept);
  view.dispose(); // the last holder: now the buffer is free
  const c = tf.abs(x);
  assert.equal(valuesOf(backend, c).buffer, buffer);
  tf.dispose([x, b, c]);
});

test('training is bit-identical when every recycled buffer is full of NaN', { skip }, async () => {
  const backend = await storage();
  const run = (poison: boolean) => {
    const rng = new Rng(7);
    const model = getModelSpec('resnet8').build(3);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const opt = createAdam(2e-3, 0.9);
    const x = tf.tensor4d(randomValues(4 * 32 * 32 * 3, rng), [4, 32, 32, 3]);
    const y = tf.oneHot(tf.tensor1d(Int32Array.from({ length: 4 }, () => rng.int(10)), 'int32'), 10);
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) {
      if (poison) backend.fillFree(NaN);
      const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true, vars)!;
      losses.push(loss.dataSync()[0]);
      loss.dispose();
    }
    const weights = Float32Array.from(vars.flatMap((v) => Array.from(v.dataSync())));
    tf.dispose([x, y]);
    opt.dispose();
    model.dispose();
    return { losses, weights };
  };
  const clean = run(false);
  assert.ok(backend.recycledBytes() > 0, 'no buffer was recycled');
  const poisoned = run(true);
  assert.deepEqual(poisoned.losses, clean.losses);
  assert.ok(Buffer.from(poisoned.weights.buffer).equals(Buffer.from(clean.weights.buffer)), 'weights differ');
});
