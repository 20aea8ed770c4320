import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INT8, UINT8 } from '../../src/quantize/schemes.js';
import { randomFloats, rng } from '../quantize/random.js';
import { maxErrorSteps, runOpCase } from './harness.js';

const CIFAR = { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.243, 0.261] };

for (const scheme of [UINT8, INT8]) {
  test(`normalize_input ${scheme.name}: the per-channel table is normalization + input quantization`, () => {
    const pixels = Float32Array.from({ length: 4 * 4 * 3 * 6 }, (_, i) => (i * 37) % 256);
    const r = runOpCase({ op: 'normalize_input', attrs: CIFAR, inputs: [{ shape: [8, 12, 3], data: pixels }], scheme });
    // The exact real range is quantized, so every pixel value lands within half a step.
    assert.ok(maxErrorSteps(r.dequantized, r.float, r.outQuant.scale) <= 0.5 + 1e-5);
    // Pixel 0 of the red channel is the most negative input, 255 of the blue one the largest.
    assert.ok(Math.abs((r.outQuant.zeroPoint - scheme.activation.qmin) * r.outQuant.scale - CIFAR.mean[0] / CIFAR.std[0]) < r.outQuant.scale);
  });

  test(`flatten and relu ${scheme.name}: keep quantization, copy or clamp at the zero point`, () => {
    const rand = rng(11);
    const data = randomFloats(4 * 4 * 3, rand, -2, 2);
    const flat = runOpCase({ op: 'flatten', attrs: {}, inputs: [{ shape: [4, 4, 3], data }], scheme });
    assert.deepEqual(flat.outShape, [48]);
    assert.ok(maxErrorSteps(flat.dequantized, flat.float, flat.outQuant.scale) <= 1e-6);
    const relu = runOpCase({ op: 'relu', attrs: {}, inputs: [{ shape: [4, 4, 3], data }], scheme });
    assert.ok(maxErrorSteps(relu.dequantized, relu.float, relu.outQuant.scale) <= 1e-6);
    assert.ok(relu.int.every((v) => v >= relu.outQuant.zeroPoint));
  });
}
