import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getOp } from '../../src/ops/registry.js';
import { INT8, UINT8 } from '../../src/quantize/schemes.js';
import { gaussian, randomFloats, rng } from '../quantize/random.js';
import { maxErrorSteps, runOpCase, sqnr } from './harness.js';

// [H, W, C, multiplier, kernel, stride, dilation, padding, activation]
type Case = [number, number, number, number, number, number, number, 'same' | 'valid', 'none' | 'relu' | 'relu6'];
const CASES: Case[] = [
  [8, 8, 4, 1, 3, 1, 1, 'same', 'relu6'],
  [9, 7, 3, 2, 3, 2, 1, 'same', 'none'], // depth multiplier, odd sizes, asymmetric SAME padding
  [10, 9, 5, 1, 3, 1, 2, 'same', 'relu'], // dilation
  [7, 6, 2, 3, 2, 2, 1, 'valid', 'none'],
];

function dwCase(seed: number, [h, w, c, m, k, stride, dilation, padding, activation]: Case) {
  const rand = rng(seed);
  return {
    op: 'depthwise_conv2d',
    attrs: { strides: [stride, stride], padding, dilation: [dilation, dilation], depthMultiplier: m, activation },
    inputs: [{ shape: [h, w, c], data: randomFloats(h * w * c, rand, -1, 3) }],
    params: [
      { shape: [1, k, k, c * m], data: Float32Array.from({ length: k * k * c * m }, () => 0.4 * gaussian(rand)) },
      { shape: [c * m], data: randomFloats(c * m, rand, -0.5, 0.5) },
    ],
  };
}

for (const scheme of [UINT8, INT8]) {
  test(`depthwise_conv2d ${scheme.name}: integer kernel = float kernel on the quantized values, to one output step`, () => {
    CASES.forEach((shape, i) => {
      const r = runOpCase({ ...dwCase(i + 1, shape), scheme });
      const label = `case ${i} [${shape.join(', ')}]`;
      assert.ok(maxErrorSteps(r.dequantized, r.reference, r.outQuant.scale) <= 1 + 1e-6, label);
      assert.ok(sqnr(r.float, r.dequantized) > 25, `${label}: SQNR ${sqnr(r.float, r.dequantized).toFixed(1)} dB`);
      if (shape[8] === 'relu6') {
        const six = r.outQuant.zeroPoint + Math.round(6 / r.outQuant.scale);
        assert.equal(r.activationMax, Math.min(scheme.activation.qmax, six), `${label}: relu6 clamp`);
      }
    });
  });
}

test('depthwise_conv2d: shapes, MACs and TFLite SAME padding on the dilated kernel', () => {
  const op = getOp('depthwise_conv2d');
  const attrs = op.attrs.parse({ strides: [2, 2], padding: 'same', dilation: [2, 2], depthMultiplier: 2, activation: 'none' });
  // in 9x7x3, kernel 3x3 dilated to 5x5, stride 2: out ceil(9/2) x ceil(7/2) = 5x4, 6 channels.
  assert.deepEqual(op.inferShape({ node: 'dw', attrs, inputs: [[9, 7, 3]], params: [[1, 3, 3, 6], [6]] }), [5, 4, 6]);
  assert.equal(op.macs({ node: 'dw', attrs, inputs: [[9, 7, 3]], params: [[1, 3, 3, 6], [6]] }), 5 * 4 * 6 * 9);
});

test('depthwise_conv2d int8: a hand-computed output (zero points, padding, per-channel multipliers)', () => {
  const op = getOp('depthwise_conv2d');
  const attrs = op.attrs.parse({ strides: [1, 1], padding: 'same', depthMultiplier: 1, activation: 'none' });
  // 2x2x2 input, 3x3 kernel, SAME: every output sees the whole input.
  const x = Int8Array.from([1, -1, 3, 0, -2, 5, 4, 2]); // [y][x][c]
  const w = new Int8Array(18);
  for (let i = 0; i < 18; i++) w[i] = (i % 2 === 0 ? 1 : -2) * ((i >> 1) + 1); // channel 0: 1..9, channel 1: -2..-18
  const kernel = op.int({
    node: { name: 'dw', op: 'depthwise_conv2d', inputs: [], outputs: [], attrs: {} },
    attrs,
    intParams: { multiplier: [1 << 30, 1 << 30], shift: [0, -1], activationMin: -128, activationMax: 127 },
    inputs: [{ shape: [2, 2, 2], dtype: 'int8', quant: { scale: [1], zeroPoint: [1] } }],
    output: { shape: [2, 2, 2], dtype: 'int8', quant: { scale: [1], zeroPoint: [-3] } },
    params: [
      { shape: [1, 3, 3, 2], dtype: 'int8', data: w, quant: { scale: [1, 1], zeroPoint: [0, 0], axis: 3 } },
      { shape: [2], dtype: 'int32', data: Int32Array.from([10, -7]), quant: { scale: [1, 1], zeroPoint: [0, 0] } },
    ],
  });
  const out = new Int8Array(8);
  kernel([x], out);
  // Output (0,0) channel 0: taps ky,kx in 1..2 -> weights w0[4],w0[5],w0[7],w0[8] = 5,6,8,9 over x-1 = 0,2,-3,3:
  // acc = 10 + 0*5 + 2*6 - 3*8 + 3*9 = 25; x 0.5 (multiplier 2^30, shift 0): 12.5 -> 13 (SRDHM rounds up); - 3 = 10.
  assert.equal(out[0], 10);
  // Output (1,1) channel 1: taps ky,kx in 0..1 -> weights -2,-4,-8,-10 over x-1 = -2,-1,4,1:
  // acc = -7 + 4 + 4 - 32 - 10 = -41; x 0.25: SRDHM(-41, 2^30) = floor(-20) = -20, RDBP(-20, 1) = -10; - 3 = -13.
  assert.equal(out[7], -13);
});
