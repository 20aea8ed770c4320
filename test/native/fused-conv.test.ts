import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tfjsFusedConv2d } from '../../src/train/backend/native-fused-conv.js';
import { Rng } from '../../src/util/rng.js';
import { randomTensor, skip, useNative } from './fixtures.js';

interface Case {
  x: [number, number, number, number];
  f: [number, number, number, number];
  strides: number;
  bias: boolean;
}
const CASES: Case[] = [
  { x: [2, 8, 8, 3], f: [3, 3, 3, 16], strides: 1, bias: true },
  { x: [2, 9, 9, 16], f: [3, 3, 16, 32], strides: 2, bias: true },
  { x: [2, 8, 8, 16], f: [1, 1, 16, 32], strides: 2, bias: false },
];

const bits = (t: tf.Tensor) => Buffer.from((t.dataSync() as Float32Array).slice().buffer);

test('fused.conv2d on the native backend: the same values and gradients as tfjs, bit for bit', { skip }, async () => {
  await useNative();
  const rng = new Rng(21);
  for (const c of CASES) {
    const x = randomTensor(c.x, rng);
    const w = randomTensor(c.f, rng);
    const b = c.bias ? randomTensor([c.f[3]], rng) : undefined;
    const r = randomTensor(tf.backend_util.computeConv2DInfo(c.x, c.f, c.strides, 1, 'same').outShape, rng);
    const run = (conv: typeof tf.fused.conv2d) => {
      const f = (...a: tf.Tensor[]) => tf.sum(tf.mul(conv({ x: a[0] as tf.Tensor4D, filter: a[1] as tf.Tensor4D, bias: a[2], strides: c.strides, pad: 'same' }), r));
      const y = conv({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, bias: b, strides: c.strides, pad: 'same' });
      return [y, ...tf.grads(f)(b ? [x, w, b] : [x, w])];
    };
    const got = run(tf.fused.conv2d);
    const want = run(tfjsFusedConv2d);
    assert.notEqual(tf.fused.conv2d, tfjsFusedConv2d, 'the native path is not installed');
    ['y', 'dx', 'dw', 'db'].slice(0, got.length).forEach((name, i) => assert.ok(bits(got[i]).equals(bits(want[i])), `${name} differs for ${JSON.stringify(c)}`));
  }
});

test('fused.conv2d: no input gradient is computed for an input that needs none', { skip }, async () => {
  await useNative();
  const rng = new Rng(22);
  const x = randomTensor([2, 8, 8, 3], rng) as tf.Tensor4D;
  const w = tf.variable(randomTensor([3, 3, 3, 16], rng));
  const b = tf.variable(randomTensor([16], rng));
  const kernelsOf = async (conv: typeof tf.fused.conv2d) => {
    const info = await tf.profile(() => tf.variableGrads(() => tf.sum(conv({ x, filter: w as tf.Tensor4D, bias: b, strides: 1, pad: 'same' }))));
    return info.kernelNames;
  };
  assert.ok((await kernelsOf(tfjsFusedConv2d)).includes('Conv2DBackpropInput'), 'tfjs computes the input gradient: this test proves nothing');
  const names = await kernelsOf(tf.fused.conv2d);
  assert.ok(names.includes('Conv2DBackpropFilter'));
  assert.ok(!names.includes('Conv2DBackpropInput'), `kernels: ${names.join(', ')}`);
});
