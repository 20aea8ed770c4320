/**
 * Small TFLite-compatible int8 graphs for the import/export tests (weights symmetric with zero point
 * 0, as TFLite's int8 spec requires), built with the codegen tests' GraphBuilder.
 */
import type { Graph } from '../../src/ir/graph.js';
import { GraphBuilder } from '../codegen/graphs.js';
import { TfliteGraphBuilder } from '../codegen/tflite-graphs.js';

/** conv (same/valid, strides, fused ReLU), add, max/avg pooling, global average, flatten, dense. */
export function smallCnn(seed: number, shape: [number, number, number] = [12, 10, 3], options: { pixels?: boolean } = {}): Graph {
  const b = new GraphBuilder('int8', seed);
  const input = options.pixels ? b.lut(b.input(shape), -128) : int8Input(b, shape);
  const x = b.conv(input, { outC: 8, relu: true });
  const y = b.conv(input, { outC: 8, kernel: [1, 1] });
  const s = b.add(x, y, { relu: true });
  const m = b.pool('max_pool2d', s, [3, 3], [2, 2], 'same');
  const c = b.conv(m, { outC: 6, kernel: [3, 2], strides: [2, 1], padding: 'valid' });
  const a = b.pool('avg_pool2d', m, [2, 3], [1, 1], 'same');
  const g = b.globalAvgPool(a);
  const d1 = b.dense(g, { outC: 5, relu: true });
  const f = b.flatten(c);
  const d2 = b.dense(f, { outC: 5 });
  return b.build(b.add(d1, d2));
}

/** An int8 graph input (as TFLite models have), instead of kit's uint8 pixels and lookup table. */
export function int8Input(b: GraphBuilder, shape: number[], scale = 0.04, zeroPoint = -7): string {
  // GraphBuilder.build() names the graph input 'image'.
  b.tensors.image = { shape, dtype: 'int8', quant: { scale: [scale], zeroPoint: [zeroPoint] } };
  return 'image';
}

/**
 * MobileNetV1-style (visual wake words): 96x96x3 int8 input, a strided conv stem with ReLU6, then
 * depthwise (3x3, stride 1 and 2, one with depth multiplier 2) + pointwise 1x1 blocks with ReLU6,
 * explicit PAD before a VALID strided depthwise, global average pooling and a dense classifier.
 */
export function mobilenetStyle(seed: number): Graph {
  const b = new TfliteGraphBuilder('int8', seed);
  let x = int8Input(b, [96, 96, 3], 0.0078125, -1);
  x = b.fuse(b.conv(x, { outC: 8, strides: [2, 2] }), 'relu6'); // 48x48x8
  x = b.fuse(b.depthwise(x, { activation: 'relu6' }), 'relu6');
  x = b.fuse(b.conv(x, { outC: 16, kernel: [1, 1] }), 'relu6');
  x = b.pad(x, [[0, 1], [0, 1], [0, 0]]); // 49x49x16: TF's SAME for stride 2, made explicit
  x = b.fuse(b.depthwise(x, { strides: [2, 2], padding: 'valid', activation: 'relu6' }), 'relu6'); // 24x24x16
  x = b.fuse(b.conv(x, { outC: 24, kernel: [1, 1] }), 'relu6');
  x = b.fuse(b.depthwise(x, { strides: [2, 2], multiplier: 2, activation: 'relu6' }), 'relu6'); // 12x12x48
  x = b.fuse(b.conv(x, { outC: 32, kernel: [1, 1] }), 'relu6');
  x = b.globalAvgPool(x);
  return b.build(b.dense(x, { outC: 2 }));
}

/**
 * DS-CNN-style (keyword spotting): a 49x10x1 MFCC map, a 10x4 stride-2 conv, two depthwise-separable
 * blocks with ReLU, average pooling over the remaining map, flatten and a 12-way dense layer.
 */
export function dsCnnStyle(seed: number): Graph {
  const b = new TfliteGraphBuilder('int8', seed);
  let x = int8Input(b, [49, 10, 1], 0.5, 83);
  x = b.conv(x, { outC: 16, kernel: [10, 4], strides: [2, 2], relu: true }); // 25x5x16
  for (let i = 0; i < 2; i++) {
    x = b.fuse(b.depthwise(x, { activation: 'relu' }), 'relu');
    x = b.conv(x, { outC: 16, kernel: [1, 1], relu: true });
  }
  x = b.flatten(b.pool('avg_pool2d', x, [25, 5], [1, 1], 'valid'));
  return b.build(b.dense(x, { outC: 12 }));
}

/**
 * The ops of TFLite classifier heads: a conv stem, two conv branches concatenated along channels
 * (one at the output's quantization, copied; one requantized, which export writes as QUANTIZE +
 * CONCATENATION), a QUANTIZE to other parameters, MEAN over H and W (requantized), dense and
 * SOFTMAX. Every op but SOFTMAX is one desktop TFLite hands to XNNPACK.
 */
export function concatHead(seed: number): Graph {
  const b = new TfliteGraphBuilder('int8', seed);
  const x = b.conv(int8Input(b, [7, 6, 3]), { outC: 6, relu: true }); // 7x6x6
  const l = b.conv(x, { outC: 5, kernel: [1, 1] });
  const r = b.conv(x, { outC: 4, relu: true });
  const c = b.concat([l, r], -1, l); // 7x6x9
  const q = b.quantize(c, { scale: b.quantOf(c).scale * 1.7, zeroPoint: b.quantOf(c).zeroPoint - 9 });
  const d = b.rescale(b.dense(b.mean(q, [0, 1], false, false), { outC: 6 }), 0.03);
  return b.build(b.softmax(d, 1));
}

/** MEAN at the input's quantization (TFLite Micro's truncating division): over W keeping it, or over H and W. */
export function meanSameQuant(seed: number, axes: number[], keepDims: boolean): Graph {
  const b = new TfliteGraphBuilder('int8', seed);
  const x = b.conv(int8Input(b, [7, 6, 3]), { outC: 6 });
  return b.build(b.mean(x, axes, keepDims, true));
}
