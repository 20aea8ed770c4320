import { z } from 'zod';
import type { OpDef, ShapeContext } from './op.js';
import { activationSchema } from './common/activation.js';
import type { ConvGeometry } from './common/conv-geometry.js';
import { convDenseIntParams, deriveConvDenseIntParams, prepareFloatKernel, prepareIntKernel, quantizeConvDense, type ConvDenseIntParams } from './common/conv-dense.js';
import { expectEqual, expectRank } from './common/shape-checks.js';
import { window2d } from './common/window.js';

/**
 * 2-D convolution, HWC input, OHWI weights, bias, optional fused ReLU (BatchNorm is folded into the
 * weights when the graph is built). Integer arithmetic: TFLite's reference conv (see common/int-conv.ts).
 */
export const conv2dAttrs = z.object({
  strides: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  padding: z.enum(['same', 'valid']),
  activation: activationSchema,
});
export type Conv2dAttrs = z.infer<typeof conv2dAttrs>;

function geometry(ctx: ShapeContext<Conv2dAttrs>): ConvGeometry {
  const [inH, inW, inC] = expectRank(ctx.node, ctx.inputs[0], 3, 'conv2d input');
  const [, kH, kW, wC] = expectRank(ctx.node, ctx.params[0], 4, 'conv2d weights (OHWI)');
  expectEqual(ctx.node, wC, inC, 'weight input channels differ from the input channels');
  const { outH, outW, padTop, padLeft } = window2d(ctx.node, inH, inW, [kH, kW], ctx.attrs.strides, ctx.attrs.padding);
  return { inH, inW, inC, kH, kW, strideH: ctx.attrs.strides[0], strideW: ctx.attrs.strides[1], padTop, padLeft, outH, outW };
}

function shapeContext(node: string, a: Conv2dAttrs, inputs: number[][], params: number[][]): ShapeContext<Conv2dAttrs> {
  return { node, attrs: a, inputs, params };
}

export const conv2d: OpDef<Conv2dAttrs, ConvDenseIntParams> = {
  name: 'conv2d',
  template: 'conv2d',
  attrs: conv2dAttrs,
  intParams: convDenseIntParams,
  activationInputs: 1,
  outputQuant: 'calibrated',

  inferShape(ctx) {
    const g = geometry(ctx);
    const outC = ctx.params[0][0];
    expectRank(ctx.node, ctx.params[1], 1, 'conv2d bias');
    expectEqual(ctx.node, ctx.params[1][0], outC, 'bias length differs from the output channels');
    return [g.outH, g.outW, outC];
  },

  macs(ctx) {
    const g = geometry(ctx);
    return g.outH * g.outW * ctx.params[0][0] * g.kH * g.kW * g.inC;
  },

  float(ctx) {
    return prepareFloatKernel(ctx, geometry(shapeContext(ctx.node.name, ctx.attrs, ctx.inputShapes, ctx.params.map((p) => p.shape))));
  },

  quantize(ctx) {
    const [w] = ctx.params;
    const channels = w.shape[0];
    return quantizeConvDense(ctx, channels, w.data.length / channels, ctx.scheme.weight.perChannel);
  },

  deriveIntParams(view) {
    return deriveConvDenseIntParams(view, view.params[0].shape[0]);
  },

  int(ctx) {
    return prepareIntKernel(ctx, geometry(shapeContext(ctx.node.name, ctx.attrs, ctx.inputs.map((t) => t.shape), ctx.params.map((p) => p.shape))));
  },
};
