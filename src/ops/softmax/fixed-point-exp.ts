/**
 * The fixed-point functions of TFLite's integer softmax, as gemmlowp's fixedpoint.h defines them
 * (exp on negative values, 1 / (1 + x), the rescalings between Q formats), on int32 raw values.
 * Every operation wraps like C's int32 (`| 0`) and multiplies with the shared SRDHM, so the C in
 * templates/kernels/softmax.c.hbs computes the same integers. Qm means m integer bits, 31 - m
 * fractional bits.
 */
import { INT32_MAX, INT32_MIN, roundingDivideByPOT as rdbp, saturatingRoundingDoublingHighMul as srdhm } from '../../quantize/fixed-point.js';

/** gemmlowp's SaturatingRoundingMultiplyByPOT<e> for e > 0: a left shift saturating at the int32 ends. */
export function saturatingShiftLeft(x: number, e: number): number {
  const threshold = 2 ** (31 - e) - 1;
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return x * 2 ** e;
}

/** gemmlowp's RoundingHalfSum: (a + b) / 2 rounded to nearest, ties away from zero (64-bit sum). */
export function roundingHalfSum(a: number, b: number): number {
  const sum = a + b; // exact: |sum| < 2^32
  return Math.trunc((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/** exp(a) for a in [-1/4, 0), Q0 in and out: a Taylor expansion around -1/8. */
function expOnIntervalNearZero(a: number): number {
  const expMinusOneEighth = 1895147668; // exp(-1/8) in Q0
  const oneThird = 715827883;
  const x = (a + (1 << 28)) | 0; // a + 1/8
  const x2 = srdhm(x, x);
  const x3 = srdhm(x2, x);
  const x4 = srdhm(x2, x2);
  const x4Over4 = rdbp(x4, 2);
  const poly = rdbp((srdhm((x4Over4 + x3) | 0, oneThird) + x2) | 0, 1); // x^4/24 + x^3/6 + x^2/2
  return (expMinusOneEighth + srdhm(expMinusOneEighth, (x + poly) | 0)) | 0;
}

/** exp(-2^k) in Q0 for k = -2..4: the barrel shifter's factors. */
const EXP_OF_POWERS: [number, number][] = [[-2, 1672461947], [-1, 1302514674], [0, 790015084], [1, 290630308], [2, 39332535], [3, 720401], [4, 242]];

/**
 * gemmlowp's exp_on_negative_values: exp(a) for a <= 0 given in Q`integerBits`, result in Q0.
 * a = (a mod 1/4 - 1/4) - r: the first part by the Taylor expansion, then one factor exp(-2^k)
 * per set bit of r.
 */
export function expOnNegativeValues(a: number, integerBits: number): number {
  const fractionalBits = 31 - integerBits;
  const oneQuarter = 1 << (fractionalBits - 2);
  const aModQuarterMinusOneQuarter = ((a & (oneQuarter - 1)) - oneQuarter) | 0;
  let result = expOnIntervalNearZero(saturatingShiftLeft(aModQuarterMinusOneQuarter, integerBits));
  const remainder = (aModQuarterMinusOneQuarter - a) | 0;
  for (const [k, factor] of EXP_OF_POWERS) {
    if (integerBits > k && remainder & (1 << (fractionalBits + k))) result = srdhm(result, factor);
  }
  if (integerBits > 5 && a < -(2 ** (36 - integerBits))) result = 0; // exp(x < -32) = 0
  return a === 0 ? INT32_MAX : result;
}

/** gemmlowp's one_over_one_plus_x_for_x_in_0_1: 1 / (1 + a) for a in [0, 1), Q0, by Newton-Raphson. */
export function oneOverOnePlusX(a: number): number {
  const halfDenominator = roundingHalfSum(a, INT32_MAX);
  const fortyEightOver17 = 1515870810; // Q2
  const minusThirtyTwoOver17 = -1010580540; // Q2
  const oneQ2 = 1 << 29;
  let x = (fortyEightOver17 + srdhm(halfDenominator, minusThirtyTwoOver17)) | 0;
  for (let i = 0; i < 3; i++) {
    const oneMinusHalfDenominatorTimesX = (oneQ2 - srdhm(halfDenominator, x)) | 0;
    x = (x + saturatingShiftLeft(srdhm(x, oneMinusHalfDenominatorTimesX), 2)) | 0;
  }
  return saturatingShiftLeft(x, 1); // x / 2 in Q1, rescaled to Q0
}

/**
 * TFLite's GetReciprocal: 1 / x for x > 0 in Q`integerBits`, as a Q0 scale and the number of bits
 * the result must be shifted right by: x = 2^bitsOverUnit * (1 + f), scale = 1 / (1 + f).
 */
export function reciprocal(x: number, integerBits: number): { scale: number; bitsOverUnit: number } {
  const headroomPlusOne = Math.clz32(x);
  const shiftedMinusOne = ((x << headroomPlusOne) >>> 0) - 0x80000000;
  return { scale: oneOverOnePlusX(shiftedMinusOne), bitsOverUnit: integerBits - headroomPlusOne };
}
