/**
 * Residual blocks for the fused-kernel tests: every shape the fusion pass and the in-place planner
 * distinguish (identity shortcut; 1x1 stride-2 shortcut with out channels = 2x, < 2x and > 2x the
 * in channels; odd widths and odd pixel counts; channel counts that are not multiples of 4 (row
 * buffers padded to 4 channels); weight zero points; the add's general requantization; both add input orders), as
 * hand-built quantized graphs (graphs.ts): nothing here has to be "right", only valid.
 */
import type { Graph } from '../../src/ir/graph.js';
import type { SchemeName } from '../../src/quantize/schemes.js';
import { GraphBuilder, type Edge } from './graphs.js';

export interface BlockSpec {
  /** Output channels (the block input's when the shortcut is the identity). */
  outC: number;
  stride: 1 | 2;
  /** 'conv': a 1x1 conv shortcut even at stride 1 with equal channels. */
  shortcut?: 'identity' | 'conv';
  /** The add reads (main conv, shortcut) instead of Keras' (shortcut, main conv). */
  convFirst?: boolean;
  /** A tiny output scale: the add's multiplier >= 1, its general requantization. */
  leftShift?: boolean;
  weightZeroPoints?: 'edges';
}

export class ResidualBuilder extends GraphBuilder {
  block(x: string, s: BlockSpec, end: number): string {
    const conv = this.shape(x)[2];
    const a = this.conv(x, { outC: s.outC, strides: [s.stride, s.stride], relu: true });
    const m = this.conv(a, { outC: s.outC, zeroPoint: end, weightZeroPoints: s.weightZeroPoints });
    const identity = s.shortcut !== 'conv' && s.stride === 1 && s.outC === conv;
    const sc = identity ? x : this.conv(x, { outC: s.outC, kernel: [1, 1], strides: [s.stride, s.stride], weightZeroPoints: s.weightZeroPoints });
    return s.convFirst ? this.add(m, sc, { relu: true, ...(s.leftShift ? { outputScale: 2 ** -24 } : {}) }) : this.add(sc, m, { relu: !s.leftShift, ...(s.leftShift ? { outputScale: 2 ** -24 } : {}) });
  }
}

/** A chain of blocks after a stem conv; the last block's output is the graph output. */
export function residualGraph(scheme: SchemeName, edge: Edge, seed: number, input: [number, number, number], stemC: number, blocks: BlockSpec[]): Graph {
  const b = new ResidualBuilder(scheme, seed);
  const end = edge === 'low' ? b.qmin : b.qmax;
  let x = b.conv(b.lut(b.input(input), end), { outC: stemC, relu: true });
  blocks.forEach((s) => (x = b.block(x, s, end)));
  return b.build(x);
}

/** The golden cases: name, graph input, stem channels, blocks, and which blocks run in place. */
export const RESIDUAL_CASES: { name: string; input: [number, number, number]; stemC: number; blocks: BlockSpec[]; inPlace: boolean[] }[] = [
  {
    // ResNet's pattern: identity, then stride 2 with out = 2x in, twice; odd width 7 -> 4 -> 2.
    name: 'identity + two 1x1 stride-2 shortcuts with out channels = 2x in (all in place), odd widths',
    input: [6, 7, 3],
    stemC: 4,
    blocks: [{ outC: 4, stride: 1 }, { outC: 8, stride: 2, weightZeroPoints: 'edges' }, { outC: 16, stride: 2, convFirst: true }],
    inPlace: [true, true, true],
  },
  {
    // out = 3x in at stride 2: the row buffer holds the input row before the output row is stored,
    // and 2 W Cin = 20 >= OW Cout = 18, so it runs in place.
    name: 'stride 2 with out channels = 3x in (in place, row buffered), odd pixel count, 6 channels (padded to 8)',
    input: [5, 5, 3],
    stemC: 2,
    blocks: [{ outC: 6, stride: 2 }, { outC: 6, stride: 1, leftShift: true }],
    inPlace: [true, true],
  },
  {
    name: 'stride 2 with out channels = in channels and a 1x1 stride-1 shortcut (both in place), the add\'s general requantization',
    input: [7, 9, 3],
    stemC: 5,
    blocks: [{ outC: 5, stride: 2, leftShift: true, convFirst: true }, { outC: 5, stride: 1, shortcut: 'conv', weightZeroPoints: 'edges' }],
    inPlace: [true, true],
  },
  {
    // stride 1 with out = 2x in: the second pixel's output covers bytes pixel 3 still reads.
    name: 'a 1x1 stride-1 shortcut widening 3 -> 6 channels (a separate buffer)',
    input: [3, 5, 3],
    stemC: 3,
    blocks: [{ outC: 6, stride: 1 }],
    inPlace: [false],
  },
  {
    // Odd sizes everywhere: 9x11 -> 5x6 -> 3x3 (row tails of 2 and 3 pixels), 3 -> 7 -> 35 channels
    // (none a multiple of 4); out = 5x in at stride 2 (2 W Cin = 84 < OW Cout = 105): a separate buffer.
    name: 'odd channel counts (3, 7, 35) and odd sizes, 1x1 stride-2 shortcuts in place and not (5x channels)',
    input: [9, 11, 3],
    stemC: 3,
    blocks: [{ outC: 7, stride: 2, weightZeroPoints: 'edges' }, { outC: 7, stride: 1, convFirst: true }, { outC: 35, stride: 2 }],
    inPlace: [true, true, false],
  },
];
