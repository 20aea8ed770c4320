import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { Rng } from '../../src/util/rng.js';
import { assertClose, randomValues, skip, useNative } from './fixtures.js';

type Fn = (...xs: tf.Tensor[]) => tf.Tensor;

/** Gradients of sum(f(...xs) * w) on a backend, w random so that every output matters. */
async function gradsOn(backend: string, f: Fn, shapes: number[][], seed: number): Promise<{ grads: Float32Array[]; kernels: string[] }> {
  if (backend === 'native') await useNative();
  else await tf.setBackend(backend);
  const rng = new Rng(seed);
  const xs = shapes.map((s) => tf.tensor(randomValues(tf.util.sizeFromShape(s), rng), s));
  const out = f(...xs);
  const w = tf.tensor(randomValues(out.size, rng), out.shape);
  let grads: tf.Tensor[] = [];
  const profile = await tf.profile(() => {
    grads = tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(f(...args), w)))(xs);
    return grads;
  });
  const values = grads.map((g) => Float32Array.from(g.dataSync()));
  tf.dispose([...xs, out, w, ...grads]);
  return { grads: values, kernels: profile.kernelNames };
}

const positive = (t: tf.Tensor) => tf.add(tf.abs(t), 0.5);
const CASES: { name: string; f: Fn; shapes: number[][]; fused: string }[] = [
  { name: 'relu', f: (x) => tf.relu(x), shapes: [[4, 6, 6, 8]], fused: 'KitReluGrad' },
  { name: 'square', f: (x) => tf.square(x), shapes: [[4, 6, 6, 8]], fused: 'KitSquareGrad' },
  { name: 'mean over NHW', f: (x) => tf.mean(x, [0, 1, 2]), shapes: [[4, 6, 6, 8]], fused: 'KitMeanGrad' },
  { name: 'mean over the last axis, kept', f: (x) => tf.mean(x, -1, true), shapes: [[3, 5, 7]], fused: 'KitMeanGrad' },
  {
    // What tfjs-layers' BatchNormalization does in training: batch moments, then batchNorm.
    name: 'training BatchNorm',
    f: (x, gamma, beta) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return tf.batchNorm(x, mean, variance, beta, gamma, 1e-5);
    },
    shapes: [[4, 6, 6, 8], [8], [8]],
    fused: 'KitBatchNormGradX',
  },
  {
    // Statistics as independent inputs: checks each parameter's gradient on its own. (tfjs
    // itself cannot differentiate batchNorm without both an offset and a scale.)
    name: 'BatchNorm with given statistics',
    f: (x, mean, variance, offset, scale) => tf.batchNorm(x, mean, positive(variance), offset, scale, 1e-3),
    shapes: [[3, 4, 4, 5], [5], [5], [5], [5]],
    fused: 'KitBatchNormGradX',
  },
];

for (const c of CASES) {
  test(`fused native gradient of ${c.name} matches tfjs's`, { skip }, async () => {
    const want = await gradsOn('cpu', c.f, c.shapes, 51);
    const got = await gradsOn('native', c.f, c.shapes, 51);
    assert.ok(got.kernels.includes(c.fused), `${c.fused} not used: ${got.kernels.join(' ')}`);
    assert.equal(got.grads.length, want.grads.length);
    got.grads.forEach((g, i) => assertClose(g, want.grads[i], 2e-5, `${c.name} d/dx${i}`));
  });
}

test('other backends keep tfjs\'s own gradients', { skip }, async () => {
  await useNative(); // installs the overrides
  const cpu = await gradsOn('cpu', CASES[4].f, CASES[4].shapes, 52);
  assert.ok(!cpu.kernels.some((k) => k.startsWith('Kit')), cpu.kernels.join(' '));
});

const core = createRequire(import.meta.url)('@tensorflow/tfjs-core') as typeof tf;

test('fused moments (as tfjs-layers calls them) match tfjs\'s, with their gradient', { skip }, async () => {
  await useNative(); // installs the fused BatchNorm on tfjs-core's CommonJS exports
  const momentsOf = (native: boolean) => (x: tf.Tensor) => {
    const { mean, variance } = (native ? core : tf).moments(x, [0, 1, 2]);
    return tf.concat([mean, variance]);
  };
  const shape = [[4, 6, 6, 8]];
  const want = await gradsOn('cpu', momentsOf(false), shape, 53);
  const got = await gradsOn('native', momentsOf(true), shape, 53);
  assert.ok(got.kernels.includes('KitMomentsGrad'), got.kernels.join(' '));
  assertClose(got.grads[0], want.grads[0], 2e-5, 'moments d/dx');
  // Values too, and other reductions still go to tfjs's own moments.
  await useNative();
  const x = tf.tensor(randomValues(4 * 6 * 6 * 8, new Rng(54)), [4, 6, 6, 8]);
  for (const [axes, keepDims] of [[[0, 1, 2], false], [[0, 1, 2], true], [[1, 2], false], [[3], false]] as [number[], boolean][]) {
    const a = core.moments(x, axes, keepDims);
    const b = tf.moments(x, axes, keepDims);
    assert.deepEqual(a.mean.shape, b.mean.shape);
    assertClose(a.mean.dataSync(), b.mean.dataSync(), 1e-6, `mean ${axes}`);
    assertClose(a.variance.dataSync(), b.variance.dataSync(), 1e-6, `variance ${axes}`);
  }
});

test('fused training BatchNorm (as tfjs-layers calls it) matches tfjs\'s, with its gradients', { skip }, async () => {
  await useNative();
  // tfjs-layers' training path: moments of x, then batchNorm4d of x with them. The statistics
  // also reach the output here, so gradients flow both through the fused op and around it.
  const layersBatchNorm = (native: boolean) => (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
    const lib = native ? core : tf;
    const { mean, variance } = lib.moments(x, [0, 1, 2]);
    const y = lib.batchNorm4d(x as tf.Tensor4D, mean as tf.Tensor1D, variance as tf.Tensor1D, beta as tf.Tensor1D, gamma as tf.Tensor1D, 1e-3);
    return tf.concat([tf.reshape(y, [-1]), mean, variance]);
  };
  const shapes = [[4, 6, 6, 8], [8], [8]];
  const want = await gradsOn('cpu', layersBatchNorm(false), shapes, 55);
  const got = await gradsOn('native', layersBatchNorm(true), shapes, 55);
  assert.ok(got.kernels.includes('KitBatchNormTrainGrad'), got.kernels.join(' '));
  got.grads.forEach((g, i) => assertClose(g, want.grads[i], 2e-5, `training BatchNorm d/dx${i}`));
  // Given statistics (not x's own fused moments) take tfjs's path.
  const given = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => core.batchNorm4d(x as tf.Tensor4D, tf.mean(x, [0, 1, 2]) as tf.Tensor1D, tf.ones([8]) as tf.Tensor1D, beta as tf.Tensor1D, gamma as tf.Tensor1D);
  const plain = await gradsOn('native', given, shapes, 56);
  assert.ok(!plain.kernels.includes('KitBatchNormTrainGrad'), plain.kernels.join(' '));
});
