/**
 * A table of 256 values as a saturated line: table[x] = sat((x K + B) >> shift) for x = 0..255,
 * where sat clamps to [lo, hi] (the output type's range, one SSAT/USAT). normalize_input's tables
 * are round((x / 255 - mean) / std / scale) + zero point: rounded points of a real line, clamped, so
 * some integer K, B reproduces them exactly; found here and checked for every x, else null (the
 * table stays). Computing them costs a multiply-add per value instead of 256 bytes per channel.
 */
export interface SaturatedLine {
  k: number;
  b: number;
}

export function fitSaturatedLine(table: ArrayLike<number>, lo: number, hi: number, shift: number): SaturatedLine | null {
  const one = 2 ** shift;
  const free: number[] = [];
  for (let x = 0; x < 256; x++) if (table[x] > lo && table[x] < hi) free.push(x);
  if (free.length < 2) return null;
  // Between two unclamped points a, b: (dy - 1) 2^shift < (b - a) K < (dy + 1) 2^shift.
  let kLo = 0;
  let kHi = Infinity;
  for (let i = 0; i < free.length; i++) {
    for (let j = i + 1; j < free.length; j++) {
      const d = free[j] - free[i];
      const dy = table[free[j]] - table[free[i]];
      kLo = Math.max(kLo, Math.floor(((dy - 1) * one) / d) + 1);
      kHi = Math.min(kHi, Math.ceil(((dy + 1) * one) / d) - 1);
    }
  }
  for (let k = kLo; k <= Math.min(kHi, kLo + 65536); k++) {
    // Each x bounds B: (x K + B) >> shift >= table[x] unless it saturates low, <= table[x] unless high.
    let bLo = -Infinity;
    let bHi = Infinity;
    for (let x = 0; x < 256; x++) {
      if (table[x] > lo) bLo = Math.max(bLo, table[x] * one - x * k);
      if (table[x] < hi) bHi = Math.min(bHi, (table[x] + 1) * one - 1 - x * k);
    }
    if (bLo <= bHi && reproduces(table, lo, hi, shift, k, bLo)) return { k, b: bLo };
  }
  return null;
}

/** The C's integers: x K + B within int32, an arithmetic shift, then saturation. */
function reproduces(table: ArrayLike<number>, lo: number, hi: number, shift: number, k: number, b: number): boolean {
  for (let x = 0; x < 256; x++) {
    const v = x * k + b;
    if (v < -(2 ** 31) || v >= 2 ** 31) return false;
    if (Math.min(hi, Math.max(lo, Math.floor(v / 2 ** shift))) !== table[x]) return false;
  }
  return true;
}
