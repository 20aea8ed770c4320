import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INT8, UINT8 } from '../../src/quantize/schemes.js';
import { prepareIntConv } from '../../src/ops/common/int-conv.js';
import { gaussian, randomFloats, rng } from '../quantize/random.js';
import { maxErrorSteps, runOpCase, sqnr } from './harness.js';

// [H, W, inC, outC, kernel, stride, padding, activation]
const CASES: [number, number, number, number, number, number, 'same' | 'valid', 'none' | 'relu'][] = [
  [8, 8, 3, 8, 3, 1, 'same', 'relu'],
  [9, 7, 5, 12, 3, 2, 'same', 'none'], // odd sizes, channels not a multiple of 8
  [8, 8, 16, 16, 1, 2, 'same', 'none'], // the 1x1 stride-2 shortcut
  [7, 7, 4, 6, 3, 1, 'valid', 'relu'],
  [6, 10, 8, 4, 3, 2, 'valid', 'none'],
];

function convCase(seed: number, [h, w, cin, cout, k, stride, padding, activation]: (typeof CASES)[number]) {
  const rand = rng(seed);
  return {
    op: 'conv2d',
    attrs: { strides: [stride, stride], padding, activation },
    inputs: [{ shape: [h, w, cin], data: randomFloats(h * w * cin, rand, -1, 3) }],
    params: [
      { shape: [cout, k, k, cin], data: Float32Array.from({ length: cout * k * k * cin }, () => 0.3 * gaussian(rand)) },
      { shape: [cout], data: randomFloats(cout, rand, -0.5, 0.5) },
    ],
  };
}

for (const scheme of [UINT8, INT8]) {
  test(`conv2d ${scheme.name}: integer kernel = float kernel on the quantized values, to one output step`, () => {
    CASES.forEach((shape, i) => {
      const r = runOpCase({ ...convCase(i + 1, shape), scheme });
      const label = `case ${i} [${shape.join(', ')}]`;
      assert.ok(maxErrorSteps(r.dequantized, r.reference, r.outQuant.scale) <= 1 + 1e-6, label);
      assert.ok(sqnr(r.float, r.dequantized) > 25, `${label}: SQNR vs float weights ${sqnr(r.float, r.dequantized).toFixed(1)} dB`);
      assert.ok(r.bound > 0 && r.bound < 2 ** 31);
      if (shape[7] === 'relu') for (const v of r.int) assert.ok(v >= r.activationMin, `${label}: fused ReLU clamps at the zero point`);
    });
  });

  test(`conv2d ${scheme.name}: packed and plain accumulation give identical integers`, () => {
    CASES.forEach((shape, i) => {
      const c = { ...convCase(100 + i, shape), scheme };
      assert.deepEqual(runOpCase(c).int, runOpCase({ ...c, plain: true }).int);
    });
  });
}

test('int conv core: the packed path is exact up to its bound and refused beyond it', () => {
  const rand = rng(7);
  const geometry = { inH: 5, inW: 5, inC: 40, kH: 3, kW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1, outH: 5, outW: 5 };
  const depth = 9 * 40;
  const bias = Int32Array.from({ length: 10 }, () => Math.floor(rand() * 2000 - 1000));
  const multiplier = Array.from({ length: 10 }, () => 2 ** 30 + Math.floor(rand() * 2 ** 30));
  const shift = Array.from({ length: 10 }, () => -Math.floor(6 + rand() * 10));
  const spec = (weights: Int16Array) => ({
    node: 'test',
    geometry,
    channels: 10,
    weights,
    bias,
    multiplier,
    shift,
    inputZeroPoint: 17,
    outputZeroPoint: -5,
    activationMin: -128,
    activationMax: 127,
    maxAbsInput: 145,
  });
  const input = Int8Array.from({ length: 5 * 5 * 40 }, () => Math.floor(rand() * 256) - 128);
  // Weights that keep 145 * sum|w| just under 2^26 in one channel: packed, and equal to plain.
  const near = Int16Array.from({ length: 10 * depth }, () => Math.floor(rand() * 255) - 127);
  const heavy = Math.floor((2 ** 26 - 1) / 145 / depth);
  for (let k = 0; k < depth; k++) near[k] = k % 2 ? heavy : -heavy;
  const a = new Int8Array(250);
  const b = new Int8Array(250);
  const packed = prepareIntConv({ ...spec(near), portable: true });
  assert.equal(packed.path, 'packed');
  packed.run(input, a);
  prepareIntConv({ ...spec(near), plain: true }).run(input, b);
  assert.deepEqual(a, b);
  // Beyond the bound the plain loop is used.
  const over = Int16Array.from(near, (v, k) => (k < depth ? 1000 * Math.sign(v || 1) : v)); // 255 * 360 * 1000 > 2^26
  assert.equal(prepareIntConv({ ...spec(over), maxAbsInput: 255, portable: true }).path, 'plain');
});
