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

  /** Raw pixels [1, w, c] through the identity table: pixel p is the value p + qmin. */
  input(w: number, c: number, zeroPoint: number): string {
    this.tensors.image = { shape: [1, w, c], dtype: 'uint8', quant: { scale: [1], zeroPoint: [0] } };
    const table = this.scheme === 'int8' ? new Int8Array(c * 256) : new Uint8Array(c * 256);
    for (let i = 0; i < table.length; i++) table[i] = (i % 256) + this.qmin;
    this.tensors['lut/table'] = { shape: [c, 256], dtype: this.scheme, data: table, quant: { scale: [0.02], zeroPoint: [zeroPoint] } };
    this.add('lut', 'normalize_input', ['image', 'lut/table'], [1, w, c], zeroPoint, { mean: Array(c).fill(0), std: Array(c).fill(1) }, {});
    return 'lut';
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

/** Every op that rounds, with its cases for a scheme. */
export const ROUNDING_CASES: Record<string, (scheme: SchemeName) => RoundingCase[]> = {
  conv2d: (s) => [requantCase('conv2d', s, 'fast', REQUANT_FAST), requantCase('conv2d', s, 'general', [...REQUANT_FAST, ...REQUANT_GENERAL])],
  dense: (s) => [requantCase('dense', s, 'fast', REQUANT_FAST), requantCase('dense', s, 'general', [...REQUANT_FAST, ...REQUANT_GENERAL])],
  add: (s) => [addCase(s, 'fast', ADD_FAST, ADD_FAST_CASES), addCase(s, 'general', ADD_GENERAL, ADD_GENERAL_CASES)],
  avg_pool2d: (s) => averageCases('avg_pool2d', s),
  global_avg_pool: (s) => averageCases('global_avg_pool', s),
};
