import { z } from 'zod';
import type { QuantizedView, ShapeContext } from '../op.js';
import { activationRange, activationSchema, type Activation } from './activation.js';
import { tensorQuant } from './view-quant.js';
import { expectRank } from './shape-checks.js';
import { window2d } from './window.js';

export const poolAttrs = z.object({
  poolSize: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  strides: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  padding: z.enum(['same', 'valid']),
  /** TFLite's pools carry a fused activation too (absent: none). */
  activation: activationSchema.optional(),
});
export type PoolAttrs = z.infer<typeof poolAttrs>;

/** The clamp of a pool (or any op whose only integer parameter is its fused activation). */
export function deriveClampIntParams(view: QuantizedView<{ activation?: Activation }>): PoolIntParams {
  const out = tensorQuant(view.node.name, view.output, 'the output');
  const r = activationRange(view.attrs.activation ?? 'none', out, out.qmin, out.qmax);
  return { activationMin: r.min, activationMax: r.max };
}

/** Integer parameters of pooling: the output clamp (pooling keeps the input's quantization). */
export const poolIntParams = z.object({ activationMin: z.number().int(), activationMax: z.number().int() });
export type PoolIntParams = z.infer<typeof poolIntParams>;

export interface PoolGeometry {
  inH: number;
  inW: number;
  channels: number;
  outH: number;
  outW: number;
  /** For each output row/column: the input range [start, end) its window covers, padding excluded. */
  rows: { start: number; end: number }[];
  cols: { start: number; end: number }[];
}

/**
 * Pooling windows clipped to the input: like TF and TFLite, padding positions are ignored (average
 * pooling divides by the number of real elements under the window).
 */
export function poolGeometry(ctx: ShapeContext<PoolAttrs>): PoolGeometry {
  const [inH, inW, channels] = expectRank(ctx.node, ctx.inputs[0], 3, 'pooling input');
  const { poolSize, strides, padding } = ctx.attrs;
  const { outH, outW, padTop, padLeft } = window2d(ctx.node, inH, inW, poolSize, strides, padding);
  const axis = (out: number, stride: number, pad: number, k: number, size: number) =>
    Array.from({ length: out }, (_, o) => ({ start: Math.max(0, o * stride - pad), end: Math.min(size, o * stride - pad + k) }));
  return {
    inH,
    inW,
    channels,
    outH,
    outW,
    rows: axis(outH, strides[0], padTop, poolSize[0], inH),
    cols: axis(outW, strides[1], padLeft, poolSize[1], inW),
  };
}

/**
 * TFLite's rounding of an integer average: (sum +- count/2) / count with C's truncating division,
 * i.e. round half away from zero.
 */
export function roundedAverage(sum: number, count: number): number {
  const half = Math.floor(count / 2);
  return (sum > 0 ? Math.trunc((sum + half) / count) : Math.trunc((sum - half) / count)) | 0; // | 0: no -0
}
