/**
 * Small TFLite-compatible int8 graphs for the import/export tests (weights symmetric with zero point
 * 0, as TFLite's int8 spec requires), built with the codegen tests' GraphBuilder.
 */
import type { Graph } from '../../src/ir/graph.js';
import { GraphBuilder } from '../codegen/graphs.js';

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
