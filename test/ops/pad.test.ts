import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activationRange } from '../../src/ops/common/activation.js';
import { getOp } from '../../src/ops/registry.js';

test('pad: the zero point fills the border, the input lands at the before-offsets (int8)', () => {
  const op = getOp('pad');
  const paddings = [[1, 0], [0, 2], [1, 1]];
  const attrs = op.attrs.parse({ paddings });
  const view = {
    node: { name: 'pad', op: 'pad', inputs: [], outputs: [], attrs: {} },
    attrs,
    inputs: [{ shape: [1, 2, 1], dtype: 'int8' as const, quant: { scale: [0.1], zeroPoint: [-7] } }],
    params: [],
    output: { shape: [2, 4, 3], dtype: 'int8' as const, quant: { scale: [0.1], zeroPoint: [-7] } },
  };
  const intParams = op.deriveIntParams!(view);
  assert.deepEqual(intParams, { padValue: -7 });
  const out = new Int8Array(24);
  op.int({ ...view, intParams })([Int8Array.from([5, 9])], out);
  const want = new Int8Array(24).fill(-7);
  want[(1 * 4 + 0) * 3 + 1] = 5;
  want[(1 * 4 + 1) * 3 + 1] = 9;
  assert.deepEqual(out, want);
  assert.deepEqual(op.inferShape({ node: 'pad', attrs, inputs: [[1, 2, 1]], params: [] }), [2, 4, 3]);
});

test("fused activation clamps are TFLite's CalculateActivationRangeQuantized (float32 f / scale, ties away)", () => {
  // relu6 at scale 6/255, zero point -128: 6 / fround(6/255) rounds to 255 -> max 127.
  assert.deepEqual(activationRange('relu6', { scale: 6 / 255, zeroPoint: -128 }, -128, 127), { min: -128, max: 127 });
  // scale 0.05, zero point -10: relu6 max = -10 + round(120) = 110; relu min = zero point.
  assert.deepEqual(activationRange('relu6', { scale: 0.05, zeroPoint: -10 }, -128, 127), { min: -10, max: 110 });
  // relu_n1_to_1 at scale 0.4: f / scale = 2.5 -> ties away from zero: 3 and -3.
  assert.deepEqual(activationRange('relu_n1_to_1', { scale: 0.4, zeroPoint: 0 }, -128, 127), { min: -3, max: 3 });
  // The clamp never leaves the type: relu6 at a tiny scale saturates at qmax.
  assert.deepEqual(activationRange('relu6', { scale: 0.001, zeroPoint: 100 }, 0, 255), { min: 100, max: 255 });
});
