import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type * as tfl from '@tensorflow/tfjs-layers';
import { buildResnet8 } from '../../src/models/resnet8.js';
import { gaussian, rng } from './random.js';

export { syntheticImages } from './random.js';

/** CIFAR-10 normalization, as the trainer writes it into kit.json. */
export const CIFAR_NORMALIZATION = { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.243, 0.261] };

/** Give every BatchNorm layer plausible trained statistics so that folding is actually exercised. */
export function randomizeBatchNorm(model: tfl.LayersModel, seed: number): void {
  const rand = rng(seed);
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const n = layer.getWeights()[0].shape[0];
    const vec = (f: () => number) => tf.tensor1d(Array.from({ length: n }, f));
    layer.setWeights([
      vec(() => 0.5 + rand()), // gamma
      vec(() => 0.2 * gaussian(rand)), // beta
      vec(() => 0.3 * gaussian(rand)), // moving mean
      vec(() => 0.5 + 1.5 * rand()), // moving variance
    ]);
  }
}

export function randomResnet8(seed: number): tfl.LayersModel {
  const model = buildResnet8(seed);
  randomizeBatchNorm(model, seed + 1);
  return model;
}

/** The network's float input for raw pixels, as the trainer computes it. */
export function normalizeForTfjs(pixels: Uint8Array, count: number, size = 32): tf.Tensor4D {
  const { mean, std } = CIFAR_NORMALIZATION;
  const x = new Float32Array(pixels.length);
  for (let i = 0; i < x.length; i++) x[i] = (pixels[i] / 255 - mean[i % 3]) / std[i % 3];
  return tf.tensor4d(x, [count, size, size, 3]);
}
