/**
 * The compact forms codegen stores instead of a table when they give exactly the table's values:
 * normalize_input's tables as saturated lines (src/codegen/lower/line-fit.ts) and a fused block's
 * add tables as a line plus uint8 deltas (compressTable, src/ops/conv2d-add/lower.ts). Each form is
 * evaluated here with the C's integer arithmetic and compared with the table for all 256 entries.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitSaturatedLine } from '../../src/codegen/lower/line-fit.js';
import { addInputTable } from '../../src/ops/add.js';
import { compressTable } from '../../src/ops/conv2d-add/lower.js';
import { quantizeMultiplier } from '../../src/quantize/fixed-point.js';
import { quantizeValue } from '../../src/quantize/qparams.js';

/** sat((x K + B) >> shift), as kernel_input_lut's lines compute it. */
const line = (x: number, k: number, b: number, shift: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.floor((x * k + b) / 2 ** shift)));

test('normalize_input tables (CIFAR-10 mean and std, int8 and uint8) are saturated lines, exactly', () => {
  const cases = [
    { mean: 0.4914, std: 0.247, scale: 0.0197, zeroPoint: -3, lo: -128, hi: 127 },
    { mean: 0.4822, std: 0.2435, scale: 0.0157, zeroPoint: 3, lo: -128, hi: 127 }, // clamps at both ends
    { mean: 0.4465, std: 0.2616, scale: 0.0201, zeroPoint: 110, lo: 0, hi: 255 },
  ];
  for (const c of cases) {
    const table = Array.from({ length: 256 }, (_, p) => quantizeValue((p / 255 - c.mean) / c.std, { scale: c.scale, zeroPoint: c.zeroPoint }, c.lo, c.hi));
    const fit = fitSaturatedLine(table, c.lo, c.hi, 16);
    assert.ok(fit, `a line for ${JSON.stringify(c)}`);
    for (let x = 0; x < 256; x++) assert.equal(line(x, fit.k, fit.b, 16, c.lo, c.hi), table[x], `x = ${x}`);
  }
});

test('a table that is no line (one value off by one) keeps its table', () => {
  const table = Array.from({ length: 256 }, (_, p) => Math.min(127, Math.round(p * 0.9) - 100));
  assert.ok(fitSaturatedLine(table, -128, 127, 16));
  table[77] += 1;
  assert.equal(fitSaturatedLine(table, -128, 127, 16), null);
  assert.deepEqual(fitSaturatedLine(new Array(256).fill(5), -128, 127, 16), { k: 0, b: 5 * 65536 }, 'a constant is a line');
  assert.equal(fitSaturatedLine(new Array(256).fill(-128), -128, 127, 16), null, 'no two points inside the range: the table stays');
});

test('add tables (doubled, with an offset) as base + q step + 2 delta[q], exactly, for int8 and uint8', () => {
  let compressed = 0;
  for (const [qmin, zeroPoint] of [[-128, -7], [-128, 40], [0, 128], [0, 3]] as const) {
    for (const real of [0.21, 0.4999, 0.73, 0.0123]) {
      const { multiplier, shift } = quantizeMultiplier(real);
      const table = addInputTable(qmin === -128 ? 'int8' : 'uint8', zeroPoint, multiplier, shift, 20);
      const doubled = Int32Array.from(table, (v) => 2 * v - 5 * 2 ** 20);
      const packed = compressTable(doubled, qmin);
      assert.ok(packed, `qmin ${qmin}, z ${zeroPoint}, multiplier ${real}`);
      for (let u = 0; u < 256; u++) assert.equal(packed.base + (qmin + u) * packed.step + 2 * packed.deltas[u], doubled[u], `u = ${u}`);
      compressed++;
    }
  }
  assert.equal(compressed, 16);
});

test('an add table whose steps vary by more than a byte stays int32', () => {
  const table = Int32Array.from({ length: 256 }, (_, u) => 2 * (u < 128 ? u * 1000 : u * 1000 + 600));
  assert.equal(compressTable(table, -128), null);
  const odd = Int32Array.from({ length: 256 }, (_, u) => 2 * u + (u === 9 ? 1 : 0));
  assert.equal(compressTable(odd, 0), null, 'an odd difference is not twice an integer');
});
