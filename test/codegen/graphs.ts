/**
 * Hand-built quantized graphs for the codegen golden tests: every op, with the integers chosen to hit
 * the edges (zero points at both ends of the range, weights at the extremes, odd channel and pixel
 * counts, depths that are not multiples of 4, padding, stride 2, left shifts). The integer
 * interpreter is run on the same graph, so nothing here has to be "right", only valid.
 */
import { GRAPH_VERSION, type Graph, type GraphNode, type TensorSpec } from '../../src/ir/graph.js';
import { add } from '../../src/ops/add.js';
import { window2d } from '../../src/ops/common/window.js';
import { quantizeMultiplier } from '../../src/quantize/fixed-point.js';
import { getScheme, type SchemeName } from '../../src/quantize/schemes.js';
import { rng } from '../quantize/random.js';

export interface ConvOptions {
  outC: number;
  kernel?: [number, number];
  strides?: [number, number];
  padding?: 'same' | 'valid';
  relu?: boolean;
  /** Output zero point (default: random). */
  zeroPoint?: number;
  /** Weight zero points: 'scheme' (uint8: one asymmetric, int8: 0), or explicit per-channel values. */
  weightZeroPoints?: 'scheme' | 'edges';
  /** Scale the real multiplier up so that the shift is positive (a left shift), with tiny weights. */
  leftShift?: boolean;
}

export class GraphBuilder {
  readonly tensors: Record<string, TensorSpec> = {};
  readonly nodes: GraphNode[] = [];
  protected readonly rand: () => number;
  readonly qmin: number;
  readonly qmax: number;
  private n = 0;

  constructor(readonly scheme: SchemeName, seed: number) {
    this.rand = rng(seed);
    const s = getScheme(scheme);
    this.qmin = s.activation.qmin;
    this.qmax = s.activation.qmax;
  }

  protected int(lo: number, hi: number): number {
    return lo + Math.floor(this.rand() * (hi - lo + 1));
  }

  protected name(prefix: string): string {
    return `${prefix}${this.n++}`;
  }

  protected act(shape: number[], zeroPoint: number, scale = 0.02 + 0.05 * this.rand()): TensorSpec {
    return { shape, dtype: this.scheme, quant: { scale: [scale], zeroPoint: [zeroPoint] } };
  }

  protected emit(op: string, inputs: string[], out: TensorSpec, attrs: Record<string, unknown>, intParams: Record<string, unknown>, prefix = op): string {
    const name = this.name(prefix);
    this.tensors[name] = out;
    this.nodes.push({ name, op, inputs, outputs: [name], attrs, intParams });
    return name;
  }

  shape(id: string): number[] {
    return this.tensors[id].shape;
  }

  zeroPoint(id: string): number {
    return this.tensors[id].quant!.zeroPoint[0];
  }

  /** The raw pixel input (uint8 HWC). */
  input(shape: number[]): string {
    this.tensors.image = { shape, dtype: 'uint8', quant: { scale: [1], zeroPoint: [0] } };
    return 'image';
  }

  /** normalize_input with a random table over the whole range (both extremes included). */
  lut(x: string, zeroPoint: number): string {
    const [, , c] = this.shape(x);
    const table = this.scheme === 'int8' ? new Int8Array(c * 256) : new Uint8Array(c * 256);
    for (let i = 0; i < table.length; i++) table[i] = this.int(this.qmin, this.qmax);
    table[0] = this.qmin;
    table[1] = this.qmax;
    const name = this.name('lut');
    this.tensors[`${name}/table`] = { shape: [c, 256], dtype: this.scheme, data: table, quant: { scale: [0.02], zeroPoint: [zeroPoint] } };
    this.tensors[name] = this.act(this.shape(x), zeroPoint);
    this.nodes.push({ name, op: 'normalize_input', inputs: [x, `${name}/table`], outputs: [name], attrs: { mean: Array(c).fill(0.5), std: Array(c).fill(0.25) }, intParams: {} });
    return name;
  }

  conv(x: string, o: ConvOptions): string {
    const [inH, inW, inC] = this.shape(x);
    const [kH, kW] = o.kernel ?? [3, 3];
    const strides = o.strides ?? [1, 1];
    const padding = o.padding ?? 'same';
    const { outH, outW } = window2d('test', inH, inW, [kH, kW], strides, padding);
    return this.convLike(x, 'conv2d', [o.outC, kH, kW, inC], [outH, outW, o.outC], { strides, padding, activation: o.relu ? 'relu' : 'none' }, o);
  }

  dense(x: string, o: ConvOptions): string {
    const [inUnits] = this.shape(x);
    return this.convLike(x, 'dense', [o.outC, inUnits], [o.outC], { activation: o.relu ? 'relu' : 'none' }, o);
  }

  private convLike(x: string, op: string, wShape: number[], outShape: number[], attrs: Record<string, unknown>, o: ConvOptions): string {
    const outC = wShape[0];
    const depth = wShape.slice(1).reduce((a, b) => a * b, 1);
    const int8 = this.scheme === 'int8';
    // Weight zero points: the scheme's (int8 symmetric: 0; uint8: one per tensor), or the extremes per channel.
    const wzp = Array.from({ length: outC }, (_, c) => {
      if (o.weightZeroPoints === 'edges') return int8 ? [-128, 127, 0, 5][c % 4] : [0, 255, 128, 7][c % 4];
      return int8 ? 0 : 100 + (this.n % 50);
    });
    const perChannel = o.weightZeroPoints === 'edges' || int8;
    const wmin = int8 ? -128 : 0;
    const wmax = int8 ? 127 : 255;
    const data = int8 ? new Int8Array(outC * depth) : new Uint8Array(outC * depth);
    for (let c = 0; c < outC; c++) {
      for (let k = 0; k < depth; k++) {
        const i = c * depth + k;
        data[i] = o.leftShift ? wzp[c] + this.int(-2, 2) : this.int(wmin, wmax);
        if (o.leftShift) data[i] = Math.max(wmin, Math.min(wmax, data[i]));
      }
      if (!o.leftShift) {
        data[c * depth] = wmin; // the extremes of the weight type
        data[c * depth + depth - 1] = wmax;
      }
    }
    const bias = Int32Array.from({ length: outC }, () => this.int(-20000, 20000));
    const zeroPoint = o.zeroPoint ?? this.int(this.qmin, this.qmax);
    // A multiplier that spreads the outputs over the range: |acc| is about sqrt(depth) * 74 * 74.
    const typical = Math.sqrt(depth) * 74 * (o.leftShift ? 2 : 74);
    const multiplier: number[] = [];
    const shift: number[] = [];
    for (let c = 0; c < outC; c++) {
      const real = o.leftShift ? 1.5 + 3 * this.rand() : (60 / typical) * (0.5 + 1.5 * this.rand());
      const q = quantizeMultiplier(real);
      multiplier.push(q.multiplier);
      shift.push(q.shift);
    }
    if (o.leftShift) bias.fill(3);
    const activationMin = o.relu ? Math.max(this.qmin, zeroPoint) : this.qmin;
    const name = this.name(op);
    this.tensors[`${name}/weights`] = {
      shape: wShape,
      dtype: this.scheme,
      data,
      quant: perChannel ? { scale: wzp.map(() => 0.01), zeroPoint: wzp, axis: 0 } : { scale: [0.01], zeroPoint: [wzp[0]] },
    };
    this.tensors[`${name}/bias`] = { shape: [outC], dtype: 'int32', data: bias, quant: { scale: wzp.map(() => 0.0002), zeroPoint: wzp.map(() => 0), axis: 0 } };
    this.tensors[name] = this.act(outShape, zeroPoint);
    this.nodes.push({
      name,
      op,
      inputs: [x, `${name}/weights`, `${name}/bias`],
      outputs: [name],
      attrs,
      intParams: { multiplier, shift, activationMin, activationMax: this.qmax },
    });
    return name;
  }

  /** add with TFLite's parameters from the op's own quantize(); `outputScale` small forces a left shift. */
  add(a: string, b: string, o: { relu?: boolean; zeroPoint?: number; outputScale?: number } = {}): string {
    const qa = this.tensors[a].quant!;
    const qb = this.tensors[b].quant!;
    const zeroPoint = o.zeroPoint ?? this.int(this.qmin, this.qmax);
    const outScale = o.outputScale ?? 0.03 + 0.05 * this.rand();
    const scheme = getScheme(this.scheme);
    const q = add.quantize({
      node: { name: 'add', op: 'add', inputs: [], outputs: [], attrs: {} },
      attrs: { activation: o.relu ? 'relu' : 'none' },
      scheme,
      inputShapes: [this.shape(a), this.shape(b)],
      outputShape: this.shape(a),
      inputQuant: [
        { scale: qa.scale[0], zeroPoint: qa.zeroPoint[0] },
        { scale: qb.scale[0], zeroPoint: qb.zeroPoint[0] },
      ],
      outputQuant: { scale: outScale, zeroPoint },
      params: [],
    });
    return this.emit('add', [a, b], this.act(this.shape(a), zeroPoint, outScale), { activation: o.relu ? 'relu' : 'none' }, q.intParams as Record<string, unknown>);
  }

  pool(op: 'avg_pool2d' | 'max_pool2d', x: string, poolSize: [number, number], strides: [number, number], padding: 'same' | 'valid'): string {
    const [inH, inW, c] = this.shape(x);
    const { outH, outW } = window2d('test', inH, inW, poolSize, strides, padding);
    const q = this.tensors[x].quant!;
    return this.emit(op, [x], this.act([outH, outW, c], q.zeroPoint[0], q.scale[0]), { poolSize, strides, padding }, { activationMin: this.qmin, activationMax: this.qmax });
  }

  globalAvgPool(x: string): string {
    const q = this.tensors[x].quant!;
    return this.emit('global_avg_pool', [x], this.act([this.shape(x)[2]], q.zeroPoint[0], q.scale[0]), {}, { activationMin: this.qmin, activationMax: this.qmax });
  }

  relu(x: string): string {
    const q = this.tensors[x].quant!;
    return this.emit('relu', [x], this.act(this.shape(x), q.zeroPoint[0], q.scale[0]), {}, { activationMin: q.zeroPoint[0], activationMax: this.qmax });
  }

  flatten(x: string): string {
    const q = this.tensors[x].quant!;
    return this.emit('flatten', [x], this.act([this.shape(x).reduce((a, b) => a * b, 1)], q.zeroPoint[0], q.scale[0]), {}, {});
  }

  build(output: string): Graph {
    return { version: GRAPH_VERSION, kind: 'quantized', scheme: this.scheme, tensors: this.tensors, nodes: this.nodes, inputs: ['image'], outputs: [output] };
  }
}

/** Which end of the range zero points sit at in a golden graph. */
export type Edge = 'low' | 'high';

/**
 * Convolutions: the stem's scalar im2col (3 channels, depth 27), odd channels and pixel counts, same
 * padding at stride 1 and 2, an asymmetric kernel and stride with valid padding, 1x1, weight zero
 * points at the extremes, and a layer whose multipliers are >= 1 (left shift, general requantization).
 */
export function convGraph(scheme: SchemeName, edge: Edge, seed: number): Graph {
  const b = new GraphBuilder(scheme, seed);
  const end = (e: Edge) => (e === 'low' ? b.qmin : b.qmax);
  const other: Edge = edge === 'low' ? 'high' : 'low';
  let x = b.lut(b.input([9, 11, 3]), end(edge));
  x = b.conv(x, { outC: 7, relu: true, zeroPoint: end(edge) === b.qmax ? b.qmax - 40 : end(edge) }); // 9x11x7, odd everything
  x = b.conv(x, { outC: 8, strides: [2, 2], zeroPoint: end(other) }); // 5x6x8
  x = b.conv(x, { outC: 12, kernel: [1, 1], weightZeroPoints: 'edges', zeroPoint: end(edge) }); // SIMD im2col, zw != 0
  x = b.conv(x, { outC: 5, kernel: [3, 2], strides: [2, 1], padding: 'valid', zeroPoint: end(other) }); // 2x5x5
  x = b.conv(x, { outC: 4, kernel: [2, 2], leftShift: true, zeroPoint: end(edge) }); // multipliers >= 1
  x = b.conv(x, { outC: 16, strides: [1, 2], relu: true }); // 2x3x16
  return b.build(x);
}

/**
 * Everything else: max and average pooling with same padding (windows clipped at the border),
 * a standalone relu, add (fast and general requantization), global average pooling, flatten and
 * dense layers with depths that are not a multiple of 4 and odd outputs.
 */
export function otherOpsGraph(scheme: SchemeName, edge: Edge, seed: number): Graph {
  const b = new GraphBuilder(scheme, seed);
  const end = (e: Edge) => (e === 'low' ? b.qmin : b.qmax);
  const input = b.lut(b.input([10, 7, 4]), end(edge));
  const x = b.conv(input, { outC: 8, zeroPoint: end(edge === 'low' ? 'high' : 'low') });
  const y = b.conv(input, { outC: 8, kernel: [1, 1], zeroPoint: end(edge) });
  const s = b.add(x, y, { relu: true }); // fast requantization
  const t = b.add(s, x, { outputScale: 2 ** -24 }); // left shift: general requantization
  const m = b.pool('max_pool2d', t, [3, 3], [2, 2], 'same'); // 5x4x8
  const a = b.pool('avg_pool2d', m, [2, 3], [1, 1], 'same'); // clipped windows, counts 2..6
  const r = b.relu(a);
  const g = b.globalAvgPool(r); // [8]
  const d1 = b.dense(g, { outC: 7, relu: true }); // depth 8
  const f = b.flatten(b.pool('avg_pool2d', r, [2, 2], [2, 2], 'valid')); // 2x2x8 -> 32
  const d2 = b.dense(f, { outC: 9, weightZeroPoints: 'edges' }); // zw != 0, odd outputs
  const d3 = b.dense(d2, { outC: 3 }); // depth 9: scalar widen, padded to 12
  const sum = b.add(d3, b.dense(d1, { outC: 3 }));
  return b.build(sum);
}
