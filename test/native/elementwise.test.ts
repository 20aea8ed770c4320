import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { broadcastPlan } from '../../src/train/backend/native-broadcast.js';
import { Rng } from '../../src/util/rng.js';
import { assertSame, randomTensor, randomValues, runBoth, skip, useNative } from './fixtures.js';

const BINARY = ['Add', 'Sub', 'Multiply', 'RealDiv', 'Maximum', 'Minimum', 'SquaredDifference'];
const SHAPES: [number[], number[]][] = [
  [[4, 5, 6, 7], [4, 5, 6, 7]],
  [[4, 5, 6, 7], [7]], // a per-channel vector (BatchNorm)
  [[7], [4, 5, 6, 7]],
  [[1, 1, 1, 7], [4, 5, 6, 7]],
  [[4, 5, 6, 7], []], // scalar
  [[], [3, 4]],
  [[2, 1], [2, 10]],
  [[1, 3, 1], [2, 1, 4]], // both broadcast
  [[4, 1, 5], [4, 6, 5]], // a middle axis
  [[16, 32, 32, 16], [16, 32, 32, 16]], // many tasks
  [[16, 32, 32, 16], [1, 1, 1, 16]],
];

test('broadcastPlan merges axes the way the native loop wants', () => {
  assert.deepEqual([...broadcastPlan([4, 5, 6, 7], [4, 5, 6, 7], [4, 5, 6, 7])], [1, 840, 1, 1]);
  assert.deepEqual([...broadcastPlan([4, 5, 6, 7], [4, 5, 6, 7], [7])], [2, 120, 7, 7, 1, 0, 1]);
  assert.deepEqual([...broadcastPlan([4, 5, 6, 7], [4, 5, 6, 7], [])], [1, 840, 1, 0]);
  assert.deepEqual([...broadcastPlan([2, 3, 4], [1, 3, 1], [2, 1, 4])], [3, 2, 3, 4, 0, 1, 0, 4, 0, 1]);
  assert.deepEqual([...broadcastPlan([], [], [])], [1, 1, 0, 0]);
});

test('native binary kernels give exactly the JS kernels\' values, with broadcasting', { skip }, async () => {
  await useNative();
  const rng = new Rng(31);
  for (const name of BINARY) {
    for (const [sa, sb] of SHAPES) {
      const r = await runBoth(name, { a: randomTensor(sa, rng), b: randomTensor(sb, rng) }, {});
      assert.deepEqual(r.gotShape, r.wantShape);
      assertSame(r.got, r.want, `${name} ${JSON.stringify([sa, sb])}`);
    }
  }
});

test('native binary kernels propagate NaN and infinities as the JS kernels do', { skip }, async () => {
  await useNative();
  const special = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 3e38];
  const a = tf.tensor1d(special.flatMap((x) => special.map(() => x)));
  const b = tf.tensor1d(special.flatMap(() => special));
  for (const name of BINARY) {
    const r = await runBoth(name, { a, b }, {});
    assertSame(r.got, r.want, `${name} special values`);
  }
});

test('native unary kernels give exactly the JS kernels\' values', { skip }, async () => {
  await useNative();
  const rng = new Rng(32);
  const values = randomValues(20000, rng).map((v) => v * 10);
  values.set([NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 3e38]);
  const x = tf.tensor1d(values);
  for (const name of ['Relu', 'Step', 'Square', 'Neg', 'Sqrt', 'Rsqrt', 'Abs']) {
    const r = await runBoth(name, { x }, name === 'Step' ? { alpha: 0.25 } : {});
    assertSame(r.got, r.want, name);
  }
});
