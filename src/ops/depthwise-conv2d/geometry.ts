import type { ShapeContext } from '../op.js';
import type { ConvGeometry } from '../common/conv-geometry.js';
import { expectEqual, expectRank } from '../common/shape-checks.js';
import { window2d, type Padding } from '../common/window.js';

export interface DepthwiseAttrs {
  strides: [number, number];
  padding: Padding;
  dilation?: [number, number];
  depthMultiplier: number;
}

/** Everything the float, integer and C kernels of a depthwise convolution loop over: a convolution's
 * geometry (padTop/padLeft are TFLite's padding before the first row/column; the odd extra one goes
 * after) plus dilation and the depth multiplier. */
export interface DepthwiseGeometry extends ConvGeometry {
  dilationH: number;
  dilationW: number;
  multiplier: number;
  outC: number;
}

/**
 * Input HWC, weights [1, kH, kW, inC * depthMultiplier] (TFLite's layout: output channel last),
 * output channel oc = ic * depthMultiplier + m reads input channel ic. 'same' and 'valid' pad as
 * TFLite's ComputePaddingHeightWidth does, on the dilated kernel (dilation - 1 holes between taps).
 */
export function depthwiseGeometry(ctx: ShapeContext<DepthwiseAttrs>): DepthwiseGeometry {
  const [inH, inW, inC] = expectRank(ctx.node, ctx.inputs[0], 3, 'depthwise_conv2d input');
  const [one, kH, kW, outC] = expectRank(ctx.node, ctx.params[0], 4, 'depthwise_conv2d weights [1, kH, kW, channels]');
  expectEqual(ctx.node, one, 1, 'depthwise weights must have a leading dimension of 1');
  const multiplier = ctx.attrs.depthMultiplier;
  expectEqual(ctx.node, outC, inC * multiplier, 'weight channels differ from input channels x depth multiplier');
  const [dilationH, dilationW] = ctx.attrs.dilation ?? [1, 1];
  const [strideH, strideW] = ctx.attrs.strides;
  const effective: [number, number] = [(kH - 1) * dilationH + 1, (kW - 1) * dilationW + 1];
  const { outH, outW, padTop, padLeft } = window2d(ctx.node, inH, inW, effective, ctx.attrs.strides, ctx.attrs.padding);
  return { inH, inW, inC, kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft, outH, outW, multiplier, outC };
}

/**
 * Visit every output value's taps: for output pixel p and channel oc, `tap(p, oc, inputIndex,
 * weightIndex)` for each kernel position inside the input (padding taps contribute zero and are
 * skipped, exactly TFLite's "pad with the input zero point" after centring).
 */
export function forEachTap(g: DepthwiseGeometry, start: (p: number) => void, tap: (p: number, oc: number, x: number, w: number) => void): void {
  for (let oy = 0; oy < g.outH; oy++) {
    for (let ox = 0; ox < g.outW; ox++) {
      const p = oy * g.outW + ox;
      start(p);
      for (let ky = 0; ky < g.kH; ky++) {
        const iy = oy * g.strideH - g.padTop + ky * g.dilationH;
        if (iy < 0 || iy >= g.inH) continue;
        for (let kx = 0; kx < g.kW; kx++) {
          const ix = ox * g.strideW - g.padLeft + kx * g.dilationW;
          if (ix < 0 || ix >= g.inW) continue;
          const xBase = (iy * g.inW + ix) * g.inC;
          const wBase = (ky * g.kW + kx) * g.outC;
          for (let ic = 0; ic < g.inC; ic++) {
            for (let m = 0; m < g.multiplier; m++) {
              const oc = ic * g.multiplier + m;
              tap(p, oc, xBase + ic, wBase + oc);
            }
          }
        }
      }
    }
  }
}
