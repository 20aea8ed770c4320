import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TensorSpec } from '../../src/ir/graph.js';
import { getOp } from '../../src/ops/registry.js';

const t = (shape: number[], scale: number, zeroPoint: number): TensorSpec => ({ shape, dtype: 'int8', quant: { scale: [scale], zeroPoint: [zeroPoint] } });
const node = (op: string) => ({ name: op, op, inputs: [], outputs: [], attrs: {} });

function run(op: string, attrs: Record<string, unknown>, inputs: TensorSpec[], output: TensorSpec, data: number[][]): { out: number[]; intParams: unknown } {
  const def = getOp(op);
  const view = { node: node(op), attrs: def.attrs.parse(attrs), inputs, params: [], output };
  const intParams = def.deriveIntParams!(view);
  const out = new Int8Array(output.shape.reduce((a, b) => a * b, 1));
  def.int({ ...view, intParams })(data.map((d) => Int8Array.from(d)), out);
  return { out: [...out], intParams };
}

test('quantize int8 -> int8: TFLite Micro Requantize, MBQM double rounding', () => {
  // s_in / s_out = 0.25 -> (2^30, -1): SRDHM rounds ties up, RDBP away from zero, so (x - zx) = 2
  // (0.5) -> 1 and -2 (-0.5) -> -1; 6 (1.5) -> 2; -6 (-1.5) -> -2; clamped at the type's ends.
  const r = run('quantize', {}, [t([6], 0.1, 3)], t([6], 0.4, -5), [[5, 1, 9, -3, 127, -128]]);
  assert.deepEqual(r.intParams, { multiplier: 2 ** 30, shift: -1 });
  assert.deepEqual(r.out, [-5 + 1, -5 - 1, -5 + 2, -5 - 2, -5 + 31, -5 - 33]);
  // Same parameters: (2^30, 1), MBQM by exactly 1: the identity.
  const same = run('quantize', {}, [t([3], 0.1, 3)], t([3], 0.1, 3), [[-128, 0, 127]]);
  assert.deepEqual(same.out, [-128, 0, 127]);
});

test('concat: inputs quantized like the output are copied, others requantized; any axis', () => {
  const out = t([2, 3], 0.1, 0);
  const r = run('concat', { axis: -1 }, [t([2, 1], 0.1, 0), t([2, 2], 0.2, 1)], out, [[7, -9], [1, 3, 127, -128]]);
  assert.deepEqual((r.intParams as { requantize: boolean[] }).requantize, [false, true]);
  // input 1: (x - 1) * 2 -> 0, 4 | 127 (clamped from 252), -128 (clamped from -258).
  assert.deepEqual(r.out, [7, 0, 4, -9, 127, -128]);
  const rows = run('concat', { axis: 0 }, [t([1, 2], 0.1, 0), t([2, 2], 0.1, 0)], t([3, 2], 0.1, 0), [[1, 2], [3, 4, 5, 6]]);
  assert.deepEqual(rows.out, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(getOp('concat').inferShape({ node: 'c', attrs: { axis: 1 }, inputs: [[2, 3, 4], [2, 5, 4]], params: [] }), [2, 8, 4]);
});
