import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registerWasmConvFilterGrad } from '../../src/train/backend/wasm-conv-filter-grad.js';
import { Rng } from '../../src/util/rng.js';

interface Case {
  x: [number, number, number, number];
  k: number;
  co: number;
  stride: number;
  pad: 'same' | 'valid';
}

const CASES: Case[] = [
  { x: [2, 8, 8, 3], k: 3, co: 4, stride: 1, pad: 'same' },
  { x: [2, 8, 8, 3], k: 3, co: 4, stride: 2, pad: 'same' },
  { x: [3, 9, 7, 2], k: 3, co: 5, stride: 2, pad: 'same' },
  { x: [2, 8, 8, 4], k: 1, co: 6, stride: 2, pad: 'same' },
  { x: [1, 10, 10, 3], k: 3, co: 2, stride: 1, pad: 'valid' },
  { x: [2, 11, 9, 3], k: 3, co: 3, stride: 2, pad: 'valid' },
  { x: [4, 32, 32, 16], k: 3, co: 32, stride: 2, pad: 'same' },
];

function randomArray(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.next() * 2 - 1;
  return a;
}

async function filterGrad(backend: string, c: Case, xv: Float32Array, dyv: Float32Array, dyShape: number[]): Promise<Float32Array> {
  await tf.setBackend(backend);
  const x = tf.tensor4d(xv, c.x);
  const dy = tf.tensor4d(dyv, dyShape as [number, number, number, number]);
  const g = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
    strides: c.stride,
    pad: c.pad,
    dataFormat: 'NHWC',
    filterShape: [c.k, c.k, c.x[3], c.co],
  }) as tf.Tensor;
  const out = (await g.data()) as Float32Array;
  tf.dispose([x, dy, g]);
  return out;
}

test('the composed wasm Conv2DBackpropFilter matches the reference CPU kernel', async () => {
  await tf.ready();
  registerWasmConvFilterGrad();
  const rng = new Rng(7);
  for (const c of CASES) {
    const [b, h, w] = c.x;
    const oh = c.pad === 'same' ? Math.ceil(h / c.stride) : Math.ceil((h - c.k + 1) / c.stride);
    const ow = c.pad === 'same' ? Math.ceil(w / c.stride) : Math.ceil((w - c.k + 1) / c.stride);
    const dyShape = [b, oh, ow, c.co];
    const xv = randomArray(c.x.reduce((p, q) => p * q), rng);
    const dyv = randomArray(dyShape.reduce((p, q) => p * q), rng);
    const want = await filterGrad('cpu', c, xv, dyv, dyShape);
    const got = await filterGrad('wasm', c, xv, dyv, dyShape);
    assert.equal(got.length, want.length, JSON.stringify(c));
    for (let i = 0; i < want.length; i++) {
      assert.ok(Math.abs(got[i] - want[i]) <= 1e-4 * (1 + Math.abs(want[i])), `${JSON.stringify(c)} [${i}]: ${got[i]} vs ${want[i]}`);
    }
  }
});
