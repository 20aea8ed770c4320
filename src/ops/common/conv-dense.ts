import { z } from 'zod';
import { dtypeRange, type IntDType } from '../../quantize/schemes.js';
import { KitError } from '../../errors.js';
import type { FloatContext, IntContext, Kernel, QuantizeContext, QuantizedNode, QuantizedView } from '../op.js';
import { tensorQuant } from './view-quant.js';
import { activationRange, applyFloatActivation, type Activation } from './activation.js';
import type { ConvGeometry } from './conv-geometry.js';
import { prepareFloatConv } from './float-conv.js';
import { prepareIntConv, type IntConv } from './int-conv.js';
import {
  accumulatorBound,
  centeredWeights,
  channelParams,
  checkAccumulator,
  maxAbsOffset,
  quantizeBias,
  quantizeWeights,
  requantMultipliers,
  weightQuantParams,
} from './quantize-weights.js';

/**
 * What conv2d and dense share: both are convolutions (dense is a 1x1 convolution of a 1x1 image)
 * with weights, bias and a fused activation, quantized and run the same way.
 */

/** Integer parameters of conv2d and dense: per-channel requantization and the activation clamp. */
export const convDenseIntParams = z.object({
  multiplier: z.array(z.number().int()),
  shift: z.array(z.number().int().min(-31).max(30)),
  activationMin: z.number().int(),
  activationMax: z.number().int(),
});
export type ConvDenseIntParams = z.infer<typeof convDenseIntParams>;

/**
 * Quantize the weights [channels, depth] (any trailing layout) and bias of a conv2d or dense node,
 * and compute its requantization, clamp and accumulator bound.
 */
export function quantizeConvDense(
  ctx: QuantizeContext<{ activation: Activation }>,
  channels: number,
  depth: number,
  perChannel: boolean,
): QuantizedNode<ConvDenseIntParams> {
  const { node, scheme, params, inputQuant, outputQuant } = ctx;
  const [weights, bias] = params;
  const qw = quantizeWeights(weights.data, channels, depth, scheme, perChannel);
  const wParams = channelParams(qw, channels);
  const inputScale = inputQuant[0].scale;
  const qb = quantizeBias(node.name, bias.data, inputScale, wParams);
  const { multiplier, shift } = requantMultipliers(inputScale, wParams, outputQuant.scale);
  const { qmin, qmax } = scheme.activation;
  const bound = accumulatorBound(
    centeredWeights(qw.data, qw.params.map((p) => p.zeroPoint), channels, depth),
    qb,
    channels,
    depth,
    maxAbsOffset(inputQuant[0].zeroPoint, qmin, qmax),
  );
  checkAccumulator(node.name, bound, shift);
  const range = activationRange(ctx.attrs.activation, outputQuant, qmin, qmax);
  return {
    params: [
      { name: 'weights', tensor: { shape: weights.shape, dtype: scheme.weight.dtype, data: qw.data, quant: weightQuantParams(qw) } },
      {
        name: 'bias',
        tensor: {
          shape: bias.shape,
          dtype: 'int32',
          data: qb,
          quant: {
            scale: qw.params.map((p) => inputScale * p.scale),
            zeroPoint: qw.params.map(() => 0),
            ...(qw.params.length > 1 ? { axis: 0 } : {}),
          },
        },
      },
    ],
    intParams: { multiplier, shift, activationMin: range.min, activationMax: range.max },
    accumulatorBound: bound,
  };
}

/**
 * The integer parameters of a conv2d or dense node from its quantized tensors (TFLite Micro's
 * PopulateConvolutionQuantizationParams): per output channel, the real multiplier
 * input_scale * weight_scale[c] / output_scale (in double) as QuantizeMultiplier, and the fused
 * activation's clamp.
 */
export function deriveConvDenseIntParams(view: QuantizedView<{ activation: Activation }>, channels: number): ConvDenseIntParams {
  const name = view.node.name;
  const input = tensorQuant(name, view.inputs[0], 'the input');
  const output = tensorQuant(name, view.output, 'the output');
  const w = view.params[0].quant;
  if (!w) throw new KitError('graph-unsupported', 'quantize', `${name}: the weights are not quantized`, 'kit runs 8-bit quantized graphs');
  const weightParams = Array.from({ length: channels }, (_, c) => ({ scale: w.scale.length === 1 ? w.scale[0] : w.scale[c], zeroPoint: 0 }));
  const { multiplier, shift } = requantMultipliers(input.scale, weightParams, output.scale);
  const range = activationRange(view.attrs.activation, output, output.qmin, output.qmax);
  return { multiplier, shift, activationMin: range.min, activationMax: range.max };
}

/** Build the integer convolution of a quantized conv2d or dense node from its tensors. */
export function prepareConvKernel(ctx: IntContext<unknown, ConvDenseIntParams>, geometry: ConvGeometry): IntConv {
  const [input] = ctx.inputs;
  const [weights, bias] = ctx.params;
  const channels = weights.shape[0];
  const depth = geometry.kH * geometry.kW * geometry.inC;
  const { qmin, qmax } = dtypeRange(input.dtype as IntDType);
  const inputZeroPoint = input.quant!.zeroPoint[0];
  return prepareIntConv({
    node: ctx.node.name,
    geometry,
    channels,
    weights: centeredWeights(weights.data as Int8Array | Uint8Array, weights.quant!.zeroPoint, channels, depth),
    bias: bias.data as Int32Array,
    multiplier: ctx.intParams.multiplier,
    shift: ctx.intParams.shift,
    inputZeroPoint,
    outputZeroPoint: ctx.output.quant!.zeroPoint[0],
    activationMin: ctx.intParams.activationMin,
    activationMax: ctx.intParams.activationMax,
    maxAbsInput: maxAbsOffset(inputZeroPoint, qmin, qmax),
    plain: ctx.plainAccumulation,
    ...(ctx.requantization === 'xnnpack' ? { floatScale: xnnpackScales(input.quant!.scale[0], weights.quant!.scale, ctx.output.quant!.scale[0], channels) } : {}),
  });
}

/**
 * XNNPACK's per-channel requantization scale, as its operator setup computes it in float32:
 * input_scale * kernel_scale[c] / output_scale, each step rounded to float.
 */
export function xnnpackScales(inputScale: number, weightScales: number[], outputScale: number, channels: number): Float32Array {
  const out = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const w = weightScales.length === 1 ? weightScales[0] : weightScales[c];
    out[c] = Math.fround(Math.fround(Math.fround(inputScale) * Math.fround(w)) / Math.fround(outputScale));
  }
  return out;
}

/** The float reference convolution of a conv2d or dense node. */
export function prepareFloatKernel(ctx: FloatContext<{ activation: Activation }>, geometry: ConvGeometry): Kernel {
  const [w, b] = ctx.params;
  const conv = prepareFloatConv(geometry, w.data, b.data, w.shape[0]);
  return ([x], out) => {
    conv.run(x as Float32Array, out as Float32Array);
    applyFloatActivation(ctx.attrs.activation, out as Float32Array);
  };
}

/** The integer kernel of a conv2d or dense node. */
export function prepareIntKernel(ctx: IntContext<unknown, ConvDenseIntParams>, geometry: ConvGeometry): Kernel {
  const conv = prepareConvKernel(ctx, geometry);
  return ([x], out) => conv.run(x as Int8Array | Uint8Array, out as Int8Array | Uint8Array);
}
