/**
 * Rounding pinned by independent values: for every op that rounds, integer inputs and parameters at
 * the rounding boundaries (ties, negative ties, saturation, the largest and smallest multipliers and
 * shifts, clipped pooling windows) with the outputs derived by hand from TFLite's definitions, never
 * by running kit. rounding.test.ts checks the integer reference (the interpreter) and the generated C
 * against them, so a change of rounding mode fails even when reference and template change together.
 *
 * Each case is a tiny quantized graph: raw pixels -> an identity lookup table (pixel p is the value
 * p - 128 in int8, p in uint8; input zero point as given) -> the op under test -> the output.
 *
 * Adding an op: give it an entry in ROUNDING_CASES with its own hand-derived table, or, if its integer
 * kernel cannot round, in NO_ROUNDING with the reason. rounding.test.ts fails for an op in neither.
 */
import { GRAPH_VERSION, type Graph, type GraphNode, type TensorSpec } from '../../src/ir/graph.js';
import { getScheme, type SchemeName } from '../../src/quantize/schemes.js';

export interface RoundingCase {
  /** What the case pins (the test's name). */
  name: string;
  graph: Graph;
  /** The pixels of every image, one after another. */
  images: Uint8Array;
  count: number;
  /** Expected output values (signed for int8), every image's after the previous one's. */
  expected: number[];
}

/** The ops whose integer kernel cannot round, and why. */
export const NO_ROUNDING: Record<string, string> = {
  normalize_input: 'a table lookup (the table is rounded once, in float, at quantize time)',
  relu: 'a clamp of raw values',
  max_pool2d: 'the max of raw values, clamped',
  flatten: 'a copy',
  pad: 'a copy of the input with the border set to the output zero point (real 0): no arithmetic',
  reshape: "no code: the output is the input's bytes",
};

/**
 * Fused ops whose integer reference is the exact composition of other ops (src/ops/conv2d-add calls
 * conv2d's and add's arithmetic): their rounding is those ops', pinned by those ops' cases. The
 * fused C kernel is compared with the unfused interpreter in test/codegen/fused.test.ts.
 */
export const COMPOSED_OF: Record<string, string[]> = {
  conv2d_add: ['conv2d', 'add'],
};

const H = 2 ** 30; // Q31 multiplier 0.5: the smallest a quantized multiplier can be
const MAX = 2 ** 31 - 1; // Q31 multiplier 1 - 2^-31: the largest
const M75 = 3 * 2 ** 29; // Q31 multiplier 0.75

/**
 * MultiplyByQuantizedMultiplier(acc, m, s) = RoundingDivideByPOT(SRDHM(acc << max(s, 0), m), max(-s, 0)),
 * with SRDHM(a, m) = a * m / 2^31 rounded to nearest, ties UP (towards +infinity), and
 * RoundingDivideByPOT rounding to nearest, ties AWAY from zero: TFLite's "double rounding".
 * [acc, multiplier, shift, result before the zero point and clamp].
 *
 * The fast rows have |acc| < 2^30 and shifts <= -1 (the C code's kit_requantize_fast path); the
 * general rows need the general path (left shifts, |acc| >= 2^30).
 */
const REQUANT_FAST: [number, number, number, number][] = [
  [5, H, -1, 2], //         5/4 = 1.25: SRDHM 5/2 = 2.5 -> 3 (tie up), then 3/2 = 1.5 -> 2 (tie away); one rounding would give 1
  [-5, H, -1, -1], //      SRDHM -2.5 -> -2 (tie up, not away), then -2/2 = -1 exactly
  [3, H, -1, 1], //        SRDHM 1.5 -> 2, then 2/2 = 1
  [-3, H, -1, -1], //      SRDHM -1.5 -> -1, then -1/2 = -0.5 -> -1 (tie away)
  [1, H, -1, 1], //        1/4: SRDHM 0.5 -> 1, then 1/2 = 0.5 -> 1
  [-1, H, -1, 0], //       SRDHM -0.5 -> 0
  [4, H, -2, 1], //        4/8 = 0.5: SRDHM 2, then 2/4 = 0.5 -> 1
  [-4, H, -2, -1], //      SRDHM -2, then -2/4 = -0.5 -> -1 (away from zero, not up)
  [-2, H, -2, 0], //       SRDHM -1, then -1/4 = -0.25 -> 0
  [-6, H, -2, -1], //      SRDHM -3, then -3/4 = -0.75 -> -1
  [-12, H, -2, -2], //     SRDHM -6, then -6/4 = -1.5 -> -2
  [3, MAX, -1, 2], //      SRDHM floor(3 - 3/2^31 + 1/2) = 3, then 3/2 = 1.5 -> 2
  [-3, MAX, -1, -2], //    SRDHM floor(-3 + 3/2^31 + 1/2) = -3, then -1.5 -> -2
  [1000, MAX, -1, 500], // SRDHM 1000, then 500: saturates at the top of the type
  [-1000, MAX, -1, -500], // saturates at the bottom
  [2 ** 29, MAX, -30, 1], // the largest fast shift: SRDHM floor(2^29 - 1/4 + 1/2) = 2^29, then 2^29/2^30 = 0.5 -> 1
  [-(2 ** 29), MAX, -30, -1], // SRDHM floor(-2^29 + 1/4 + 1/2) = -2^29, then -0.5 -> -1
  [2 ** 30 - 1, MAX, -31, 0], // shift -31: SRDHM floor(2^30 - 1 + 2^-31) = 2^30 - 1, then just under 0.5 -> 0
  [-(2 ** 30 - 1), MAX, -31, 0], // SRDHM floor(-2^30 + 2 - 2^-31) = -2^30 + 1, then just over -0.5 -> 0
];
const REQUANT_GENERAL: [number, number, number, number][] = [
  [1, M75, 1, 2], //       real 1.5, a left shift: SRDHM(2, 0.75) = 1.5 -> 2 (tie up), no division
  [-1, M75, 1, -1], //     SRDHM(-2, 0.75) = -1.5 -> -1 (tie up, not away)
  [5, M75, 1, 8], //       7.5 -> 8
  [-5, M75, 1, -7], //     -7.5 -> -7
  [3, H, 1, 3], //         real 1.0 exactly: 3
  [1, H, 30, 2 ** 29], //  the largest left shift: 1 << 30 = 2^30, SRDHM 2^29: saturates
  [-1, H, 30, -(2 ** 29)], // saturates at the bottom
  [MAX, H, -31, 1], //     the smallest real multiplier (2^-32) on the largest acc: SRDHM (2^31 - 1)/2 = 2^30 - 0.5 -> 2^30, then 2^30/2^31 = 0.5 -> 1
  [-MAX, H, -31, 0], //    SRDHM -(2^30 - 1) exactly, then just over -0.5 -> 0
  [MAX, MAX, 0, 2 ** 31 - 2], // the largest multiplier on the largest acc: floor(2^31 - 2 + (2^30 + 1)/2^31): saturates
  [-MAX, MAX, 0, -(2 ** 31) + 2], // floor(-2^31 + 2 + 1/2 - 2^-31): saturates
];

/**
 * avg_pool2d and global_avg_pool average raw values with TFLite's (sum +- n/2) / n, C's truncating
 * division: to nearest, ties away from zero. [window values, average] per window size.
 */
const AVERAGE_INT8: number[][][] = [
  [[0, 1], [-1, 0], [-2, -1], [1, 2], [-3, 0], [5, -6], [127, 126], [-128, -127], [3, 4], [-4, -3]],
  [[0, 0, 1], [0, 1, 1], [-1, -1, 0], [-1, 0, 0], [1, 1, 2], [-2, -2, -1], [127, 127, 126], [-128, -128, -127]],
  [[0, 0, 1, 1], [-1, -1, 0, 0], [1, 1, 1, 2], [-1, -1, -1, -2], [-2, -2, -1, -1], [0, 1, 1, 1]],
];
const AVERAGED_INT8: number[][] = [
  [1, -1, -2, 2, -2, -1, 127, -128, 4, -4], //    0.5 -> 1, -0.5 -> -1, -1.5 -> -2, 1.5 -> 2, -1.5, -0.5, 126.5, -127.5, 3.5, -3.5
  [0, 1, -1, 0, 1, -2, 127, -128], //             1/3, 2/3, -2/3, -1/3, 4/3, -5/3, 126.67, -127.67
  [1, -1, 1, -1, -2, 1], //                       0.5, -0.5, 1.25, -1.25, -1.5, 0.75
];
const AVERAGE_UINT8: number[][][] = [
  [[0, 1], [254, 255], [2, 3], [0, 0], [100, 101], [10, 13]],
  [[0, 0, 1], [0, 1, 1], [255, 255, 254], [1, 2, 2]],
  [[0, 0, 1, 1], [1, 1, 2, 2], [0, 0, 0, 1], [254, 255, 255, 255]],
];
const AVERAGED_UINT8: number[][] = [
  [1, 255, 3, 0, 101, 12], //   0.5 -> 1, 254.5 -> 255, 2.5 -> 3, 0, 100.5 -> 101, 11.5 -> 12
  [0, 1, 255, 2], //            1/3, 2/3, 254.67, 5/3
  [1, 2, 0, 255], //            0.5, 1.5, 0.25, 254.75
];

/**
 * add: both inputs are the same tensor q with zero point z, d = q - z; each input i is rescaled to
 * MBQM(d << 20, m_i, s_i), the sum to MBQM(sum, m, s) (rounding as above). [d, result before the
 * output zero point and clamp].
 *
 * Fast output path: input 1 = d * 2^19 and input 2 = d * 2^18 exactly (m 0.5, shifts 0 and -1),
 * output real 2^-19: 3d / 2, its ties away from zero.
 */
const ADD_FAST = { input1: [H, 0], input2: [H, -1], output: [H, -18] };
const ADD_FAST_CASES: [number, number][] = [
  [1, 2], [-1, -2], [3, 5], [-3, -5], [2, 3], [0, 0], [100, 150], [-100, -150],
];
/**
 * General output path (a left shift): input 1 = d / 2 and input 2 = d / 4, each rounded away from zero
 * (shifts -20 and -21), output real 1.5 = SRDHM(2 sum, 0.75), ties up:
 * d = 1: 1 + 0 = 1 -> 1.5 -> 2; d = -1: -1 + 0 -> -1.5 -> -1; d = 2: 1 + 1 (0.5 -> 1) -> 3;
 * d = -2: -1 - 1 -> -3; d = 3: 2 (1.5) + 1 (0.75) -> 4.5 -> 5; d = -3: -2 - 1 -> -4.5 -> -4;
 * d = 5: 3 (2.5) + 1 (1.25) -> 6; d = 6: 3 + 2 (1.5) -> 7.5 -> 8; d = -6: -3 - 2 -> -7.5 -> -7;
 * d = 120: 60 + 30 -> 135, d = -120: -135: saturate.
 */
const ADD_GENERAL = { input1: [H, -20], input2: [H, -21], output: [M75, 1] };
const ADD_GENERAL_CASES: [number, number][] = [
  [1, 2], [-1, -1], [2, 3], [-2, -3], [3, 5], [-3, -4], [5, 6], [-5, -6], [6, 8], [-6, -7], [0, 0], [120, 135], [-120, -135],
];

/** A quantized graph builder for these cases: the identity lookup table and one op after it. */
class Tiny {
  readonly tensors: Record<string, TensorSpec> = {};
  readonly nodes: GraphNode[] = [];
  readonly qmin: number;
  readonly qmax: number;
  constructor(readonly scheme: SchemeName) {
    ({ qmin: this.qmin, qmax: this.qmax } = getScheme(scheme).activation);
  }

  /**
   * Raw pixels [1, w, c] through the identity table: pixel p is the value p + qmin. A second table
   * (another name) reads the same pixels, e.g. to give concat two differently quantized inputs.
   */
  input(w: number, c: number, zeroPoint: number, name = 'lut', scale?: number): string {
    this.tensors.image = { shape: [1, w, c], dtype: 'uint8', quant: { scale: [1], zeroPoint: [0] } };
    const table = this.scheme === 'int8' ? new Int8Array(c * 256) : new Uint8Array(c * 256);
    for (let i = 0; i < table.length; i++) table[i] = (i % 256) + this.qmin;
    this.tensors[`${name}/table`] = { shape: [c, 256], dtype: this.scheme, data: table, quant: { scale: [scale ?? 0.02], zeroPoint: [zeroPoint] } };
    this.add(name, 'normalize_input', ['image', `${name}/table`], [1, w, c], zeroPoint, { mean: Array(c).fill(0), std: Array(c).fill(1) }, {});
    if (scale !== undefined) this.quant(name, scale, zeroPoint);
    return name;
  }

  /** Set a tensor's quantization (and type): the ratio of scales is what the op's parameters derive from. */
  quant(name: string, scale: number, zeroPoint: number, dtype: SchemeName = this.scheme): void {
    this.tensors[name] = { ...this.tensors[name], dtype, quant: { scale: [scale], zeroPoint: [zeroPoint] } };
  }

  pixel(value: number): number {
    return value - this.qmin;
  }

  add(name: string, op: string, inputs: string[], shape: number[], zeroPoint: number, attrs: Record<string, unknown>, intParams: Record<string, unknown>): string {
    this.tensors[name] = { shape, dtype: this.scheme, quant: { scale: [0.05], zeroPoint: [zeroPoint] } };
    this.nodes.push({ name, op, inputs, outputs: [name], attrs, intParams });
    return name;
  }

  build(output: string): Graph {
    return { version: GRAPH_VERSION, kind: 'quantized', scheme: this.scheme, tensors: this.tensors, nodes: this.nodes, inputs: ['image'], outputs: [output] };
  }
}

const OUTPUT_ZERO_POINT = { int8: -3, uint8: 125 };
const clampTo = (b: Tiny, v: number) => Math.min(b.qmax, Math.max(b.qmin, v));

/**
 * conv2d (1x1) or dense: one output channel per row; all weights 0 so that the accumulator is the
 * row's bias exactly; the row's multiplier and shift are the channel's.
 */
function requantCase(op: 'conv2d' | 'dense', scheme: SchemeName, path: string, rows: [number, number, number, number][]): RoundingCase {
  const b = new Tiny(scheme);
  const zo = OUTPUT_ZERO_POINT[scheme];
  let x = b.input(1, 1, 0);
  const channels = rows.length;
  if (op === 'dense') x = b.add('flat', 'flatten', [x], [1], 0, {}, {});
  const wShape = op === 'dense' ? [channels, 1] : [channels, 1, 1, 1];
  b.tensors['layer/weights'] = {
    shape: wShape,
    dtype: scheme,
    data: scheme === 'int8' ? new Int8Array(channels) : new Uint8Array(channels),
    quant: { scale: rows.map(() => 0.01), zeroPoint: rows.map(() => 0), axis: 0 },
  };
  b.tensors['layer/bias'] = { shape: [channels], dtype: 'int32', data: Int32Array.from(rows, (r) => r[0]), quant: { scale: rows.map(() => 0.0002), zeroPoint: rows.map(() => 0), axis: 0 } };
  const attrs = op === 'dense' ? { activation: 'none' } : { strides: [1, 1], padding: 'valid', activation: 'none' };
  const out = b.add('layer', op, [x, 'layer/weights', 'layer/bias'], op === 'dense' ? [channels] : [1, 1, channels], zo, attrs, {
    multiplier: rows.map((r) => r[1]),
    shift: rows.map((r) => r[2]),
    activationMin: b.qmin,
    activationMax: b.qmax,
  });
  return {
    name: `${op} ${scheme}, requantization (${path} path): ${rows.length} hand-derived accumulators`,
    graph: b.build(out),
    images: Uint8Array.of(b.pixel(0)),
    count: 1,
    expected: rows.map((r) => clampTo(b, r[3] + zo)),
  };
}

/** avg_pool2d over a [1, n] window (and a clipped same-padding window) or global_avg_pool over n positions: one channel per window. */
function averageCases(op: 'avg_pool2d' | 'global_avg_pool', scheme: SchemeName): RoundingCase[] {
  const windows = scheme === 'int8' ? AVERAGE_INT8 : AVERAGE_UINT8;
  const averages = scheme === 'int8' ? AVERAGED_INT8 : AVERAGED_UINT8;
  const cases = windows.map((group, g) => {
    const n = group[0].length;
    const b = new Tiny(scheme);
    const x = b.input(n, group.length, 0);
    const out =
      op === 'avg_pool2d'
        ? b.add('pool', op, [x], [1, 1, group.length], 0, { poolSize: [1, n], strides: [1, n], padding: 'valid' }, { activationMin: b.qmin, activationMax: b.qmax })
        : b.add('pool', op, [x], [group.length], 0, {}, { activationMin: b.qmin, activationMax: b.qmax });
    // HWC: position i holds every channel's i-th value.
    const images = Uint8Array.from({ length: n * group.length }, (_, k) => b.pixel(group[k % group.length][Math.floor(k / group.length)]));
    return { name: `${op} ${scheme}, windows of ${n}: ${group.length} hand-derived averages`, graph: b.build(out), images, count: 1, expected: averages[g] };
  });
  if (op === 'avg_pool2d') {
    // A 1x3 window, stride 1, same padding over 3 positions: windows [0, 2), [0, 3), [1, 3); the
    // border windows divide by the 2 real values, not by 3.
    const b = new Tiny(scheme);
    const x = b.input(3, 1, 0);
    const out = b.add('pool', op, [x], [1, 3, 1], 0, { poolSize: [1, 3], strides: [1, 1], padding: 'same' }, { activationMin: b.qmin, activationMax: b.qmax });
    const [values, expected] = scheme === 'int8' ? [[0, 1, 0], [1, 0, 1]] : [[2, 3, 3], [3, 3, 3]]; // int8: 1/2 -> 1, 1/3 -> 0, 1/2 -> 1; uint8: 2.5 -> 3, 8/3 -> 3, 3
    cases.push({ name: `avg_pool2d ${scheme}, same padding: clipped windows divide by their real count`, graph: b.build(out), images: Uint8Array.from(values, (v) => b.pixel(v)), count: 1, expected });
  }
  return cases;
}

/** add of a tensor with itself; one image per d. */
function addCase(scheme: SchemeName, path: string, p: typeof ADD_FAST, rows: [number, number][]): RoundingCase {
  const b = new Tiny(scheme);
  const z = scheme === 'int8' ? 0 : 128;
  const zo = OUTPUT_ZERO_POINT[scheme];
  const x = b.input(1, 1, z);
  const out = b.add('sum', 'add', [x, x], [1, 1, 1], zo, { activation: 'none' }, {
    leftShift: 20,
    input1Multiplier: p.input1[0],
    input1Shift: p.input1[1],
    input2Multiplier: p.input2[0],
    input2Shift: p.input2[1],
    outputMultiplier: p.output[0],
    outputShift: p.output[1],
    activationMin: b.qmin,
    activationMax: b.qmax,
  });
  return {
    name: `add ${scheme}, input and output rescaling (${path} path): ${rows.length} hand-derived sums`,
    graph: b.build(out),
    images: Uint8Array.from(rows, ([d]) => b.pixel(d + z)),
    count: rows.length,
    expected: rows.map(([, v]) => clampTo(b, v + zo)),
  };
}

/** depthwise_conv2d (1x1 kernel, one input channel, depth multiplier = one output channel per row): the same bias-only accumulators as conv2d. */
function depthwiseCase(scheme: SchemeName, path: string, rows: [number, number, number, number][]): RoundingCase {
  const b = new Tiny(scheme);
  const zo = OUTPUT_ZERO_POINT[scheme];
  const x = b.input(1, 1, 0);
  const channels = rows.length;
  b.tensors['layer/weights'] = {
    shape: [1, 1, 1, channels],
    dtype: scheme,
    data: scheme === 'int8' ? new Int8Array(channels) : new Uint8Array(channels),
    quant: { scale: rows.map(() => 0.01), zeroPoint: rows.map(() => 0), axis: 3 },
  };
  b.tensors['layer/bias'] = { shape: [channels], dtype: 'int32', data: Int32Array.from(rows, (r) => r[0]), quant: { scale: rows.map(() => 0.0002), zeroPoint: rows.map(() => 0), axis: 0 } };
  const out = b.add('layer', 'depthwise_conv2d', [x, 'layer/weights', 'layer/bias'], [1, 1, channels], zo, { strides: [1, 1], padding: 'valid', depthMultiplier: channels, activation: 'none' }, {
    multiplier: rows.map((r) => r[1]),
    shift: rows.map((r) => r[2]),
    activationMin: b.qmin,
    activationMax: b.qmax,
  });
  return {
    name: `depthwise_conv2d ${scheme}, requantization (${path} path): ${rows.length} hand-derived accumulators`,
    graph: b.build(out),
    images: Uint8Array.of(b.pixel(0)),
    count: 1,
    expected: rows.map((r) => clampTo(b, r[3] + zo)),
  };
}

/**
 * mean, same quantization in and out (TFLite Micro's reduce_common.cc): sum of the raw values / n with
 * C's truncating division, towards zero (unlike avg_pool's ties away from zero). Raw windows and
 * their means per scheme; zero point 0 in and out.
 */
interface MeanWindows {
  n: number;
  /** Folded path only: (multiplier, shift) of s_x / s_y = 1, i.e. QuantizeMultiplier(1) = (2^30, 1), with 1/n folded in. */
  multiplier: number;
  shift: number;
  windows: { int8: number[][]; uint8: number[][] };
  means: { int8: number[]; uint8: number[] };
}
const MEAN_SAME: MeanWindows[] = [
  {
    n: 2, multiplier: 0, shift: 0,
    windows: { int8: [[0, -1], [-3, -4], [3, 4], [127, 126], [-128, -127], [1, -2]], uint8: [[0, 1], [254, 255], [2, 3], [255, 255], [0, 0]] },
    // int8: -0.5 -> 0, -3.5 -> -3, 3.5 -> 3, 126.5 -> 126, -127.5 -> -127, -0.5 -> 0; uint8: 0.5 -> 0, 254.5 -> 254, 2.5 -> 2, 255, 0
    means: { int8: [0, -3, 3, 126, -127, 0], uint8: [0, 254, 2, 255, 0] },
  },
  {
    n: 3, multiplier: 0, shift: 0,
    windows: { int8: [[-1, -1, 0], [1, 1, 0], [-128, -128, -128], [127, 127, 127], [2, 2, 1], [-2, -2, -1]], uint8: [[0, 1, 1], [255, 255, 254], [1, 2, 2], [0, 0, 255]] },
    // int8: -2/3 -> 0, 2/3 -> 0, -128, 127, 5/3 -> 1, -5/3 -> -1; uint8: 2/3 -> 0, 254.67 -> 254, 5/3 -> 1, 85
    means: { int8: [0, 0, -128, 127, 1, -1], uint8: [0, 254, 1, 85] },
  },
];

/**
 * mean, different zero points (scales equal, s_x / s_y = 1 = QuantizeMultiplier (2^30, 1)): 1/n is
 * folded into the multiplier, k = min(floor(log2 n), 32, 31 + 1), m' = (2^30 << k) / n truncating,
 * s' = 1 - k; y = MBQM(sum - zx * n, m', s') + zy, clamped. Windows are d = x - zx; means before zy.
 * - n = 2: k = 1, m' = 2^31 / 2 = 2^30, s' = 0: SRDHM(v, 2^30) = v / 2, ties UP (-0.5 -> 0, -1.5 -> -1).
 * - n = 3: k = 1, m' = floor(2^31 / 3) = 715827882 (the lost 2/3 is TFLite Micro's truncation),
 *   s' = 0: floor((v * 715827882 + 2^30) / 2^31). v = 1: 1789569706 / 2^31 = 0.83 -> 0; v = 2:
 *   2505397588 / 2^31 = 1.17 -> 1; v = -1: 357913942 / 2^31 -> 0; v = -2: -357913940 / 2^31 -> -1;
 *   v = 4: 3937053352 / 2^31 = 1.83 -> 1; v = -4: -1789569704 / 2^31 -> -1; v = 381:
 *   273804164866 = 127 * 2^31 + 1073741570 -> 127; v = -384: -273804164864 = -128 * 2^31 + 1073742080 -> -128.
 * - n = 4: k = 2, m' = 2^32 / 4 = 2^30, s' = -1: SRDHM v / 2 ties up, then / 2 ties away from zero:
 *   v = 1: 0.5 -> 1, 0.5 -> 1; -1: -0.5 -> 0 -> 0; 3: 1.5 -> 2 -> 1; -3: -1.5 -> -1, -0.5 -> -1;
 *   5: 2.5 -> 3, 1.5 -> 2 (1.25 becomes 2: double rounding); -5: -2.5 -> -2 -> -1; 2: 1, 0.5 -> 1;
 *   -2: -1, -0.5 -> -1; -6: -3, -1.5 -> -2; 6: 3, 1.5 -> 2.
 */
const MEAN_FOLDED_WINDOWS = {
  2: [[0, 1], [-1, 0], [-2, -1], [1, 2], [-3, -4], [5, -6], [127, 126], [-128, -128]],
  3: [[0, 0, 1], [0, 1, 1], [-1, 0, 0], [-1, -1, 0], [1, 1, 2], [-1, -1, -2], [127, 127, 127], [-128, -128, -128]],
  4: [[0, 0, 0, 1], [-1, 0, 0, 0], [1, 1, 1, 0], [-1, -1, -1, 0], [1, 1, 1, 2], [-1, -1, -1, -2], [1, 1, 0, 0], [-1, -1, 0, 0], [-2, -2, -1, -1], [2, 2, 1, 1]],
};
const MEAN_FOLDED: MeanWindows[] = [
  { n: 2, multiplier: 2 ** 30, shift: 0, windows: { int8: MEAN_FOLDED_WINDOWS[2], uint8: MEAN_FOLDED_WINDOWS[2] }, means: { int8: [1, 0, -1, 2, -3, 0, 127, -128], uint8: [1, 0, -1, 2, -3, 0, 127, -128] } },
  { n: 3, multiplier: 715827882, shift: 0, windows: { int8: MEAN_FOLDED_WINDOWS[3], uint8: MEAN_FOLDED_WINDOWS[3] }, means: { int8: [0, 1, 0, -1, 1, -1, 127, -128], uint8: [0, 1, 0, -1, 1, -1, 127, -128] } },
  { n: 4, multiplier: 2 ** 30, shift: -1, windows: { int8: MEAN_FOLDED_WINDOWS[4], uint8: MEAN_FOLDED_WINDOWS[4] }, means: { int8: [1, 0, 1, -1, 2, -1, 1, -1, -2, 2], uint8: [1, 0, 1, -1, 2, -1, 1, -1, -2, 2] } },
];

/** mean over the n positions of [1, n, windows]: one channel per window. */
function meanCase(scheme: SchemeName, path: string, w: MeanWindows, same: boolean): RoundingCase {
  const b = new Tiny(scheme);
  const windows = w.windows[scheme];
  const c = windows.length;
  // Same quantization: zero point 0 in and out, raw values given. Folded: d given, zx 0 / 128, zy as elsewhere.
  const zx = same || scheme === 'int8' ? 0 : 128;
  const zy = same ? 0 : OUTPUT_ZERO_POINT[scheme];
  const x = b.input(w.n, c, zx, 'lut', 0.02);
  const out = b.add('avg', 'mean', [x], [1, c], zy, { axes: [1], keepDims: false }, { sameQuant: same, multiplier: w.multiplier, shift: w.shift });
  b.quant(out, 0.02, zy);
  const images = Uint8Array.from({ length: w.n * c }, (_, k) => b.pixel(windows[k % c][Math.floor(k / c)] + zx));
  return {
    name: `mean ${scheme}, ${path}, windows of ${w.n}: ${c} hand-derived means`,
    graph: b.build(out),
    images,
    count: 1,
    expected: w.means[scheme].map((v) => (same ? v : clampTo(b, v + zy))),
  };
}

/**
 * Requantization between 8-bit tensors (TFLite Micro's Requantize): y = MBQM(x - zx, m, s) + zy,
 * clamped to the output type. [d = x - zx, result before zy].
 *
 * s_x / s_y = 1/4 = QuantizeMultiplier (2^30, -1): SRDHM d / 2 ties up, then / 2 ties away from zero.
 * 5: 2.5 -> 3, 1.5 -> 2; -5: -2.5 -> -2, -1; 3: 1.5 -> 2, 1; -3: -1.5 -> -1, -0.5 -> -1; 1: 0.5 -> 1,
 * 0.5 -> 1; -1: -0.5 -> 0; 2: 1, 0.5 -> 1; -2: -1, -0.5 -> -1; 4: 2, 1; -4: -2, -1; 6: 3, 1.5 -> 2;
 * -6: -3, -1.5 -> -2; 127: 63.5 -> 64, 32; -128: -64, -32.
 */
const REQUANT_1_4: [number, number][] = [
  [5, 2], [-5, -1], [3, 1], [-3, -1], [1, 1], [-1, 0], [2, 1], [-2, -1], [4, 1], [-4, -1], [6, 2], [-6, -2], [127, 32], [-128, -32], [0, 0],
];
/**
 * s_x / s_y = 3/2 = QuantizeMultiplier (0.75 * 2^31, 1): SRDHM(2d, 0.75) = 1.5 d, ties up, no division.
 * 1: 1.5 -> 2; -1: -1.5 -> -1; 5: 7.5 -> 8; -5: -7.5 -> -7; 3: 4.5 -> 5; -3: -4.5 -> -4; 2: 3;
 * 100: 150 and -100: -150 saturate.
 */
const REQUANT_3_2: [number, number][] = [
  [1, 2], [-1, -1], [5, 8], [-5, -7], [3, 5], [-3, -4], [0, 0], [2, 3], [100, 150], [-100, -150],
];
const REQUANT_SCALES = { '1/4': [1 / 64, 1 / 16], '3/2': [3 / 64, 1 / 32] };

/** quantize [1, n, 1] from the scheme's type to `outType`, one value per row. */
function quantizeCase(scheme: SchemeName, outType: SchemeName, rows: [number, number][]): RoundingCase {
  const b = new Tiny(scheme);
  const ratio = rows === REQUANT_1_4 ? '1/4' : '3/2';
  const [sx, sy] = REQUANT_SCALES[ratio];
  const [m, s] = ratio === '1/4' ? [H, -1] : [M75, 1];
  const zx = scheme === 'int8' ? 0 : 128;
  const zy = OUTPUT_ZERO_POINT[outType];
  const x = b.input(rows.length, 1, zx, 'lut', sx);
  const out = b.add('q', 'quantize', [x], [1, rows.length, 1], zy, {}, { multiplier: m, shift: s });
  b.quant(out, sy, zy, outType);
  const { qmin, qmax } = getScheme(outType).activation;
  return {
    name: `quantize ${scheme} -> ${outType}, s_x / s_y = ${ratio}: ${rows.length} hand-derived values`,
    graph: b.build(out),
    images: Uint8Array.from(rows, ([d]) => b.pixel(d + zx)),
    count: 1,
    expected: rows.map(([, v]) => Math.min(qmax, Math.max(qmin, v + zy))),
  };
}

/**
 * concat along the positions of two inputs reading the same pixels: the first quantized with scale
 * 1/64 (requantized to the output's 1/16: REQUANT_1_4), the second exactly like the output (copied).
 */
function concatCase(scheme: SchemeName): RoundingCase {
  const b = new Tiny(scheme);
  const rows = REQUANT_1_4;
  const n = rows.length;
  const zx = scheme === 'int8' ? 0 : 128;
  const zy = OUTPUT_ZERO_POINT[scheme];
  const a = b.input(n, 1, zx, 'lut', 1 / 64);
  const c = b.input(n, 1, zy, 'same', 1 / 16);
  const out = b.add('cat', 'concat', [a, c], [1, 2 * n, 1], zy, { axis: 1 }, { requantize: [true, false], multiplier: [H, 0], shift: [-1, 0] });
  b.quant(out, 1 / 16, zy);
  return {
    name: `concat ${scheme}, one input requantized (s_x / s_y = 1/4), one copied: ${n} hand-derived values`,
    graph: b.build(out),
    images: Uint8Array.from(rows, ([d]) => b.pixel(d + zx)),
    count: 1,
    // The copied input's raw values are the pixels' identity values, d + zx, unchanged.
    expected: [...rows.map(([, v]) => clampTo(b, v + zy)), ...rows.map(([d]) => d + zx)],
  };
}

/**
 * softmax with s_x = 1 and beta = 1: real = beta * s_x * 2^26 = 2^26 = 0.5 * 2^27, so
 * input_multiplier = 2^30, input_left_shift = 27, diff_min = -floor(31 * 2^26 / 2^27) = -15. Rows are
 * offsets from the type's largest value; results are in the output scale 1/256 before the zero point
 * (-128 int8, 0 uint8) and the clamp, derived from the definition, not from exp tables:
 * - d < diff_min (-16, -255): the type's minimum (0 here) and not summed.
 * - n equal values: exp(0) = 2^31 - 1, each RDBP(., 12) = 2^19, sum n * 2^19. n = 1: 2^19, clz 12,
 *   bits_over_unit 0, f = 0, 1 / (1 + 0) ~ 1 in Q0, y = RDBP(~2^31, 23) = 256: saturates (127 / 255).
 *   n = 2: 2^20, bits_over_unit 1, f = 0: 2^31 / 2^24 = 128. n = 4: 2^21, bits_over_unit 2: 64.
 *   n = 3: 3 * 2^19, clz 11, bits_over_unit 1, f = 3 * 2^30 - 2^31 = 2^30 (x = 1/2), 1 / 1.5 = 2/3:
 *   (2/3) 2^31 / 2^24 = 85.33 -> 85. The Q0 reciprocal's error (about 2^-22 relative) moves none of
 *   these across a rounding boundary.
 * - [0, -1]: 1 / (1 + e^-1) = 0.731059 * 256 = 187.15 -> 187 and e^-1 / (1 + e^-1) = 0.268941 * 256 =
 *   68.85 -> 69 (0.35 from any boundary, far beyond the fixed point's 2^-22).
 * - [0, 0, -255]: as n = 2 for the first two (the third is not summed), 0 for the third.
 */
const SOFTMAX: { rows: number[][]; expected: number[][] }[] = [
  { rows: [[0], [-100]], expected: [[256], [256]] },
  { rows: [[0, 0], [-7, -7], [0, -1], [-1, 0], [0, -255], [-16, 0]], expected: [[128, 128], [128, 128], [187, 69], [69, 187], [256, 0], [0, 256]] },
  { rows: [[0, 0, 0], [-5, -5, -5], [0, 0, -255]], expected: [[85, 85, 85], [85, 85, 85], [128, 128, 0]] },
  { rows: [[0, 0, 0, 0], [-3, -3, -3, -3]], expected: [[64, 64, 64, 64], [64, 64, 64, 64]] },
];

function softmaxCase(scheme: SchemeName, c: (typeof SOFTMAX)[number]): RoundingCase {
  const b = new Tiny(scheme);
  const depth = c.rows[0].length;
  const zy = scheme === 'int8' ? -128 : 0;
  const x = b.input(1, depth, 0, 'lut', 1);
  const out = b.add('soft', 'softmax', [x], [1, 1, depth], zy, { beta: 1 }, { inputMultiplier: 2 ** 30, inputLeftShift: 27, diffMin: -15 });
  b.quant(out, 1 / 256, zy);
  return {
    name: `softmax ${scheme}, rows of ${depth}: ${c.rows.length} hand-derived rows`,
    graph: b.build(out),
    images: Uint8Array.from(c.rows.flat(), (o) => b.pixel(b.qmax + o)),
    count: c.rows.length,
    expected: c.expected.flat().map((v) => clampTo(b, v + zy)),
  };
}

/** Every op that rounds, with its cases for a scheme. */
export const ROUNDING_CASES: Record<string, (scheme: SchemeName) => RoundingCase[]> = {
  conv2d: (s) => [requantCase('conv2d', s, 'fast', REQUANT_FAST), requantCase('conv2d', s, 'general', [...REQUANT_FAST, ...REQUANT_GENERAL])],
  dense: (s) => [requantCase('dense', s, 'fast', REQUANT_FAST), requantCase('dense', s, 'general', [...REQUANT_FAST, ...REQUANT_GENERAL])],
  add: (s) => [addCase(s, 'fast', ADD_FAST, ADD_FAST_CASES), addCase(s, 'general', ADD_GENERAL, ADD_GENERAL_CASES)],
  avg_pool2d: (s) => averageCases('avg_pool2d', s),
  global_avg_pool: (s) => averageCases('global_avg_pool', s),
  depthwise_conv2d: (s) => [depthwiseCase(s, 'fast', REQUANT_FAST), depthwiseCase(s, 'general', [...REQUANT_FAST, ...REQUANT_GENERAL])],
  mean: (s) => [...MEAN_SAME.map((w) => meanCase(s, 'same quantization (truncating division)', w, true)), ...MEAN_FOLDED.map((w) => meanCase(s, `folded 1/${w.n} multiplier`, w, false))],
  concat: (s) => [concatCase(s)],
  quantize: (s) => [quantizeCase(s, s, REQUANT_3_2), quantizeCase(s, s === 'int8' ? 'uint8' : 'int8', REQUANT_1_4)],
  softmax: (s) => SOFTMAX.map((c) => softmaxCase(s, c)),
};
