/**
 * Golden graphs for the ops TFLite models bring (depthwise_conv2d, pad, mean, softmax, concat,
 * quantize, fused relu6): integers chosen to hit the edges, run through the same interpreter-vs-C
 * comparison as graphs.ts. Integer parameters of the new ops come from their deriveIntParams, as an
 * importer would compute them.
 */
import type { Graph } from '../../src/ir/graph.js';
import { activationRange, type Activation } from '../../src/ops/common/activation.js';
import { concatGeometry } from '../../src/ops/concat/index.js';
import { depthwiseGeometry } from '../../src/ops/depthwise-conv2d/geometry.js';
import { meanGeometry } from '../../src/ops/mean/index.js';
import { getOp } from '../../src/ops/registry.js';
import { softmaxOutputQuant } from '../../src/ops/softmax/index.js';
import { quantizeMultiplier } from '../../src/quantize/fixed-point.js';
import type { SchemeName } from '../../src/quantize/schemes.js';
import { GraphBuilder, type Edge } from './graphs.js';

export interface DepthwiseOptions {
  kernel?: [number, number];
  strides?: [number, number];
  padding?: 'same' | 'valid';
  dilation?: [number, number];
  multiplier?: number;
  activation?: Activation;
  zeroPoint?: number;
  /** Per-channel weight zero points at the extremes (the uint8 path with zw != 0). */
  weightZeroPoints?: boolean;
  /** Multipliers >= 1 (a left shift before the multiply), with tiny weights. */
  leftShift?: boolean;
}

export class TfliteGraphBuilder extends GraphBuilder {
  constructor(scheme: SchemeName, seed: number) {
    super(scheme, seed);
  }

  /** A node whose intParams come from the op's deriveIntParams on its quantized tensors. */
  derived(op: string, inputs: string[], params: string[], outShape: number[], outQuant: { scale: number; zeroPoint: number }, attrs: Record<string, unknown>): string {
    const name = this.name(op);
    this.tensors[name] = { shape: outShape, dtype: this.scheme, quant: { scale: [outQuant.scale], zeroPoint: [outQuant.zeroPoint] } };
    const def = getOp(op);
    const node = { name, op, inputs: [...inputs, ...params], outputs: [name], attrs };
    const view = { node, attrs: def.attrs.parse(attrs), inputs: inputs.map((t) => this.tensors[t]), params: params.map((t) => this.tensors[t]), output: this.tensors[name] };
    this.nodes.push({ ...node, intParams: def.deriveIntParams!(view) as Record<string, unknown> });
    return name;
  }

  randomZeroPoint(): number {
    return this.int(this.qmin, this.qmax);
  }

  /** Give node `name` a fused activation, with TFLite's clamp for its output quantization. */
  fuse(name: string, activation: Activation): string {
    const node = this.nodes.find((n) => n.name === name)!;
    const q = this.tensors[name].quant!;
    const r = activationRange(activation, { scale: q.scale[0], zeroPoint: q.zeroPoint[0] }, this.qmin, this.qmax);
    node.attrs = { ...node.attrs, activation };
    node.intParams = { ...node.intParams, activationMin: r.min, activationMax: r.max };
    return name;
  }

  /** An output quantization: this scale, or random, and a random zero point unless given. */
  outQuant(o: { scale?: number; zeroPoint?: number } = {}): { scale: number; zeroPoint: number } {
    return { scale: o.scale ?? 0.02 + 0.05 * this.rand(), zeroPoint: o.zeroPoint ?? this.int(this.qmin, this.qmax) };
  }

  pad(x: string, paddings: [number, number][]): string {
    const q = this.tensors[x].quant!;
    const out = this.shape(x).map((d, i) => d + paddings[i][0] + paddings[i][1]);
    return this.derived('pad', [x], [], out, { scale: q.scale[0], zeroPoint: q.zeroPoint[0] }, { paddings });
  }

  /** mean over `axes`; `same` keeps the input's quantization (TFLite Micro's division path). */
  mean(x: string, axes: number[], keepDims: boolean, same: boolean): string {
    const q = this.tensors[x].quant!;
    const out = meanGeometry('test', this.shape(x), { axes, keepDims }).out;
    return this.derived('mean', [x], [], out, same ? { scale: q.scale[0], zeroPoint: q.zeroPoint[0] } : this.outQuant(), { axes, keepDims });
  }

  /** Softmax over the last axis, output quantized as TFLite requires. */
  softmax(x: string, beta: number): string {
    return this.derived('softmax', [x], [], this.shape(x), softmaxOutputQuant(this.scheme), { beta });
  }

  /** Change a tensor's scale (the integer parameters of conv/dense nodes here do not depend on it). */
  rescale(x: string, scale: number): string {
    this.tensors[x].quant!.scale = [scale];
    return x;
  }

  /** concat along `axis`; the output quantized like input `like` (copied), or at random (all requantized). */
  concat(xs: string[], axis: number, like?: string): string {
    const shapes = xs.map((x) => this.shape(x));
    const out = concatGeometry('test', shapes, axis).out;
    const q = like ? this.tensors[like].quant! : undefined;
    return this.derived('concat', xs, [], out, q ? { scale: q.scale[0], zeroPoint: q.zeroPoint[0] } : this.outQuant(), { axis });
  }

  /** quantize to new parameters (or the same ones: the identity requantization). */
  quantize(x: string, out?: { scale: number; zeroPoint: number }): string {
    return this.derived('quantize', [x], [], this.shape(x), out ?? this.outQuant(), {});
  }

  reshape(x: string, shape: number[]): string {
    return this.derived('reshape', [x], [], shape, this.quantOf(x), { shape });
  }

  quantOf(x: string): { scale: number; zeroPoint: number } {
    const q = this.tensors[x].quant!;
    return { scale: q.scale[0], zeroPoint: q.zeroPoint[0] };
  }

  depthwise(x: string, o: DepthwiseOptions = {}): string {
    const [, , inC] = this.shape(x);
    const [kH, kW] = o.kernel ?? [3, 3];
    const m = o.multiplier ?? 1;
    const outC = inC * m;
    const attrs = { strides: o.strides ?? [1, 1], padding: o.padding ?? 'same', dilation: o.dilation ?? [1, 1], depthMultiplier: m, activation: o.activation ?? 'none' };
    const g = depthwiseGeometry({ node: 'test', attrs, inputs: [this.shape(x)], params: [[1, kH, kW, outC]] });
    const int8 = this.scheme === 'int8';
    const [wmin, wmax] = int8 ? [-128, 127] : [0, 255];
    const wzp = Array.from({ length: outC }, (_, c) => (o.weightZeroPoints ? (int8 ? [-128, 127, 0, 5] : [0, 255, 128, 7])[c % 4] : int8 ? 0 : 120));
    const data = int8 ? new Int8Array(kH * kW * outC) : new Uint8Array(kH * kW * outC);
    for (let i = 0; i < data.length; i++) {
      const c = i % outC;
      data[i] = o.leftShift ? Math.max(wmin, Math.min(wmax, wzp[c] + this.int(-2, 2))) : this.int(wmin, wmax);
    }
    if (!o.leftShift) {
      for (let c = 0; c < outC; c++) {
        data[c] = wmin; // the extremes of the weight type in every channel
        data[data.length - outC + c] = wmax;
      }
    }
    const bias = Int32Array.from({ length: outC }, () => (o.leftShift ? 3 : this.int(-20000, 20000)));
    const zeroPoint = o.zeroPoint ?? this.int(this.qmin, this.qmax);
    const typical = Math.sqrt(kH * kW) * 74 * (o.leftShift ? 2 : 74);
    const multiplier: number[] = [];
    const shift: number[] = [];
    for (let c = 0; c < outC; c++) {
      const q = quantizeMultiplier(o.leftShift ? 1.5 + 3 * this.rand() : (60 / typical) * (0.5 + 1.5 * this.rand()));
      multiplier.push(q.multiplier);
      shift.push(q.shift);
    }
    const scale = 0.02 + 0.05 * this.rand();
    const range = activationRange(attrs.activation, { scale, zeroPoint }, this.qmin, this.qmax);
    const name = this.name('depthwise_conv2d');
    this.tensors[`${name}/weights`] = { shape: [1, kH, kW, outC], dtype: this.scheme, data, quant: { scale: wzp.map(() => 0.01), zeroPoint: wzp, axis: 3 } };
    this.tensors[`${name}/bias`] = { shape: [outC], dtype: 'int32', data: bias, quant: { scale: wzp.map(() => 0.0002), zeroPoint: wzp.map(() => 0), axis: 0 } };
    this.tensors[name] = this.act([g.outH, g.outW, outC], zeroPoint, scale);
    this.nodes.push({
      name,
      op: 'depthwise_conv2d',
      inputs: [x, `${name}/weights`, `${name}/bias`],
      outputs: [name],
      attrs,
      intParams: { multiplier, shift, activationMin: range.min, activationMax: range.max },
    });
    return name;
  }
}

/**
 * Depthwise convolutions: depth multipliers 1-3, SAME padding with odd sizes (the extra pad after),
 * stride 2, dilation 2, valid padding, weight zero points, multipliers >= 1, relu/relu6 clamps.
 */
export function depthwiseGraph(scheme: SchemeName, edge: Edge, seed: number): Graph {
  const b = new TfliteGraphBuilder(scheme, seed);
  const end = (e: Edge) => (e === 'low' ? b.qmin : b.qmax);
  const other: Edge = edge === 'low' ? 'high' : 'low';
  let x = b.lut(b.input([9, 11, 3]), end(edge));
  x = b.depthwise(x, { activation: 'relu6', zeroPoint: end(other) }); // 9x11x3
  x = b.depthwise(x, { multiplier: 2, strides: [2, 2], zeroPoint: end(edge) }); // 5x6x6
  x = b.depthwise(x, { dilation: [2, 2], activation: 'relu', weightZeroPoints: true }); // 5x6x6
  x = b.depthwise(x, { multiplier: 3, kernel: [3, 2], strides: [2, 1], padding: 'valid', zeroPoint: end(other) }); // 2x5x18
  x = b.depthwise(x, { kernel: [2, 2], leftShift: true, zeroPoint: end(edge) }); // multipliers >= 1
  x = b.conv(x, { outC: 5, kernel: [1, 1], relu: true }); // pointwise after depthwise, as in MobileNet
  return b.build(x);
}

/**
 * pad (rows, columns, channels; before and after) between convolutions, and fused relu6 /
 * relu_n1_to_1 clamps on conv2d, add, max and average pooling and dense.
 */
export function padActivationsGraph(scheme: SchemeName, edge: Edge, seed: number): Graph {
  const b = new TfliteGraphBuilder(scheme, seed);
  const end = (e: Edge) => (e === 'low' ? b.qmin : b.qmax);
  const input = b.lut(b.input([7, 6, 3]), end(edge));
  let x = b.fuse(b.conv(input, { outC: 4, zeroPoint: end(edge) }), 'relu6'); // 7x6x4
  x = b.pad(x, [[1, 2], [0, 3], [0, 0]]); // 10x9x4
  x = b.depthwise(x, { padding: 'valid', activation: 'relu6' }); // 8x7x4
  x = b.pad(x, [[0, 0], [0, 0], [2, 1]]); // 8x7x7, channels padded
  const y = b.conv(x, { outC: 7, kernel: [1, 1] });
  x = b.fuse(b.add(x, y), 'relu6');
  x = b.fuse(b.pool('max_pool2d', x, [2, 2], [2, 2], 'same'), 'relu6'); // 4x4x7
  x = b.fuse(b.pool('avg_pool2d', x, [3, 3], [1, 1], 'same'), 'relu_n1_to_1');
  x = b.pad(x, [[1, 0], [0, 1], [0, 0]]); // 5x5x7
  const d = b.fuse(b.dense(b.flatten(x), { outC: 9 }), 'relu6');
  return b.build(b.fuse(b.dense(d, { outC: 5 }), 'relu_n1_to_1'));
}

/**
 * mean: over H and W dropping them (global average pooling as TFLite writes it), over one axis
 * keeping it, with the same quantization in and out (truncating division) and with requantization,
 * negative axes.
 */
export function meanGraph(scheme: SchemeName, edge: Edge, seed: number): Graph {
  const b = new TfliteGraphBuilder(scheme, seed);
  const end = (e: Edge) => (e === 'low' ? b.qmin : b.qmax);
  const input = b.lut(b.input([6, 5, 7]), end(edge));
  const x = b.conv(input, { outC: 8, zeroPoint: end(edge === 'low' ? 'high' : 'low') });
  const d1 = b.dense(b.mean(x, [0, 1], false, false), { outC: 5 }); // [8], requantized
  const m = b.mean(x, [1], true, true); // [6, 1, 8], same quantization: truncating division
  const d2 = b.dense(b.flatten(b.mean(m, [-1, 0], true, false)), { outC: 5 }); // [1, 1, 1]
  const d3 = b.dense(b.flatten(b.mean(m, [2], false, true)), { outC: 5 }); // [6, 1]
  return b.build(b.add(b.add(d1, d2), d3));
}

/**
 * softmax: many rows of 7 with a coarse input scale (differences below diff_min give the type's
 * minimum), the last axis of a vector with a fine scale, and beta != 1.
 */
export function softmaxGraph(scheme: SchemeName, edge: Edge, seed: number): Graph {
  const b = new TfliteGraphBuilder(scheme, seed);
  const end = (e: Edge) => (e === 'low' ? b.qmin : b.qmax);
  const input = b.lut(b.input([4, 5, 3]), end(edge));
  const rows = b.softmax(b.rescale(b.conv(input, { outC: 7, zeroPoint: end(edge) }), 0.5), 1); // 20 rows, radius 31
  const d = b.dense(b.flatten(rows), { outC: 10 });
  const s1 = b.softmax(b.rescale(d, 0.03), 1);
  const s2 = b.softmax(b.rescale(b.dense(s1, { outC: 6 }), 0.11), 0.5);
  return b.build(s2);
}

/**
 * concat along channels (one input copied, two requantized), columns (both requantized) and rows
 * (both copied), reshapes (aliased), and quantize to other parameters (coarser: clamping at the type's ends), to
 * finer ones (a left shift), and to the same ones.
 */
export function concatQuantizeGraph(scheme: SchemeName, edge: Edge, seed: number): Graph {
  const b = new TfliteGraphBuilder(scheme, seed);
  const end = (e: Edge) => (e === 'low' ? b.qmin : b.qmax);
  const input = b.lut(b.input([5, 4, 3]), end(edge));
  const c1 = b.conv(input, { outC: 6, zeroPoint: end(edge) });
  const c2 = b.conv(input, { outC: 5, kernel: [1, 1] });
  const x = b.concat([c1, c2, input], -1, c1); // [5, 4, 14]
  const coarse = b.quantize(x, { scale: b.quantOf(x).scale * 3.7, zeroPoint: end(edge === 'low' ? 'high' : 'low') });
  const fine = b.quantize(coarse, { scale: b.quantOf(coarse).scale / 2.5, zeroPoint: b.randomZeroPoint() }); // multiplier > 1
  const y = b.concat([x, fine], 1); // [5, 8, 14]
  const same = b.quantize(y, b.quantOf(y));
  const z = b.concat([y, same], 0, y); // [10, 8, 14], both copied
  const r = b.reshape(b.reshape(z, [16, 5, 14]), [10, 112]); // stored in z's bytes
  return b.build(b.dense(b.reshape(b.mean(r, [0], false, false), [112]), { outC: 4 }));
}
