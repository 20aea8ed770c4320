import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getModelSpec } from '../../src/models/registry.js';
import { evaluateAccuracy } from '../../src/train/evaluate.js';
import { foldBatchNorm } from '../../src/train/fold-batchnorm.js';
import { compileNativeInference, type NativeInference } from '../../src/train/native-inference.js';
import { Rng } from '../../src/util/rng.js';
import { addon, randomValues, skip as noAddon } from './fixtures.js';

// The plan runs on oneDNN: without it (an addon built without libdnnl-dev) it is never made.
const skip = noAddon || (addon!.info().dnnl ? false : 'the native addon was built without oneDNN');

/** Trained-like weights: every weight uniform in [-0.5, 0.5) x its fan-in scale, BatchNorm variances in [0.25, 2.25). */
function randomizeWeights(model: tfl.LayersModel, rng: Rng): void {
  for (const layer of model.layers) {
    const isBn = layer.getClassName() === 'BatchNormalization';
    layer.setWeights(
      layer.getWeights().map((w, i) => {
        const v = randomValues(w.size, rng);
        if (isBn && i === 3) return tf.tensor(v.map((r) => 1.25 + r), w.shape);
        const fanIn = w.shape.length > 1 ? w.size / w.shape[w.shape.length - 1] : 1;
        return tf.tensor(v.map((r) => r * Math.sqrt(3 / fanIn)), w.shape);
      }),
    );
  }
}

/** Logits of the tfjs path on the plain JS backend (the reference) and of the native plan. */
async function bothPaths(model: tfl.LayersModel, n: number, rng: Rng): Promise<{ want: Float32Array; got: Float32Array; inference: NativeInference }> {
  await tf.setBackend('cpu');
  const folded = await foldBatchNorm(model);
  const r = compileNativeInference(folded);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  const shape = (model.inputs[0].shape as number[]).slice(1);
  const x = randomValues(n * shape.reduce((a, b) => a * b, 1), rng);
  const want = (folded.apply(tf.tensor(x, [n, ...shape]), { training: false }) as tf.Tensor).dataSync() as Float32Array;
  folded.dispose();
  return { want, got: r.inference.run(x, n), inference: r.inference };
}

function assertClose(got: Float32Array, want: Float32Array, relative: number): void {
  assert.equal(got.length, want.length);
  const scale = Math.max(...Array.from(want, Math.abs));
  assert.ok(scale > 0.1, `outputs are not trivially small (${scale})`);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= relative * scale, `output ${i}: ${got[i]} vs ${want[i]}`);
}

test('native inference plan matches tfjs on ResNet-8 (a full chunk of 8 images and a tail of 3)', { skip }, async () => {
  const rng = new Rng(5);
  const model = getModelSpec('resnet8').build(3);
  randomizeWeights(model, rng);
  const { want, got, inference } = await bothPaths(model, 11, rng);
  assert.equal(inference.outputs, 10);
  assertClose(got, want, 1e-5);
  inference.dispose();
  model.dispose();
});

test('native inference plan matches tfjs on resnet-seed', { skip }, async () => {
  const rng = new Rng(6);
  const model = getModelSpec('resnet-seed').build(3);
  randomizeWeights(model, rng);
  const { want, got, inference } = await bothPaths(model, 2, rng);
  assertClose(got, want, 1e-5);
  inference.dispose();
  model.dispose();
});

/** Every other layer kind the plan supports: valid and strided convs, max and 'same' average pooling, standalone ReLUs and adds on images and rows, global pooling, dropout, dense with ReLU. */
function otherLayersModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [9, 11, 4] });
  const conv = (x: tfl.SymbolicTensor, filters: number, kernel: number, strides: number, padding: 'same' | 'valid') =>
    tfl.layers.conv2d({ filters, kernelSize: kernel, strides, padding, useBias: true }).apply(x) as tfl.SymbolicTensor;
  const a = conv(input, 8, 3, 2, 'valid'); // 4 x 5
  const pooled = tfl.layers.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same' }).apply(a) as tfl.SymbolicTensor;
  const relu = tfl.layers.reLU().apply(a) as tfl.SymbolicTensor; // a has two readers: not fused
  const sum = tfl.layers.add().apply([pooled, relu]) as tfl.SymbolicTensor;
  const avg = tfl.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(sum) as tfl.SymbolicTensor; // 2 x 3, edges partly padded
  const b = conv(avg, 16, 2, 1, 'same');
  const flat = tfl.layers.flatten().apply(b) as tfl.SymbolicTensor;
  const gap = tfl.layers.globalAveragePooling2d({}).apply(sum) as tfl.SymbolicTensor;
  const d1 = tfl.layers.dense({ units: 8, activation: 'relu' }).apply(flat) as tfl.SymbolicTensor;
  const d2 = tfl.layers.dense({ units: 8 }).apply(gap) as tfl.SymbolicTensor;
  const both = tfl.layers.add().apply([d1, d2]) as tfl.SymbolicTensor;
  const dropped = tfl.layers.dropout({ rate: 0.5 }).apply(both) as tfl.SymbolicTensor;
  const fusedRelu = tfl.layers.activation({ activation: 'relu' }).apply(dropped) as tfl.SymbolicTensor; // into the add before
  const rowRelu = tfl.layers.reLU().apply(d2) as tfl.SymbolicTensor; // d2 has two readers: a standalone ReLU on rows
  const rows = tfl.layers.add().apply([fusedRelu, rowRelu]) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 5 }).apply(rows) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

test('native inference plan matches tfjs on pooling, standalone ReLU and add, global pooling, dropout, dense', { skip }, async () => {
  const rng = new Rng(7);
  const model = otherLayersModel();
  randomizeWeights(model, rng);
  const { want, got, inference } = await bothPaths(model, 10, rng);
  assert.equal(inference.outputs, 5);
  assertClose(got, want, 1e-5);
  inference.dispose();
  model.dispose();
});

test('native inference is bit-identical run to run and with 1 or 2 threads', { skip }, async () => {
  const rng = new Rng(8);
  const model = getModelSpec('resnet8').build(4);
  randomizeWeights(model, rng);
  const folded = await foldBatchNorm(model);
  const r = compileNativeInference(folded);
  assert.ok(r.ok);
  const x = randomValues(37 * 32 * 32 * 3, rng);
  const threads = addon!.info().threads;
  try {
    addon!.setThreads(1);
    const one = r.inference.run(x, 37);
    addon!.setThreads(2);
    const two = r.inference.run(x, 37);
    const again = r.inference.run(x, 37);
    assert.deepEqual(two, one);
    assert.deepEqual(again, one);
  } finally {
    addon!.setThreads(threads);
    r.inference.dispose();
    folded.dispose();
    model.dispose();
  }
});

test('a model with a layer the plan does not support is refused with its name; evaluation falls back to tfjs', { skip }, async () => {
  await tf.setBackend('cpu');
  const input = tfl.input({ shape: [8, 8, 3] });
  const conv = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(input) as tfl.SymbolicTensor;
  const flat = tfl.layers.flatten().apply(conv) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 3, activation: 'softmax', name: 'probabilities' }).apply(flat) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: out });
  const r = compileNativeInference(model);
  assert.deepEqual(r, { ok: false, reason: "unsupported: activation 'softmax' of layer 'probabilities'" });
  // The same accuracy either way: here both run tfjs (the plan is refused).
  const rng = new Rng(9);
  const count = 20;
  const set = { images: Uint8Array.from({ length: count * 8 * 8 * 3 }, () => Math.floor(rng.next() * 256)), labels: Uint8Array.from({ length: count }, (_, i) => i % 3), count, shape: [8, 8, 3] };
  const table = Float32Array.from({ length: 3 * 256 }, (_, i) => (i % 256) / 255 - 0.5);
  assert.equal(await evaluateAccuracy(model, set, table, 8), await evaluateAccuracy(model, set, table, 8, { engine: 'tfjs' }));
  model.dispose();
});

test('evaluateAccuracy gives the same accuracy through the native plan as through tfjs', { skip }, async () => {
  await tf.setBackend('cpu');
  const rng = new Rng(10);
  const model = getModelSpec('resnet8').build(5);
  randomizeWeights(model, rng);
  const count = 40;
  const images = Uint8Array.from({ length: count * 32 * 32 * 3 }, () => Math.floor(rng.next() * 256));
  const probe = await foldBatchNorm(model);
  // Labels: tfjs' own predictions for the first half, wrong ones for the rest, so the accuracy is exactly 0.5
  // on the tfjs path and any disagreement of the native path shows.
  const table = Float32Array.from({ length: 3 * 256 }, (_, i) => ((i % 256) / 255 - 0.5) * 4);
  const x = Float32Array.from(images, (p, i) => table[(i % 3) * 256 + p]);
  const predicted = (tf.argMax(probe.apply(tf.tensor4d(x, [count, 32, 32, 3]), { training: false }) as tf.Tensor, 1).dataSync() as Int32Array);
  probe.dispose();
  const labels = Uint8Array.from(predicted, (p, i) => (i < count / 2 ? p : (p + 1) % 10));
  const set = { images, labels, count, shape: [32, 32, 3] };
  assert.equal(await evaluateAccuracy(model, set, table, 16, { engine: 'tfjs' }), 0.5);
  assert.equal(await evaluateAccuracy(model, set, table, 16), 0.5);
  model.dispose();
});

test('the addon checks a plan and its inputs', { skip }, () => {
  const tensors = Int32Array.of(0, 4, 4, 2, 1, 1, 1, 32);
  const steps = new Int32Array(16);
  steps.set([6, 1, 0, -1, 0, -1, -1]); // flatten 4x4x2 -> 32
  const plan = addon!.inferPlanCreate(tensors, steps, [], Int32Array.of(0, 1, 8));
  const x = randomValues(3 * 32, new Rng(11));
  const out = new Float32Array(3 * 32);
  addon!.inferPlanRun(plan, x, 3, out);
  assert.deepEqual(out, x); // a channels-last image flattened is itself
  assert.throws(() => addon!.inferPlanRun(plan, x, 4, out), RangeError);
  addon!.inferPlanFree(plan);
  assert.throws(() => addon!.inferPlanRun(plan, x, 3, out), /freed/);
  const badFlatten = Int32Array.of(0, 4, 4, 2, 1, 1, 1, 31);
  assert.throws(() => addon!.inferPlanCreate(badFlatten, steps, [], Int32Array.of(0, 1, 8)), /step 0: flatten/);
  const conv = new Int32Array(32);
  conv.set([0, 1, 0, -1, 0, 0, -1, 3, 3, 1, 1, 1, 1, 1, 1]); // 3x3 'same' conv, 2 -> 2 channels
  conv.set([6, 2, 1, -1, 0, -1, -1], 16); // flatten
  const convTensors = Int32Array.of(0, 4, 4, 2, 0, 4, 4, 2, 1, 1, 1, 32);
  assert.ok(addon!.inferPlanCreate(convTensors, conv, [new Float32Array(36)], Int32Array.of(0, 2, 8)));
  assert.throws(() => addon!.inferPlanCreate(convTensors, conv, [new Float32Array(35)], Int32Array.of(0, 2, 8)), /step 0: weights do not match/);
});
