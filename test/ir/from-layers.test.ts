import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { isKitError } from '../../src/errors.js';
import { foldBatchNorm } from '../../src/ir/fold-batchnorm.js';
import { graphFromLayersModel } from '../../src/ir/from-layers.js';
import { runBatch } from '../../src/ir/interpreter.js';
import { CIFAR_NORMALIZATION, normalizeForTfjs, randomResnet8, syntheticImages } from '../quantize/fixtures.js';
import { buildSmallModel } from './small-model.js';

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1e-6;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst / scale;
}

test('BatchNorm folding is exact: folded float graph = tfjs ResNet-8 in inference mode', () => {
  const model = randomResnet8(11);
  const graph = graphFromLayersModel(model, CIFAR_NORMALIZATION);
  const images = syntheticImages(3, 12);
  // Compare the logits and two intermediate tensors (after a folded conv, after a fused add+ReLU).
  const probe = tfl.model({ inputs: model.inputs, outputs: ['stack2_b_bn', 'stack3_out', 'logits'].map((n) => model.getLayer(n).output as tfl.SymbolicTensor) });
  const expected = (probe.predict(normalizeForTfjs(images, 3)) as tf.Tensor[]).map((t) => t.dataSync());
  const got = runBatch(graph, images, 3, { keep: ['stack2_b_bn', 'stack3_out'] });
  assert.ok(maxRelDiff(got.kept.stack2_b_bn, expected[0]) < 1e-5);
  assert.ok(maxRelDiff(got.kept.stack3_out, expected[1]) < 1e-5);
  assert.ok(maxRelDiff(got.outputs, expected[2]) < 1e-5);
});

test('foldBatchNorm: w * gamma / sqrt(var + eps) and (b - mean) * gamma / sqrt(var + eps) + beta', () => {
  const folded = foldBatchNorm(Float32Array.of(1, 2, 3, 4), Float32Array.of(0.5, -1), {
    gamma: Float32Array.of(2, 0.5),
    beta: Float32Array.of(0.1, 0.2),
    movingMean: Float32Array.of(1, -1),
    movingVariance: Float32Array.of(3, 0.25),
    epsilon: 1,
  });
  // channel 0: s = 2 / 2 = 1; channel 1: s = 0.5 / sqrt(1.25)
  const s1 = 0.5 / Math.sqrt(1.25);
  assert.deepEqual([...folded.weights], [1, 2, Math.fround(3 * s1), Math.fround(4 * s1)]);
  assert.deepEqual([...folded.bias], [Math.fround(-0.5 + 0.1), Math.fround(0 * s1 + 0.2)]);
});

test('ResNet-8 becomes 16 nodes: BN folded, ReLUs fused, dropout and flatten kept as ops', () => {
  const graph = graphFromLayersModel(randomResnet8(2), CIFAR_NORMALIZATION);
  assert.deepEqual(graph.inputs, ['image']);
  assert.deepEqual(graph.tensors.image, { shape: [32, 32, 3], dtype: 'uint8' });
  const summary = graph.nodes.map((n) => `${n.op}:${n.name}${n.fused ? `+${n.fused.join('+')}` : ''}:${String(n.attrs.activation ?? '')}`);
  assert.deepEqual(summary.slice(0, 5), [
    'normalize_input:image_normalize:',
    'conv2d:stem_conv+stem_bn+stem_relu:relu',
    'conv2d:stack1_a_conv+stack1_a_bn+stack1_a_relu:relu',
    'conv2d:stack1_b_conv+stack1_b_bn:none',
    'add:stack1_add+stack1_out:relu',
  ]);
  assert.equal(graph.nodes.length, 16);
  assert.deepEqual(graph.tensors['stem_conv/weights'].shape, [16, 3, 3, 3]); // OHWI
  assert.deepEqual(graph.tensors['logits/weights'].shape, [10, 64]);
});

test('a network with every supported layer kind converts and matches tfjs', () => {
  const model = buildSmallModel(3);
  const graph = graphFromLayersModel(model, CIFAR_NORMALIZATION);
  assert.deepEqual(
    graph.nodes.map((n) => n.op),
    ['normalize_input', 'conv2d', 'max_pool2d', 'conv2d', 'conv2d', 'conv2d', 'add', 'avg_pool2d', 'global_avg_pool', 'dense', 'dense'],
  );
  const images = syntheticImages(2, 4, 8);
  const expected = (model.predict(normalizeForTfjs(images, 2, 8)) as tf.Tensor).dataSync();
  assert.ok(maxRelDiff(runBatch(graph, images, 2).outputs, expected) < 1e-5);
});

function refusal(build: () => tfl.LayersModel): string {
  try {
    graphFromLayersModel(build(), CIFAR_NORMALIZATION);
  } catch (e) {
    assert.ok(isKitError(e));
    assert.equal(e.stage, 'quantize');
    return `${e.code}: ${e.message}`;
  }
  assert.fail('expected a KitError');
}

test('unsupported layers are refused with their name and class', () => {
  const input = () => tfl.input({ shape: [8, 8, 3] });
  assert.match(
    refusal(() => {
      const i = input();
      const y = tfl.layers.leakyReLU({ name: 'leaky' }).apply(tfl.layers.conv2d({ filters: 2, kernelSize: 3, name: 'c' }).apply(i)) as tfl.SymbolicTensor;
      return tfl.model({ inputs: i, outputs: y });
    }),
    /^layer-unsupported: layer 'leaky' \(LeakyReLU\) is not supported$/,
  );
  assert.match(
    refusal(() => {
      const i = input();
      return tfl.model({ inputs: i, outputs: tfl.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'tanh', name: 'ct' }).apply(i) as tfl.SymbolicTensor });
    }),
    /layer 'ct' \(Conv2D\) has activation 'tanh'/,
  );
  assert.match(
    refusal(() => {
      const i = input();
      const y = tfl.layers.batchNormalization({ name: 'lonely_bn' }).apply(tfl.layers.maxPooling2d({ poolSize: 2 }).apply(i)) as tfl.SymbolicTensor;
      return tfl.model({ inputs: i, outputs: y });
    }),
    /layer 'lonely_bn' \(BatchNormalization\) does not directly follow a Conv2D/,
  );
});

test('a NaN weight is refused naming the tensor', () => {
  const model = buildSmallModel(5);
  const layer = model.getLayer('fc');
  const [kernel, bias] = layer.getWeights();
  const values = kernel.dataSync().slice();
  values[3] = Number.NaN;
  layer.setWeights([tf.tensor(values, kernel.shape), bias]);
  assert.match(refusal(() => model), /^weights-not-finite: tensor 'fc\/weights' has a non-finite value \(NaN\)/);
});
