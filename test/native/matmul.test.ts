import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/util/rng.js';
import { assertClose, randomTensor, runBoth, skip, useNative } from './fixtures.js';

interface Case {
  a: number[];
  b: number[];
  ta: boolean;
  tb: boolean;
}

const CASES: Case[] = [
  { a: [5, 7], b: [7, 3], ta: false, tb: false },
  { a: [7, 5], b: [7, 3], ta: true, tb: false },
  { a: [5, 7], b: [3, 7], ta: false, tb: true },
  { a: [7, 5], b: [3, 7], ta: true, tb: true },
  { a: [3, 4, 5], b: [3, 5, 6], ta: false, tb: false }, // batched
  { a: [1, 4, 5], b: [3, 6, 5], ta: false, tb: true }, // a broadcast over the batch
  { a: [2, 3, 5, 4], b: [5, 6], ta: true, tb: false }, // b without batch
  // Big enough to be cut into pieces, along rows and along columns.
  { a: [300, 64], b: [64, 200], ta: false, tb: false },
  { a: [32, 1024], b: [256, 1024], ta: false, tb: true },
  { a: [1024, 32], b: [1024, 256], ta: true, tb: false },
];

test('native BatchMatMul matches the JS kernel', { skip }, async () => {
  await useNative();
  const rng = new Rng(21);
  for (const c of CASES) {
    const r = await runBoth('BatchMatMul', { a: randomTensor(c.a, rng), b: randomTensor(c.b, rng) }, { transposeA: c.ta, transposeB: c.tb });
    assert.deepEqual(r.gotShape, r.wantShape, JSON.stringify(c));
    assertClose(r.got, r.want, 1e-5, `BatchMatMul ${JSON.stringify(c)}`);
  }
});

test('native _FusedMatMul (bias, ReLU) matches the JS kernel', { skip }, async () => {
  await useNative();
  const rng = new Rng(22);
  for (const c of CASES) {
    const n = c.tb ? c.b[c.b.length - 2] : c.b[c.b.length - 1];
    for (const activation of ['linear', 'relu']) {
      for (const withBias of [true, false]) {
        const inputs = { a: randomTensor(c.a, rng), b: randomTensor(c.b, rng), bias: withBias ? randomTensor([n], rng) : undefined };
        const r = await runBoth('_FusedMatMul', inputs, { transposeA: c.ta, transposeB: c.tb, activation, leakyreluAlpha: 0.2 });
        assertClose(r.got, r.want, 1e-5, `_FusedMatMul ${activation} bias=${withBias} ${JSON.stringify(c)}`);
      }
    }
  }
});
