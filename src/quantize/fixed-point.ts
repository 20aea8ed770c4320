/**
 * The fixed-point primitives of TFLite's integer kernels (gemmlowp's SaturatingRoundingDoublingHighMul
 * and RoundingDivideByPOT, TFLite's QuantizeMultiplier and MultiplyByQuantizedMultiplier in its
 * default "double rounding" form, which CMSIS-NN also uses by default), written so that every result
 * is bit-identical to the C code on a 32-bit target.
 *
 * JavaScript numbers are doubles: integers are exact up to 2^53, so a 32x32-bit product (up to 2^62)
 * is not. SRDHM therefore splits one factor into 16-bit halves so that each partial product stays
 * below 2^47; no BigInt is needed (tests check every function against a BigInt transcription).
 */

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

/** std::round: halves go away from zero (Math.round sends -2.5 to -2, which TFLite does not). */
export function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/** A real multiplier as TFLite stores it: real ~= multiplier * 2^(shift - 31), multiplier a Q31 int32. */
export interface QuantizedMultiplier {
  /** Q31 fixed-point value in [2^30, 2^31) for positive multipliers, 0 for a zero (or flushed) one. */
  multiplier: number;
  /** Power-of-two exponent; > 0 means a left shift before the multiply (real multiplier >= 1). */
  shift: number;
}

/**
 * TFLite's QuantizeMultiplier: frexp the real multiplier into q * 2^shift with q in [0.5, 1), round
 * q * 2^31 half away from zero, renormalize if the rounding reached 2^31, and flush multipliers so
 * small that the right shift would exceed 31 bits to zero.
 */
export function quantizeMultiplier(real: number): QuantizedMultiplier {
  if (!Number.isFinite(real)) throw new RangeError(`quantizeMultiplier: multiplier ${real} is not finite`);
  if (real === 0 || Math.abs(real) < 2 ** -64) return { multiplier: 0, shift: 0 };
  let shift = Math.floor(Math.log2(Math.abs(real))) + 1;
  let q = real / 2 ** shift; // exact: division by a power of two
  // log2 may be off by one near powers of two; fix up so that 0.5 <= |q| < 1 as frexp guarantees.
  while (Math.abs(q) >= 1) { q /= 2; shift += 1; }
  while (Math.abs(q) < 0.5) { q *= 2; shift -= 1; }
  let qFixed = roundHalfAwayFromZero(q * 2 ** 31);
  if (qFixed === 2 ** 31) { qFixed /= 2; shift += 1; }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  return { multiplier: qFixed, shift };
}

/**
 * gemmlowp's SaturatingRoundingDoublingHighMul: the high 32 bits of 2*a*b, i.e. a*b / 2^31, rounded
 * to nearest. C computes (ab + nudge) / 2^31 with truncating division and nudge = 2^30 for ab >= 0,
 * 1 - 2^30 below; for a negative ab, truncation is a ceiling and ceil((ab + 1 - 2^30) / 2^31) equals
 * floor((ab + 2^30) / 2^31), so both cases are floor((ab + 2^30) / 2^31): ties round up (towards
 * +infinity), e.g. -0.5 -> 0 and 0.5 -> 1. The only overflow, INT32_MIN * INT32_MIN, saturates.
 *
 * b is split into b = bHigh * 2^16 + bLow (bLow in [0, 2^16)) so every partial product is below
 * 2^47 and exact in a double; floor((A * 2^16 + r) / 2^31) = floor(A / 2^15) for integer A and
 * 0 <= r < 2^16 lets the low part be folded in first. Branch-free on the signs: it runs per output.
 */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  // Small a (most accumulators): |a*b| + 2^30 < 2^52 + 2^30 < 2^53, exact with one product.
  if (a < 0x200000 && a > -0x200000) return Math.floor((a * b + 0x40000000) * (1 / 2147483648));
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const bHigh = b >> 16; // signed, |bHigh| <= 2^15
  const bLow = b & 0xffff;
  const carry = Math.floor((a * bLow + 0x40000000) * (1 / 65536));
  return Math.floor((a * bHigh + carry) * (1 / 32768)) | 0;
}

/**
 * gemmlowp's RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero.
 * Precondition (not checked, this is the hot path): x is an int32 and 0 <= exponent <= 31.
 * Branch-free: `(threshold - remainder) >>> 31` is 1 exactly when remainder > threshold.
 */
export function roundingDivideByPOT(x: number, exponent: number): number {
  const mask = exponent >= 31 ? 0x7fffffff : (1 << exponent) - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x >>> 31);
  return (x >> exponent) + ((threshold - remainder) >>> 31);
}

/**
 * TFLite's MultiplyByQuantizedMultiplier (double rounding): x * real_multiplier, where the real
 * multiplier is (multiplier, shift) from quantizeMultiplier. A positive shift is a left shift of x
 * done in 32 bits before the multiply; the quantizer guarantees it cannot overflow (the C code
 * would be undefined there; `<<` here wraps like the hardware does).
 */
export function multiplyByQuantizedMultiplier(x: number, multiplier: number, shift: number): number {
  const leftShift = shift > 0 ? shift : 0;
  const rightShift = shift > 0 ? 0 : -shift;
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x << leftShift, multiplier), rightShift);
}

/** Clamp to an integer range: how fused activations and the final narrowing cast are done. */
export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
