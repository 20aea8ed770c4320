import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INT8, UINT8 } from '../../src/quantize/schemes.js';
import { gaussian, randomFloats, rng } from '../quantize/random.js';
import { maxErrorSteps, runOpCase, sqnr } from './harness.js';

for (const scheme of [UINT8, INT8]) {
  test(`dense ${scheme.name}: integer kernel = float kernel on the quantized values, to one output step`, () => {
    for (const [inputs, units, activation] of [[64, 10, 'none'], [37, 19, 'relu'], [200, 3, 'none']] as const) {
      const rand = rng(inputs * units);
      const c = {
        op: 'dense',
        attrs: { activation },
        inputs: [{ shape: [inputs], data: randomFloats(inputs, rand, 0, 4) }],
        params: [
          { shape: [units, inputs], data: Float32Array.from({ length: units * inputs }, () => 0.2 * gaussian(rand)) },
          { shape: [units], data: randomFloats(units, rand, -1, 1) },
        ],
        scheme,
      };
      const r = runOpCase(c);
      assert.ok(maxErrorSteps(r.dequantized, r.reference, r.outQuant.scale) <= 1 + 1e-6);
      assert.ok(sqnr(r.float, r.dequantized) > 25);
      assert.deepEqual(runOpCase({ ...c, plain: true }).int, r.int);
    }
  });
}
