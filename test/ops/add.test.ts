import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADD_LEFT_SHIFT } from '../../src/ops/add.js';
import { INT8, UINT8 } from '../../src/quantize/schemes.js';
import { randomFloats, rng } from '../quantize/random.js';
import { maxErrorSteps, runOpCase, sqnr } from './harness.js';

for (const scheme of [UINT8, INT8]) {
  test(`add ${scheme.name}: TFLite's rescaled integer sum matches the float sum to one output step`, () => {
    for (const activation of ['none', 'relu'] as const) {
      const rand = rng(activation === 'relu' ? 3 : 4);
      const shape = [6, 5, 7];
      const n = 6 * 5 * 7;
      // Inputs of different scales and signs, as a residual branch and its shortcut are.
      const r = runOpCase({
        op: 'add',
        attrs: { activation },
        inputs: [{ shape, data: randomFloats(n, rand, 0, 6) }, { shape, data: randomFloats(n, rand, -2.5, 1.5) }],
        scheme,
      });
      assert.ok(maxErrorSteps(r.dequantized, r.reference, r.outQuant.scale) <= 1 + 1e-6);
      assert.ok(sqnr(r.float, r.dequantized) > 35);
      if (activation === 'relu') for (const v of r.int) assert.ok(v >= r.outQuant.zeroPoint);
    }
  });
}

test('add uses TFLite\'s 20-bit left shift', () => {
  assert.equal(ADD_LEFT_SHIFT, 20);
});
