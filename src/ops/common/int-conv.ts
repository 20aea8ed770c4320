import { roundingDivideByPOT, saturatingRoundingDoublingHighMul } from '../../quantize/fixed-point.js';
import { PaddedInput, type ConvGeometry } from './conv-geometry.js';
import { checkAccumulator } from './quantize-weights.js';
import { nativeIntConv } from './native-int-conv.js';

/**
 * The integer convolution shared by conv2d and dense (a 1x1 convolution of a 1x1 image). For each
 * output pixel p and channel c it computes TFLite's reference arithmetic:
 *
 *   acc = sum over the receptive field of (x - inputZeroPoint) * (w[c] - weightZeroPoint[c]) + bias[c]
 *   out = clamp(MultiplyByQuantizedMultiplier(acc, multiplier[c], shift[c]) + outputZeroPoint,
 *               activationMin, activationMax)
 *
 * Zero points are subtracted once per value (inputs when copied into the padded buffer, weights at
 * prepare time) instead of in the multiply loop, and the padding border is 0, which is exactly
 * TFLite's "pad with the input zero point".
 *
 * Overflow invariant: the quantizer proved |acc| <= accumulatorBound < 2^31 for every possible input
 * (bound = |bias| + max|x - zx| * sum |w - zw|, which also bounds every partial sum), and that the
 * left shift of multipliers >= 1 keeps it in int32. See src/quantize/integer-arithmetic.md.
 */
export interface IntConvSpec {
  /** Node name, for error messages. */
  node: string;
  geometry: ConvGeometry;
  channels: number;
  /** Weights minus their zero point, [channels, kH * kW * inC] (OHWI order), each in [-255, 255]. */
  weights: Int16Array;
  bias: Int32Array;
  multiplier: number[];
  shift: number[];
  inputZeroPoint: number;
  outputZeroPoint: number;
  activationMin: number;
  activationMax: number;
  /** max |x - inputZeroPoint| over the input type's range. */
  maxAbsInput: number;
  /** Use the plain loop even where the packed one is exact (tests compare the two). */
  plain?: boolean;
  /** Use the JS loops even where the native addon is built (tests compare). */
  portable?: boolean;
  /**
   * XNNPACK mode (analysis only): requantize as out = roundHalfEven(float32(acc) * floatScale[c])
   * + zero point, clamped, instead of the fixed-point multiplier.
   */
  floatScale?: Float32Array;
}

export interface IntConv {
  run(input: Int8Array | Uint8Array, out: Int8Array | Uint8Array): void;
  /** Which accumulation runs, for tests and benchmarks. */
  readonly path: 'native' | 'packed' | 'plain';
}

/**
 * Packed accumulation: two int32 accumulators share one double, value = low + high * 2^27. A double
 * holds integers exactly up to 2^53, so while every channel's worst case max|x| * sum|w| stays
 * below 2^26, every product and partial sum of the packed value is exact and the lanes separate
 * again by rounding (the low lane lies in (-2^26, 2^26)). Half the multiplies: this is what makes
 * the reference interpreter fast enough to evaluate a test set. Layers beyond the bound use the
 * plain loop, which is also the readable definition of the result.
 */
const LANE = 2 ** 27;
const LANE_LIMIT = 2 ** 26;

export function prepareIntConv(spec: IntConvSpec): IntConv {
  const { channels, weights } = spec;
  const depth = weights.length / channels;
  let packable = !spec.plain;
  for (let c = 0; c < channels; c++) {
    let sumAbs = 0;
    for (let k = 0; k < depth; k++) sumAbs += Math.abs(weights[c * depth + k]);
    if (sumAbs * spec.maxAbsInput >= LANE_LIMIT) packable = false;
    // Re-check the quantizer's proof here too, so that a hand-edited graph cannot make us overflow.
    const bound = Math.abs(spec.bias[c]) + sumAbs * spec.maxAbsInput;
    checkAccumulator(spec.node, bound, [spec.shift[c]]);
  }
  // The native kernel is exact for any accumulator inside the proven bound, so it replaces both loops.
  const native = spec.plain || spec.portable ? undefined : nativeIntConv(spec.geometry, channels, weights);
  const padded: PaddedInput<Float64Array | Int16Array> = native?.padded ?? new PaddedInput(spec.geometry);
  const accumulate = native ? native.accumulate : packable ? packedAccumulate(spec, padded as PaddedInput) : plainAccumulate(spec, padded as PaddedInput);
  const requant = requantizer(spec);
  const sums = new Int32Array(padded.origins.length * channels);
  return {
    path: native ? 'native' : packable ? 'packed' : 'plain',
    run(input, out) {
      padded.fill(input, spec.inputZeroPoint);
      accumulate(sums);
      if (spec.floatScale) requantizeFloat(requant, spec.floatScale, sums, channels, out);
      else requantize(requant, sums, channels, out);
    },
  };
}

/** Per-channel requantization parameters. */
interface Requantizer {
  bias: Int32Array;
  multiplier: Int32Array;
  leftShift: Int32Array;
  rightShift: Int32Array;
  zeroPoint: number;
  min: number;
  max: number;
}

function requantizer(spec: IntConvSpec): Requantizer {
  return {
    bias: spec.bias,
    multiplier: Int32Array.from(spec.multiplier),
    leftShift: Int32Array.from(spec.shift, (s) => (s > 0 ? s : 0)),
    rightShift: Int32Array.from(spec.shift, (s) => (s > 0 ? 0 : -s)),
    zeroPoint: spec.outputZeroPoint,
    min: spec.activationMin,
    max: spec.activationMax,
  };
}

/**
 * Output values from raw sums ([pixels, channels]): add the bias, MultiplyByQuantizedMultiplier,
 * add the output zero point, clamp to the fused activation's range (within the 8-bit type).
 * Channel by channel, so that its parameters stay in registers.
 */
function requantize(q: Requantizer, sums: Int32Array, channels: number, out: Int8Array | Uint8Array): void {
  const count = sums.length, zp = q.zeroPoint, lo = q.min, hi = q.max;
  for (let c = 0; c < channels; c++) {
    const bias = q.bias[c], left = q.leftShift[c], multiplier = q.multiplier[c], right = q.rightShift[c];
    for (let i = c; i < count; i += channels) {
      // sum + bias and its left shift stay in int32: both are inside the accumulator bound.
      const x = (sums[i] + bias) << left;
      const scaled = roundingDivideByPOT(saturatingRoundingDoublingHighMul(x, multiplier), right) + zp;
      out[i] = scaled < lo ? lo : scaled > hi ? hi : scaled;
    }
  }
}

/**
 * XNNPACK's fp32 requantization: the int32 accumulator (bias included) converted to float32,
 * multiplied by the float32 scale (one float32 rounding), rounded to the nearest integer with ties
 * to even (XNNPACK's magic-bias trick and lrintf both do), plus the zero point, clamped.
 */
function requantizeFloat(q: Requantizer, scale: Float32Array, sums: Int32Array, channels: number, out: Int8Array | Uint8Array): void {
  const count = sums.length, zp = q.zeroPoint, lo = q.min, hi = q.max;
  for (let c = 0; c < channels; c++) {
    const bias = q.bias[c], s = scale[c];
    for (let i = c; i < count; i += channels) {
      const scaled = roundHalfToEven(Math.fround(Math.fround(sums[i] + bias) * s)) + zp;
      out[i] = scaled < lo ? lo : scaled > hi ? hi : scaled;
    }
  }
}

/** Round to nearest, ties to even (IEEE's default rounding, as lrintf). */
export function roundHalfToEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Writes the raw sums (without bias) of every output pixel and channel. */
type Accumulate = (sums: Int32Array) => void;

/** The readable definition: one dot product per output value. */
function plainAccumulate(spec: IntConvSpec, padded: PaddedInput): Accumulate {
  const { channels, weights, geometry: g } = spec;
  const { origins, rowStride, data: x } = padded;
  const run = g.kW * g.inC;
  const depth = g.kH * run;
  return (sums) => {
    for (let p = 0; p < origins.length; p++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        let k = c * depth;
        for (let ky = 0; ky < g.kH; ky++) {
          const start = origins[p] + ky * rowStride;
          for (let i = start; i < start + run; i++) sum += x[i] * weights[k++];
        }
        sums[p * channels + c] = sum;
      }
    }
  };
}

/**
 * Packed accumulation blocked 3 output pixels x 8 channels: channels j and j + 4 of each block of 8
 * share a packed weight, laid out [block][k][4], so the inner loop reads 3 input values and 4
 * contiguous packed weights for 24 multiply-accumulates. Blocks of channels are the outer loop so
 * that one block's weights stay in the L1 cache while all pixels pass.
 */
function packedAccumulate(spec: IntConvSpec, padded: PaddedInput): Accumulate {
  const { channels, weights, geometry: g } = spec;
  const { origins, rowStride } = padded;
  const run = g.kW * g.inC;
  const depth = g.kH * run;
  const kH = g.kH;
  const rows = origins.length;
  const blocks = Math.ceil(channels / 8);
  const packed = new Float64Array(blocks * depth * 4);
  for (let b = 0; b < blocks; b++) {
    for (let k = 0; k < depth; k++) {
      for (let j = 0; j < 4; j++) {
        const lo = b * 8 + j;
        const hi = lo + 4;
        const wLo = lo < channels ? weights[lo * depth + k] : 0;
        const wHi = hi < channels ? weights[hi * depth + k] : 0;
        packed[(b * depth + k) * 4 + j] = wLo + wHi * LANE;
      }
    }
  }
  const xs = padded.data;
  return (sums) => {
    // Locals, not closure variables: V8 then keeps the arrays and bounds in registers.
    const x = xs, w4 = packed, starts = origins, n = channels, nb = blocks, kh = kH, len = run, stride = rowStride;
    const blockStride = depth * 4, count = rows;
    for (let b = 0; b < nb; b++) {
      const c = b * 8;
      const wBase = b * blockStride;
      let p = 0;
      for (; p + 2 < count; p += 3) {
        const s0 = starts[p], s1 = starts[p + 1], s2 = starts[p + 2];
        const o0 = p * n, o1 = o0 + n, o2 = o1 + n;
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0, c0 = 0, c1 = 0, c2 = 0, c3 = 0;
        let w = wBase;
        for (let ky = 0; ky < kh; ky++) {
          let i0 = s0 + ky * stride, i1 = s1 + ky * stride, i2 = s2 + ky * stride;
          const end = i0 + len;
          for (; i0 < end; i0++, i1++, i2++, w += 4) {
            const u = x[i0], v = x[i1], t = x[i2];
            const w0 = w4[w], w1 = w4[w + 1], w2 = w4[w + 2], w3 = w4[w + 3];
            a0 += u * w0; a1 += u * w1; a2 += u * w2; a3 += u * w3;
            b0 += v * w0; b1 += v * w1; b2 += v * w2; b3 += v * w3;
            c0 += t * w0; c1 += t * w1; c2 += t * w2; c3 += t * w3;
          }
        }
        split(sums, o0, c, n, a0); split(sums, o0, c + 1, n, a1); split(sums, o0, c + 2, n, a2); split(sums, o0, c + 3, n, a3);
        split(sums, o1, c, n, b0); split(sums, o1, c + 1, n, b1); split(sums, o1, c + 2, n, b2); split(sums, o1, c + 3, n, b3);
        split(sums, o2, c, n, c0); split(sums, o2, c + 1, n, c1); split(sums, o2, c + 2, n, c2); split(sums, o2, c + 3, n, c3);
      }
      for (; p < count; p++) {
        const s0 = starts[p];
        const o0 = p * n;
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        let w = wBase;
        for (let ky = 0; ky < kh; ky++) {
          let i0 = s0 + ky * stride;
          const end = i0 + len;
          for (; i0 < end; i0++, w += 4) {
            const u = x[i0];
            a0 += u * w4[w]; a1 += u * w4[w + 1]; a2 += u * w4[w + 2]; a3 += u * w4[w + 3];
          }
        }
        split(sums, o0, c, n, a0); split(sums, o0, c + 1, n, a1); split(sums, o0, c + 2, n, a2); split(sums, o0, c + 3, n, a3);
      }
    }
  };
}

/**
 * Split a packed sum into its lanes (high = round(sum / 2^27), low = sum - high * 2^27): the raw
 * sums of channels `channel` and `channel + 4`.
 */
function split(sums: Int32Array, base: number, channel: number, channels: number, sum: number): void {
  const high = Math.round(sum * (1 / LANE));
  if (channel < channels) sums[base + channel] = sum - high * LANE;
  if (channel + 4 < channels) sums[base + channel + 4] = high;
}
