import { test } from 'node:test';
import assert from 'node:assert/strict';
import { roundedAverage } from '../../src/ops/common/pool.js';
import { INT8, UINT8 } from '../../src/quantize/schemes.js';
import { randomFloats, rng } from '../quantize/random.js';
import { maxErrorSteps, runOpCase } from './harness.js';

test('roundedAverage is TFLite\'s (sum +- n/2) / n: ties away from zero', () => {
  assert.equal(roundedAverage(5, 2), 3);
  assert.equal(roundedAverage(-5, 2), -3);
  assert.equal(roundedAverage(-4, 3), -1);
  assert.equal(roundedAverage(-5, 3), -2);
  assert.equal(roundedAverage(7, 4), 2);
  assert.equal(roundedAverage(-6, 4), -2);
  assert.equal(roundedAverage(0, 9), 0);
});

for (const scheme of [UINT8, INT8]) {
  test(`avg_pool2d / max_pool2d ${scheme.name}: integer = float on quantized values (valid and same padding)`, () => {
    const rand = rng(9);
    const shape = [7, 6, 5];
    const data = randomFloats(7 * 6 * 5, rand, -1, 2);
    for (const padding of ['valid', 'same'] as const) {
      for (const [poolSize, strides] of [[[2, 2], [2, 2]], [[3, 3], [2, 2]], [[7, 6], [7, 6]]] as const) {
        if (padding === 'same' && poolSize[0] === 7) continue;
        const attrs = { poolSize, strides, padding };
        const avg = runOpCase({ op: 'avg_pool2d', attrs, inputs: [{ shape, data }], scheme });
        // Same scale in and out: only the final rounding of the average differs.
        assert.ok(maxErrorSteps(avg.dequantized, avg.reference, avg.outQuant.scale) <= 0.5 + 1e-5);
        const max = runOpCase({ op: 'max_pool2d', attrs, inputs: [{ shape, data }], scheme });
        assert.ok(maxErrorSteps(max.dequantized, max.reference, max.outQuant.scale) <= 1e-6);
      }
    }
  });

  test(`global_avg_pool ${scheme.name}: rounded average of raw values`, () => {
    const rand = rng(10);
    const r = runOpCase({ op: 'global_avg_pool', attrs: {}, inputs: [{ shape: [8, 8, 6], data: randomFloats(384, rand, 0, 5) }], scheme });
    assert.deepEqual(r.outShape, [6]);
    assert.ok(maxErrorSteps(r.dequantized, r.reference, r.outQuant.scale) <= 0.5 + 1e-5);
  });
}
