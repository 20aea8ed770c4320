/**
 * depthwise_conv2d to C: the weights as quantized ([kH][kW][outC], int8 or uint8), bias,
 * per-channel requantization, and a kernel specialised per geometry that shares kit_conv_params_t
 * with conv2d. No scratch: each channel accumulates in a register.
 */
import { convParams } from '../../codegen/lower/conv-params.js';
import { checkClamp, checkInt32, expect8bit, headroom, unsupported } from '../../codegen/lower/checks.js';
import { biasFitsInt16, requantArrays } from '../../codegen/lower/requant-arrays.js';
import { ctypeOf, suffixOf, type CArray, type LowerContext, type LayerLowering } from '../../codegen/lower/types.js';
import { thousands } from '../../codegen/c-format.js';
import { dtypeRange } from '../../quantize/schemes.js';
import { activationSuffix } from '../common/activation.js';
import type { ConvDenseIntParams } from '../common/conv-dense.js';
import { depthwiseGeometry } from './geometry.js';
import type { DepthwiseConv2dAttrs } from './index.js';
import { centeredDepthwiseWeights, depthwiseBounds } from './weights.js';

export function lowerDepthwiseConv2d(ctx: LowerContext<DepthwiseConv2dAttrs, ConvDenseIntParams>): LayerLowering {
  const name = ctx.node.name;
  const [x] = ctx.inputs;
  const [w, b] = ctx.params;
  const g = depthwiseGeometry({ node: name, attrs: ctx.attrs, inputs: [x.shape], params: [w.shape] });
  const inType = expect8bit(name, x, 'the input');
  const outType = expect8bit(name, ctx.output, 'the output');
  const wType = expect8bit(name, w, 'the weights');
  if (b.dtype !== 'int32' || !b.data) throw unsupported(name, 'the bias is not an int32 constant');
  const { multiplier, shift, activationMin, activationMax } = ctx.intParams;
  if (multiplier.length !== g.outC || shift.length !== g.outC) throw unsupported(name, `has ${multiplier.length} multipliers for ${g.outC} channels`);
  checkClamp(name, activationMin, activationMax, ctx.output.dtype);

  const zx = x.quant!.zeroPoint[0];
  const { qmin, qmax } = dtypeRange(inType);
  const wzp = Array.from({ length: g.outC }, (_, c) => (w.quant!.zeroPoint.length === 1 ? w.quant!.zeroPoint[0] : w.quant!.zeroPoint[c]));
  const hasWzp = wzp.some((z) => z !== 0);
  const bias = b.data as Int32Array;
  const bounds = depthwiseBounds(g, centeredDepthwiseWeights(w.data as Int8Array | Uint8Array, wzp, g.outC), bias, Math.max(zx - qmin, qmax - zx));
  bounds.forEach((bound, c) => checkInt32(name, `the accumulator of channel ${c}`, bound, Math.max(0, shift[c])));
  const bound = Math.max(...bounds);

  const id = ctx.id;
  const arrays: CArray[] = [
    { name: `${id}_weights`, ctype: ctypeOf(wType), data: w.data!, comment: `[${g.kH}][${g.kW}][${g.outC}], ${wType} ${w.quant!.scale.length > 1 ? 'per channel' : 'per tensor'}`, kind: 'weights', align: 4 },
    ...requantArrays(id, { bias, multiplier, shift, weightZeroPoint: hasWzp ? wzp : undefined }),
  ];

  const sfx = [inType, wType, outType].every((t) => t === inType) ? suffixOf(inType) : [inType, wType, outType].map((t) => suffixOf(t)).join('');
  const dil = g.dilationH > 1 || g.dilationW > 1 ? `d${g.dilationH}x${g.dilationW}` : '';
  const macs = g.outH * g.outW * g.outC * g.kH * g.kW;
  return {
    index: ctx.index,
    node: ctx.node,
    id,
    kernel: {
      template: 'depthwise_conv2d',
      key: JSON.stringify(['depthwise_conv2d', g, inType, wType, outType, hasWzp]),
      baseName: `kit_dwconv_${g.kH}x${g.kW}s${g.strideH}${g.strideW !== g.strideH ? `x${g.strideW}` : ''}${dil}_${g.inH}x${g.inW}x${g.inC}_m${g.multiplier}${hasWzp ? '_zw' : ''}_${sfx}`,
      signature: `const kit_conv_params_t *p, const ${ctypeOf(inType)} *input, ${ctypeOf(outType)} *output`,
      ctx: { ...g, inType: ctypeOf(inType), wType: ctypeOf(wType), outType: ctypeOf(outType), weightZeroPoint: hasWzp },
      describe: `depthwise conv2d ${g.kH}x${g.kW} stride ${g.strideH}x${g.strideW} dilation ${g.dilationH}x${g.dilationW}, ${g.inH}x${g.inW}x${g.inC} x${g.multiplier} -> ${g.outH}x${g.outW}x${g.outC}, padding top ${g.padTop} left ${g.padLeft}`,
    },
    params: convParams({ id, bias16: biasFitsInt16(bias), weightZeroPoint: hasWzp, inputZeroPoint: zx, outputZeroPoint: ctx.output.quant!.zeroPoint[0], activationMin, activationMax }),
    arrays,
    inputs: [ctx.node.inputs[0]],
    output: ctx.node.outputs[0],
    scratchBytes: 0,
    summary: `depthwise_conv2d ${g.kH}x${g.kW}/${g.strideH} ${ctx.attrs.padding}${dil ? ` dilation ${g.dilationH}x${g.dilationW}` : ''}, ${g.inH}x${g.inW}x${g.inC} x${g.multiplier} -> ${g.outH}x${g.outW}x${g.outC}${activationSuffix(ctx.attrs.activation)}`,
    notes: [
      `${thousands(macs)} MACs; ${thousands(w.data!.length)} weights (${wType}), ${g.outC} biases`,
      `zero points: input ${zx}, output ${ctx.output.quant!.zeroPoint[0]}; clamp [${activationMin}, ${activationMax}]`,
      `overflow: |acc| <= ${thousands(bound)} (${headroom(bound)})`,
    ],
  };
}
