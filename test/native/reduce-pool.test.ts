import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nativeKernels } from '../../src/train/backend/native-backend.js';
import { Rng } from '../../src/util/rng.js';
import { addon, assertClose, assertSame, randomTensor, runBoth, skip, useNative } from './fixtures.js';

const REDUCTIONS: { shape: number[]; axis: number | number[] | null; keepDims: boolean }[] = [
  { shape: [4, 8, 8, 16], axis: [0, 1, 2], keepDims: false }, // per channel (BatchNorm, bias grads)
  { shape: [4, 8, 8, 16], axis: [0, 1, 2], keepDims: true },
  { shape: [32, 32, 32, 16], axis: [0, 1, 2], keepDims: false }, // many slices
  { shape: [5, 10], axis: [1], keepDims: false }, // per row (softmax)
  { shape: [5, 10], axis: -1, keepDims: true },
  { shape: [7], axis: null, keepDims: false }, // everything
  { shape: [1, 2, 10], axis: [0, 1], keepDims: false },
  { shape: [3, 4, 5, 6], axis: [1, 2], keepDims: false }, // a middle run
  { shape: [3, 40000], axis: [0], keepDims: false },
];

test('native Sum and Mean match the JS kernels over runs of axes', { skip }, async () => {
  await useNative();
  const rng = new Rng(41);
  for (const name of ['Sum', 'Mean']) {
    for (const c of REDUCTIONS) {
      const r = await runBoth(name, { x: randomTensor(c.shape, rng) }, { axis: c.axis, keepDims: c.keepDims } as unknown as tf.NamedAttrMap);
      assert.deepEqual(r.gotShape, r.wantShape, `${name} ${JSON.stringify(c)}`);
      assertClose(r.got, r.want, 1e-6, `${name} ${JSON.stringify(c)}`);
    }
  }
});

test('native Sum declines axes that are not neighbours, and the backend falls back to JS', { skip }, async () => {
  const backend = await useNative();
  const sum = nativeKernels(addon!).find((k) => k.kernelName === 'Sum')!;
  const x = randomTensor([3, 4, 5], new Rng(42));
  assert.equal(sum.run({ inputs: { x }, attrs: { axis: [0, 2], keepDims: false }, backend }), null);
  const got = tf.sum(x, [0, 2]).dataSync();
  await tf.setBackend('cpu');
  assertClose(got, tf.sum(tf.tensor(x.dataSync(), x.shape), [0, 2]).dataSync(), 1e-6, 'Sum [0, 2]');
});

test('native Tile gives exactly the JS kernel\'s values', { skip }, async () => {
  await useNative();
  const rng = new Rng(43);
  for (const [shape, reps] of [
    [[1, 1, 1, 16], [4, 8, 8, 1]], // BatchNorm's gradient tiles a per-channel vector
    [[2, 3], [2, 2]],
    [[3, 1, 2], [1, 4, 3]],
    [[5], [3]],
  ]) {
    const r = await runBoth('Tile', { x: randomTensor(shape, rng) }, { reps });
    assert.deepEqual(r.gotShape, r.wantShape);
    assertSame(r.got, r.want, `Tile ${JSON.stringify([shape, reps])}`);
  }
});

const POOLS: { x: number[]; filterSize: number | [number, number]; strides: number | [number, number]; pad: 'same' | 'valid' | number }[] = [
  { x: [2, 8, 8, 3], filterSize: 2, strides: 2, pad: 'valid' },
  { x: [4, 8, 8, 64], filterSize: 8, strides: 8, pad: 'valid' }, // ResNet-8's global pool
  { x: [2, 9, 7, 3], filterSize: 3, strides: 2, pad: 'same' }, // padding: the average counts fewer pixels
  { x: [2, 6, 6, 2], filterSize: 3, strides: 1, pad: 'same' }, // overlapping windows
  { x: [1, 7, 9, 4], filterSize: [2, 3], strides: [1, 2], pad: 1 },
];

test('native AvgPool and AvgPoolGrad match the JS kernels', { skip }, async () => {
  await useNative();
  const rng = new Rng(44);
  for (const c of POOLS) {
    const attrs = { filterSize: c.filterSize, strides: c.strides, pad: c.pad } as unknown as tf.NamedAttrMap;
    const x = randomTensor(c.x, rng);
    const fwd = await runBoth('AvgPool', { x }, attrs);
    assert.deepEqual(fwd.gotShape, fwd.wantShape);
    assertClose(fwd.got, fwd.want, 1e-6, `AvgPool ${JSON.stringify(c)}`);
    const dy = randomTensor(fwd.wantShape, rng);
    const back = await runBoth('AvgPoolGrad', { dy, input: x }, attrs);
    assert.deepEqual(back.gotShape, c.x);
    assertClose(back.got, back.want, 1e-6, `AvgPoolGrad ${JSON.stringify(c)}`);
  }
});

test('native FusedBatchNorm matches the JS kernel', { skip }, async () => {
  await useNative();
  const rng = new Rng(45);
  const positive = (shape: number[]) => tf.add(tf.abs(randomTensor(shape, rng)), 0.1);
  for (const shape of [[4, 5, 5, 6], [3, 16], [2, 32, 32, 16]]) {
    const c = shape[shape.length - 1];
    for (const params of [[c, c, c, c], [c, c, 0, 0], [1, c, 1, c]]) {
      const [m, v, o, s] = params;
      const inputs = {
        x: randomTensor(shape, rng),
        mean: randomTensor([m], rng),
        variance: positive([v]),
        offset: o ? randomTensor([o], rng) : undefined,
        scale: s ? randomTensor([s], rng) : undefined,
      };
      const r = await runBoth('FusedBatchNorm', inputs, { varianceEpsilon: 1e-3 });
      assertClose(r.got, r.want, 1e-6, `FusedBatchNorm ${JSON.stringify([shape, params])}`);
    }
  }
});
