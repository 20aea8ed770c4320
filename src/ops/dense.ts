import { z } from 'zod';
import type { OpDef } from './op.js';
import { activationSchema } from './common/activation.js';
import { denseGeometry } from './common/conv-geometry.js';
import { convDenseIntParams, deriveConvDenseIntParams, prepareFloatKernel, prepareIntKernel, quantizeConvDense, type ConvDenseIntParams } from './common/conv-dense.js';
import { expectEqual, expectRank } from './common/shape-checks.js';

/**
 * Fully connected layer on a vector: weights [out, in], bias, optional fused ReLU. Weights are
 * quantized per tensor in both schemes, as TFLite's FULLY_CONNECTED and CMSIS-NN's
 * arm_fully_connected_s8 expect.
 */
const attrs = z.object({ activation: activationSchema });
export type DenseAttrs = z.infer<typeof attrs>;

export const dense: OpDef<DenseAttrs, ConvDenseIntParams> = {
  name: 'dense',
  template: 'fully_connected',
  attrs,
  intParams: convDenseIntParams,
  activationInputs: 1,
  outputQuant: 'calibrated',

  inferShape(ctx) {
    const [inUnits] = expectRank(ctx.node, ctx.inputs[0], 1, 'dense input');
    const [outUnits, wIn] = expectRank(ctx.node, ctx.params[0], 2, 'dense weights [out, in]');
    expectEqual(ctx.node, wIn, inUnits, 'weight input size differs from the input size');
    expectRank(ctx.node, ctx.params[1], 1, 'dense bias');
    expectEqual(ctx.node, ctx.params[1][0], outUnits, 'bias length differs from the output size');
    return [outUnits];
  },

  macs(ctx) {
    return ctx.params[0][0] * ctx.params[0][1];
  },

  float(ctx) {
    return prepareFloatKernel(ctx, denseGeometry(ctx.params[0].shape[1]));
  },

  quantize(ctx) {
    const [outUnits, inUnits] = ctx.params[0].shape;
    return quantizeConvDense(ctx, outUnits, inUnits, false);
  },

  deriveIntParams(view) {
    return deriveConvDenseIntParams(view, view.params[0].shape[0]);
  },

  int(ctx) {
    return prepareIntKernel(ctx, denseGeometry(ctx.params[0].shape[1]));
  },
};
