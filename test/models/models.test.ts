import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { getModelSpec } from '../../src/models/registry.js';
import { summarizeModel } from '../../src/models/summary.js';

before(async () => {
  await tf.setBackend('wasm');
});

test('ResNet-8 has exactly the MLPerf Tiny reference counts', () => {
  const s = summarizeModel(getModelSpec('resnet8').build(1));
  // 78,666 parameters as in the MLPerf Tiny Keras reference (77,850 trainable).
  assert.equal(s.params, 78_666);
  assert.equal(s.macs, 12_501_632);
  assert.equal(s.floatBytes, 78_666 * 4);
  // After BN folding: 77,360 int8 conv/dense weights (432 + 2*2304 + 4608 + 9216 + 512 + 18432
  // + 36864 + 2048 + 640) and int32 biases for 16*3 + 32*3 + 64*3 + 10 = 346 output channels.
  assert.equal(s.int8Bytes, 77_360 + 4 * 346);
});

test('resnet-seed has the origin architecture counts', () => {
  const s = summarizeModel(getModelSpec('resnet-seed').build(1));
  assert.equal(s.params, 10_635_466);
  // Per position: block1 (27 + 576 + 3) * 64 at 32x32, block2 (576 + 1152 + 64) * 128 at 16x16,
  // block3 (1152 + 2304 + 128) * 256 at 8x8; dense 4096*2048 + 2048*512 + 512*10.
  assert.equal(s.macs, 39_714_816 + 58_720_256 + 58_720_256 + 9_442_304);
  const shapes = s.layers.filter((l) => l.type === 'Dense').map((l) => l.outputShape[0]);
  assert.deepEqual(shapes, [2048, 512, 10]);
  assert.deepEqual(s.layers.find((l) => l.name === 'flatten')?.outputShape, [4096]);
});

test('an unknown model name is a KitError naming the known ones', () => {
  assert.throws(() => getModelSpec('resnet9000'), (e: Error & { code?: string }) => e.code === 'unknown-model' && /resnet8/.test(e.message + String((e as { hint?: string }).hint)));
});
