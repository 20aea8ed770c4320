import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  INT32_MAX,
  INT32_MIN,
  multiplyByQuantizedMultiplier,
  quantizeMultiplier,
  roundHalfAwayFromZero,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
} from '../../src/quantize/fixed-point.js';
import { rng } from './random.js';

// A literal BigInt transcription of the C++ (gemmlowp / TFLite) to compare against: 64-bit
// products, C's truncating division, arithmetic shifts.
function refSRDHM(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n)); // BigInt division truncates like C
}
function refRDBPOT(x: number, exponent: number): number {
  const mask = (1n << BigInt(exponent)) - 1n;
  const bx = BigInt(x);
  const remainder = bx & mask;
  const threshold = (mask >> 1n) + (bx < 0n ? 1n : 0n);
  return Number((bx >> BigInt(exponent)) + (remainder > threshold ? 1n : 0n));
}
function refMBQM(x: number, m: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return refRDBPOT(refSRDHM(Number(BigInt.asIntN(32, BigInt(x) << BigInt(left))), m), right);
}

test('SRDHM: INT32 edge cases and rounding of ties, hand-checked', () => {
  assert.equal(saturatingRoundingDoublingHighMul(INT32_MIN, INT32_MIN), INT32_MAX); // the one overflow saturates
  assert.equal(saturatingRoundingDoublingHighMul(INT32_MAX, INT32_MAX), 2147483646);
  assert.equal(saturatingRoundingDoublingHighMul(INT32_MIN, INT32_MAX), -2147483647);
  assert.equal(saturatingRoundingDoublingHighMul(INT32_MAX, INT32_MIN), -2147483647);
  assert.equal(saturatingRoundingDoublingHighMul(INT32_MIN, 1), -1);
  assert.equal(saturatingRoundingDoublingHighMul(0, INT32_MIN), 0);
  // a * 2^30 / 2^31 = a / 2: ties go up (+0.5 -> 1, -0.5 -> 0, -1.5 -> -1) in gemmlowp's SRDHM.
  assert.equal(saturatingRoundingDoublingHighMul(1, 1 << 30), 1);
  assert.equal(saturatingRoundingDoublingHighMul(-1, 1 << 30), 0);
  assert.equal(saturatingRoundingDoublingHighMul(3, 1 << 30), 2);
  assert.equal(saturatingRoundingDoublingHighMul(-3, 1 << 30), -1);
  assert.equal(saturatingRoundingDoublingHighMul(1000, 1518500250), 707); // 1000 / sqrt(2) = 707.1
  assert.equal(saturatingRoundingDoublingHighMul(-1000, 1518500250), -707);
  assert.ok(!Object.is(saturatingRoundingDoublingHighMul(-1, 1), -0));
});

test('RoundingDivideByPOT: ties away from zero, negative values, exponent 0 and 31', () => {
  assert.equal(roundingDivideByPOT(5, 1), 3);
  assert.equal(roundingDivideByPOT(-5, 1), -3);
  assert.equal(roundingDivideByPOT(-4, 1), -2);
  assert.equal(roundingDivideByPOT(-3, 1), -2);
  assert.equal(roundingDivideByPOT(-1, 1), -1);
  assert.equal(roundingDivideByPOT(-6, 2), -2); // -1.5 -> -2
  assert.equal(roundingDivideByPOT(-5, 2), -1); // -1.25 -> -1
  assert.equal(roundingDivideByPOT(12345, 0), 12345);
  assert.equal(roundingDivideByPOT(INT32_MIN, 31), -1);
  assert.equal(roundingDivideByPOT(INT32_MAX, 31), 1);
  assert.equal(roundingDivideByPOT(1 << 30, 31), 1); // 0.5 -> 1
  assert.equal(roundingDivideByPOT(-(1 << 30), 31), -1); // -0.5 -> -1
  assert.equal(roundingDivideByPOT(INT32_MIN, 1), -1073741824);
});

test('QuantizeMultiplier: frexp, rounding to 2^31, tiny and >= 1 multipliers', () => {
  assert.deepEqual(quantizeMultiplier(0), { multiplier: 0, shift: 0 });
  assert.deepEqual(quantizeMultiplier(0.5), { multiplier: 1 << 30, shift: 0 });
  assert.deepEqual(quantizeMultiplier(0.75), { multiplier: 1610612736, shift: 0 });
  assert.deepEqual(quantizeMultiplier(1), { multiplier: 1 << 30, shift: 1 });
  assert.deepEqual(quantizeMultiplier(3.5), { multiplier: 1879048192, shift: 2 });
  assert.deepEqual(quantizeMultiplier(0.1), { multiplier: 1717986918, shift: -3 });
  // q * 2^31 rounds up to 2^31: renormalized to 2^30 with the exponent bumped.
  assert.deepEqual(quantizeMultiplier(1 - 2 ** -40), { multiplier: 1 << 30, shift: 1 });
  // Smallest kept: 2^-32 = 0.5 * 2^-31; below, the right shift would exceed 31: flushed to zero.
  assert.deepEqual(quantizeMultiplier(2 ** -32), { multiplier: 1 << 30, shift: -31 });
  assert.deepEqual(quantizeMultiplier(2 ** -33), { multiplier: 0, shift: 0 });
  assert.deepEqual(quantizeMultiplier(1e-300), { multiplier: 0, shift: 0 });
  assert.throws(() => quantizeMultiplier(Number.NaN), RangeError);
});

test('MultiplyByQuantizedMultiplier: double rounding, left shifts, hand-checked', () => {
  assert.equal(multiplyByQuantizedMultiplier(100, 1 << 30, 0), 50);
  assert.equal(multiplyByQuantizedMultiplier(-6, 1 << 30, -1), -2); // -1.5: SRDHM -3, then -1.5 away -> -2
  assert.equal(multiplyByQuantizedMultiplier(7, 1 << 30, -1), 2); // 1.75 -> SRDHM 4 -> 2
  const m = quantizeMultiplier(3.5);
  assert.equal(multiplyByQuantizedMultiplier(10, m.multiplier, m.shift), 35);
  assert.equal(multiplyByQuantizedMultiplier(-10, m.multiplier, m.shift), -35);
  const small = quantizeMultiplier(0.0123);
  assert.equal(multiplyByQuantizedMultiplier(100000, small.multiplier, small.shift), 1230);
});

test('fixed-point primitives equal the 64-bit C reference on random and extreme operands', () => {
  const rand = rng(42);
  const extremes = [0, 1, -1, 2, -2, INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MIN + 1, 1 << 30, -(1 << 30), 0x1fffff, -0x1fffff, 0x200000, -0x200000, 65535, 65536, -65536];
  const randInt32 = () => {
    const bits = Math.floor(rand() * 32);
    return Math.floor((rand() * 2 - 1) * 2 ** bits) | 0;
  };
  const operands = [...extremes, ...Array.from({ length: 400 }, randInt32)];
  for (const a of operands) {
    for (const b of [...extremes, randInt32(), randInt32(), 1 << 30, 1518500250, INT32_MAX]) {
      assert.equal(saturatingRoundingDoublingHighMul(a, b), refSRDHM(a, b), `SRDHM(${a}, ${b})`);
    }
    for (let e = 0; e <= 31; e++) assert.equal(roundingDivideByPOT(a, e), refRDBPOT(a, e), `RDBPOT(${a}, ${e})`);
  }
  for (let i = 0; i < 3000; i++) {
    const real = 2 ** (rand() * 44 - 40);
    const { multiplier, shift } = quantizeMultiplier(real);
    assert.ok(multiplier === 0 || (multiplier >= 2 ** 30 && multiplier < 2 ** 31));
    if (multiplier) assert.ok(Math.abs(multiplier * 2 ** (shift - 31) - real) <= real * 2 ** -30);
    const x = shift > 0 ? randInt32() >> (shift + 1) : randInt32();
    assert.equal(multiplyByQuantizedMultiplier(x, multiplier, shift), refMBQM(x, multiplier, shift), `MBQM(${x}, ${multiplier}, ${shift})`);
  }
});

test('roundHalfAwayFromZero is std::round', () => {
  assert.deepEqual([2.5, -2.5, 0.5, -0.5, 1.4999, -1.5001].map(roundHalfAwayFromZero), [3, -3, 1, -1, 1, -2]);
});
