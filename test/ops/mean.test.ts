import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanIntParams } from '../../src/ops/mean/index.js';
import { getOp } from '../../src/ops/registry.js';
import { INT8, UINT8 } from '../../src/quantize/schemes.js';
import { randomFloats, rng } from '../quantize/random.js';
import { maxErrorSteps, runOpCase } from './harness.js';

function runMean(x: number[], shape: number[], axes: number[], inQ: [number, number], outQ: [number, number], outShape: number[]): Int8Array {
  const op = getOp('mean');
  const view = {
    node: { name: 'mean', op: 'mean', inputs: [], outputs: [], attrs: {} },
    attrs: op.attrs.parse({ axes, keepDims: false }),
    inputs: [{ shape, dtype: 'int8' as const, quant: { scale: [inQ[0]], zeroPoint: [inQ[1]] } }],
    params: [],
    output: { shape: outShape, dtype: 'int8' as const, quant: { scale: [outQ[0]], zeroPoint: [outQ[1]] } },
  };
  const out = new Int8Array(outShape.reduce((a, b) => a * b, 1));
  op.int({ ...view, intParams: op.deriveIntParams!(view) })([Int8Array.from(x)], out);
  return out;
}

test('mean int8, same quantization in and out: TFLite Micro truncates the raw sum / n toward zero', () => {
  // [2, 1, 2] over axis 0: sums -7 and 5 over 2 values -> -3 (not -4) and 2 (not 3).
  assert.deepEqual(runMean([-3, 2, -4, 3], [2, 1, 2], [0], [0.1, 4], [0.1, 4], [1, 2]), Int8Array.from([-3, 2]));
});

test('mean int8 with requantization: 1/n folded into the multiplier as TFLite Micro does', () => {
  // s_in / s_out = 2 -> (2^30, shift 2); n = 3: shift' = floor(log2 3) = 1, multiplier' = 2^31 / 3
  // truncated = 715827882, shift 2 - 1 = 1.
  assert.deepEqual(meanIntParams({ scale: 0.5, zeroPoint: 1 }, { scale: 0.25, zeroPoint: -2 }, 3), { sameQuant: false, multiplier: 715827882, shift: 1 });
  // sum 9 - 1 * 3 = 6; SRDHM(12, 715827882) = floor(4.4999...) = 4; + (-2) = 2 (real mean 1.0 / 0.25 - 2).
  assert.deepEqual(runMean([4, -1, 6], [3], [0], [0.5, 1], [0.25, -2], [1]), Int8Array.from([2]));
});

for (const scheme of [UINT8, INT8]) {
  test(`mean ${scheme.name}: integer = float on the quantized values to one step (H and W, keepDims both ways)`, () => {
    const rand = rng(31);
    for (const [axes, keepDims] of [[[0, 1], false], [[0, 1], true], [[2], false]] as const) {
      const r = runOpCase({ op: 'mean', attrs: { axes, keepDims }, inputs: [{ shape: [5, 4, 6], data: randomFloats(120, rand, -1, 2) }], scheme });
      assert.ok(maxErrorSteps(r.dequantized, r.reference, r.outQuant.scale) <= 1 + 1e-6, `axes ${axes}`);
    }
  });
}
