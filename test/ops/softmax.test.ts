import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expOnNegativeValues, oneOverOnePlusX, reciprocal } from '../../src/ops/softmax/fixed-point-exp.js';
import { softmaxIntParams, softmaxRow } from '../../src/ops/softmax/index.js';
import { INT8, UINT8 } from '../../src/quantize/schemes.js';
import { randomFloats, rng } from '../quantize/random.js';
import { maxErrorSteps, runOpCase } from './harness.js';

test('gemmlowp exp_on_negative_values (Q5.26 in, Q0 out) is exp to within 2^-21 (its 4-term Taylor expansion)', () => {
  for (const x of [0, -1e-6, -0.125, -0.25, -0.3, -1, -1.5, -2.75, -4, -7.3, -15.9, -31.99]) {
    const raw = Math.round(x * 2 ** 26);
    const got = expOnNegativeValues(raw, 5) / 2 ** 31;
    assert.ok(Math.abs(got - Math.exp(raw / 2 ** 26)) < 2 ** -21, `exp(${x}): ${got}`);
  }
  assert.equal(expOnNegativeValues(0, 5), 2 ** 31 - 1, 'exp(0) is the largest Q0 value');
});

test('gemmlowp one_over_one_plus_x and TFLite GetReciprocal', () => {
  for (const x of [0, 0.1, 0.5, 0.75, 0.999]) {
    const got = oneOverOnePlusX(Math.round(x * 2 ** 31)) / 2 ** 31;
    assert.ok(Math.abs(got - 1 / (1 + x)) < 2 ** -28, `1/(1+${x}): ${got}`);
  }
  // 3.0 in Q12.19 = 2^1 * 1.5: scale 1/1.5, one bit over unit.
  const r = reciprocal(3 * 2 ** 19, 12);
  assert.equal(r.bitsOverUnit, 1);
  assert.ok(Math.abs(r.scale / 2 ** 31 - 2 / 3) < 2 ** -28);
});

test('softmax parameters: TFLite Micro PreprocessSoftmaxScaling and CalculateInputRadius', () => {
  // s = 0.1: 0.1 * 2^26 = 6710886.4 -> frexp 0.8 * 2^23: multiplier round(0.8 * 2^31), shift 23;
  // radius floor(31 * 2^26 / 2^23) = 248.
  assert.deepEqual(softmaxIntParams(1, 0.1), { inputMultiplier: 1717986918, inputLeftShift: 23, diffMin: -248 });
  // s = 0.5: exactly 2^25 -> (2^30, 26), radius 31.
  assert.deepEqual(softmaxIntParams(1, 0.5), { inputMultiplier: 2 ** 30, inputLeftShift: 26, diffMin: -31 });
});

test('softmax int8 meets TFLite Micro\'s own golden test (input scale 0.1, within one step)', () => {
  const golden = [0.011656231, 0.031684921, 0.086128544, 0.234121657, 0.636408647, 0.636408647, 0.234121657, 0.086128544, 0.031684921, 0.011656231];
  const x = Int8Array.from([10, 20, 30, 40, 50, -10, -20, -30, -40, -50]);
  const out = new Int8Array(10);
  const p = softmaxIntParams(1, 0.1);
  softmaxRow(p, x, out, 0, 5, -128, -128, 127);
  softmaxRow(p, x, out, 5, 5, -128, -128, 127);
  golden.forEach((g, i) => assert.ok(Math.abs(out[i] - (Math.round(g * 256) - 128)) <= 1, `value ${i}: ${out[i]}`));
  // The largest input of each row gets the same code, and rows sum to about one (256 steps).
  assert.equal(out[4], out[5]);
  const sum = [...out.subarray(0, 5)].reduce((s, v) => s + v + 128, 0);
  assert.ok(Math.abs(sum - 256) <= 3, `row sum ${sum}`);
});

for (const scheme of [UINT8, INT8]) {
  test(`softmax ${scheme.name}: integer = float on the quantized values to one step, output scale 1/256`, () => {
    const rand = rng(41);
    for (const beta of [1, 0.5, 2]) {
      const r = runOpCase({ op: 'softmax', attrs: { beta }, inputs: [{ shape: [3, 10], data: randomFloats(30, rand, -4, 4) }], scheme });
      assert.equal(r.outQuant.scale, 1 / 256);
      assert.equal(r.outQuant.zeroPoint, scheme.name === 'int8' ? -128 : 0);
      assert.ok(maxErrorSteps(r.dequantized, r.reference, r.outQuant.scale) <= 1 + 1e-6, `beta ${beta}`);
    }
  });
}
