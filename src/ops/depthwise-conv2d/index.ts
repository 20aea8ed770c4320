import { z } from 'zod';
import { KitError } from '../../errors.js';
import { multiplyByQuantizedMultiplier } from '../../quantize/fixed-point.js';
import { dtypeRange, type IntDType } from '../../quantize/schemes.js';
import type { OpDef, QuantizedView, ShapeContext } from '../op.js';
import { activationRange, activationSchema, applyFloatActivation } from '../common/activation.js';
import { convDenseIntParams, xnnpackScales, type ConvDenseIntParams } from '../common/conv-dense.js';
import { roundHalfToEven } from '../common/int-conv.js';
import { accumulatorBound, checkAccumulator, maxAbsOffset, quantizeBias, quantizeWeights, requantMultipliers } from '../common/quantize-weights.js';
import { tensorQuant } from '../common/view-quant.js';
import { depthwiseGeometry, forEachTap } from './geometry.js';
import { centeredDepthwiseWeights, depthwiseBounds } from './weights.js';
import { lowerDepthwiseConv2d } from './lower.js';

/**
 * Depthwise 2-D convolution (TFLite's DEPTHWISE_CONV_2D): each input channel convolved with its own
 * depthMultiplier filters; weights [1, kH, kW, inC * depthMultiplier], bias [outC], per-channel
 * (int8, axis 3) or per-tensor (uint8) weights, stride, dilation, fused activation.
 *
 * Integer arithmetic is TFLite Micro's reference depthwise conv, per output channel oc:
 *   acc = bias[oc] + sum over the taps inside the input of (x - zx) * (w[oc] - zw[oc])
 *   y   = clamp(MultiplyByQuantizedMultiplier(acc, multiplier[oc], shift[oc]) + zy, lo, hi)
 */
const attrs = z.object({
  strides: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  padding: z.enum(['same', 'valid']),
  dilation: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
  depthMultiplier: z.number().int().positive(),
  activation: activationSchema,
});
export type DepthwiseConv2dAttrs = z.infer<typeof attrs>;

const shapes = (node: string, a: DepthwiseConv2dAttrs, inputs: number[][], params: number[][]): ShapeContext<DepthwiseConv2dAttrs> => ({ node, attrs: a, inputs, params });

const perChannel = (values: number[], oc: number) => (values.length === 1 ? values[0] : values[oc]);

/**
 * intParams from quantized tensors (TFLite Micro's PopulateConvolutionQuantizationParams):
 * multiplier[oc] from input_scale * weight_scale[oc] / output_scale in double, and the fused clamp.
 */
export function deriveDepthwiseIntParams(view: QuantizedView<DepthwiseConv2dAttrs>): ConvDenseIntParams {
  const name = view.node.name;
  const input = tensorQuant(name, view.inputs[0], 'the input');
  const output = tensorQuant(name, view.output, 'the output');
  const w = view.params[0];
  if (!w.quant) throw new KitError('graph-unsupported', 'quantize', `${name}: the weights are not quantized`, 'kit runs 8-bit quantized graphs');
  const outC = w.shape[3];
  const weightParams = Array.from({ length: outC }, (_, oc) => ({ scale: perChannel(w.quant!.scale, oc), zeroPoint: 0 }));
  const { multiplier, shift } = requantMultipliers(input.scale, weightParams, output.scale);
  const range = activationRange(view.attrs.activation, output, output.qmin, output.qmax);
  return { multiplier, shift, activationMin: range.min, activationMax: range.max };
}

export const depthwiseConv2d: OpDef<DepthwiseConv2dAttrs, ConvDenseIntParams> = {
  name: 'depthwise_conv2d',
  template: 'depthwise_conv2d',
  attrs,
  intParams: convDenseIntParams,
  activationInputs: 1,
  outputQuant: 'calibrated',

  inferShape(ctx) {
    const g = depthwiseGeometry(ctx);
    const [bias] = ctx.params.slice(1);
    if (!bias || bias.length !== 1 || bias[0] !== g.outC) {
      throw new KitError('shape', 'quantize', `${ctx.node}: depthwise_conv2d needs a bias of ${g.outC} values`);
    }
    return [g.outH, g.outW, g.outC];
  },

  macs(ctx) {
    const g = depthwiseGeometry(ctx);
    return g.outH * g.outW * g.outC * g.kH * g.kW;
  },

  float(ctx) {
    const g = depthwiseGeometry(shapes(ctx.node.name, ctx.attrs, ctx.inputShapes, ctx.params.map((p) => p.shape)));
    const [w, b] = ctx.params;
    return ([x], out) => {
      const o = out as Float32Array;
      forEachTap(g, (p) => o.set(b.data, p * g.outC), (p, oc, xi, wi) => { o[p * g.outC + oc] += x[xi] * w.data[wi]; });
      applyFloatActivation(ctx.attrs.activation, o);
    };
  },

  quantize(ctx) {
    const g = depthwiseGeometry(shapes(ctx.node.name, ctx.attrs, ctx.inputShapes, ctx.params.map((p) => p.shape)));
    const [w, b] = ctx.params;
    const taps = g.kH * g.kW;
    // Quantize channel-major (the shared weight quantizer's layout), store TFLite's channel-last.
    const byChannel = new Float32Array(w.data.length);
    for (let i = 0; i < w.data.length; i++) byChannel[(i % g.outC) * taps + Math.floor(i / g.outC)] = w.data[i];
    const q = quantizeWeights(byChannel, g.outC, taps, ctx.scheme, ctx.scheme.weight.perChannel);
    const data = ctx.scheme.weight.dtype === 'uint8' ? new Uint8Array(w.data.length) : new Int8Array(w.data.length);
    for (let i = 0; i < data.length; i++) data[i] = q.data[(i % g.outC) * taps + Math.floor(i / g.outC)];
    const wParams = Array.from({ length: g.outC }, (_, oc) => q.params[q.params.length === 1 ? 0 : oc]);
    const inputScale = ctx.inputQuant[0].scale;
    const bias = quantizeBias(ctx.node.name, b.data, inputScale, wParams);
    const { multiplier, shift } = requantMultipliers(inputScale, wParams, ctx.outputQuant.scale);
    const { qmin, qmax } = ctx.scheme.activation;
    const zw = q.params.map((p) => p.zeroPoint);
    const bound = Math.max(...depthwiseBounds(g, centeredDepthwiseWeights(data, zw, g.outC), bias, maxAbsOffset(ctx.inputQuant[0].zeroPoint, qmin, qmax)));
    checkAccumulator(ctx.node.name, bound, shift);
    const range = activationRange(ctx.attrs.activation, ctx.outputQuant, qmin, qmax);
    const axis = q.params.length > 1 ? { axis: 3 } : {};
    return {
      params: [
        { name: 'weights', tensor: { shape: w.shape, dtype: ctx.scheme.weight.dtype, data, quant: { scale: q.params.map((p) => p.scale), zeroPoint: zw, ...axis } } },
        { name: 'bias', tensor: { shape: b.shape, dtype: 'int32', data: bias, quant: { scale: wParams.map((p) => inputScale * p.scale), zeroPoint: wParams.map(() => 0), ...(g.outC > 1 ? { axis: 0 } : {}) } } },
      ],
      intParams: { multiplier, shift, activationMin: range.min, activationMax: range.max },
      accumulatorBound: bound,
    };
  },

  deriveIntParams: deriveDepthwiseIntParams,

  int(ctx) {
    const g = depthwiseGeometry(shapes(ctx.node.name, ctx.attrs, ctx.inputs.map((t) => t.shape), ctx.params.map((p) => p.shape)));
    const [w, b] = ctx.params;
    const input = ctx.inputs[0];
    const zx = input.quant!.zeroPoint[0];
    const { qmin, qmax } = dtypeRange(input.dtype as IntDType);
    const weights = centeredDepthwiseWeights(w.data as Int8Array | Uint8Array, w.quant!.zeroPoint, g.outC);
    const bias = b.data as Int32Array;
    const { multiplier, shift, activationMin, activationMax } = ctx.intParams;
    // Re-check the quantizer's proof, so that a hand-edited or imported graph cannot overflow.
    depthwiseBounds(g, weights, bias, maxAbsOffset(zx, qmin, qmax)).forEach((bound, oc) => checkAccumulator(ctx.node.name, bound, [shift[oc]]));
    const zy = ctx.output.quant!.zeroPoint[0];
    const acc = new Int32Array(g.outH * g.outW * g.outC);
    // XNNPACK mode (analysis only, see IntContext.requantization): float32 scale, ties to even.
    const floatScale = ctx.requantization === 'xnnpack' ? xnnpackScales(input.quant!.scale[0], w.quant!.scale, ctx.output.quant!.scale[0], g.outC) : undefined;
    return ([x], out) => {
      forEachTap(g, (p) => acc.set(bias, p * g.outC), (p, oc, xi, wi) => { acc[p * g.outC + oc] += (x[xi] - zx) * weights[wi]; });
      for (let i = 0; i < acc.length; i++) {
        const oc = i % g.outC;
        const v = (floatScale ? roundHalfToEven(Math.fround(Math.fround(acc[i]) * floatScale[oc])) : multiplyByQuantizedMultiplier(acc[i], multiplier[oc], shift[oc])) + zy;
        out[i] = v < activationMin ? activationMin : v > activationMax ? activationMax : v;
      }
    };
  },

  lower: lowerDepthwiseConv2d,
};
