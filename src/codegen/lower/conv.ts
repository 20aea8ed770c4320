/**
 * conv2d and dense: both are dot products of weight rows with receptive fields, and share
 * kit_conv_params_t and the matmul helpers of the runtime header. Weights stay as quantized
 * (int8/uint8, OHWI or [out, in]); only each output channel's row is zero-padded to a multiple of 4
 * so that the kernels read whole words.
 */
import { convParams } from './conv-params.js';
import type { TensorSpec } from '../../ir/graph.js';
import type { Conv2dAttrs } from '../../ops/conv2d.js';
import type { ConvDenseIntParams } from '../../ops/common/conv-dense.js';
import { activationSuffix, type Activation } from '../../ops/common/activation.js';
import type { ConvGeometry } from '../../ops/common/conv-geometry.js';
import { window2d } from '../../ops/common/window.js';
import { dtypeRange } from '../../quantize/schemes.js';
import { thousands } from '../c-format.js';
import { checkClamp, checkInt32, expect8bit, headroom, unsupported } from './checks.js';
import { biasFitsInt16, isPerTensor, requantArrays } from './requant-arrays.js';
import { ctypeOf, suffixOf, type CArray, type LowerContext, type LayerLowering } from './types.js';

interface Geometry extends ConvGeometry {
  outC: number;
}

const round4 = (n: number) => Math.ceil(n / 4) * 4;

function convGeometry(ctx: LowerContext<Conv2dAttrs>): Geometry {
  const [inH, inW, inC] = ctx.inputs[0].shape;
  const [outC, kH, kW] = ctx.params[0].shape;
  const { strides, padding } = ctx.attrs;
  const { outH, outW, padTop, padLeft } = window2d(ctx.node.name, inH, inW, [kH, kW], strides, padding);
  return { inH, inW, inC, kH, kW, strideH: strides[0], strideW: strides[1], padTop, padLeft, outH, outW, outC };
}

function denseGeometry(ctx: LowerContext): Geometry {
  const [outC, inC] = ctx.params[0].shape;
  return { inH: 1, inW: 1, inC, kH: 1, kW: 1, strideH: 1, strideW: 1, padTop: 0, padLeft: 0, outH: 1, outW: 1, outC };
}

/** conv2d over row buffers (the conv2d kernel, and both convolutions of conv2d_add). */
export const lowerConv2d = (ctx: LowerContext<Conv2dAttrs>) => lowerConvLike(ctx, 'conv2d', convGeometry(ctx), ctx.attrs.padding, false);
export const lowerDense = (ctx: LowerContext) => lowerConvLike(ctx, 'dense', denseGeometry(ctx), 'valid', true);

function lowerConvLike(
  ctx: LowerContext<{ activation: Activation }, ConvDenseIntParams>,
  kind: 'conv2d' | 'dense',
  g: Geometry,
  padding: string,
  im2col: boolean,
): LayerLowering {
  const name = ctx.node.name;
  const [x] = ctx.inputs;
  const [w, b] = ctx.params;
  const inType = expect8bit(name, x, 'the input');
  const outType = expect8bit(name, ctx.output, 'the output');
  const wType = expect8bit(name, w, 'the weights');
  if (b.dtype !== 'int32' || !b.data) throw unsupported(name, 'the bias is not an int32 constant');
  const { multiplier, shift, activationMin, activationMax } = ctx.intParams;
  if (multiplier.length !== g.outC || shift.length !== g.outC) throw unsupported(name, `has ${multiplier.length} multipliers for ${g.outC} channels`);
  checkClamp(name, activationMin, activationMax, ctx.output.dtype);

  const depth = g.kH * g.kW * g.inC;
  const depth4 = round4(depth);
  const raw = w.data as Int8Array | Uint8Array;
  const layout = weightLayout(im2col, g);
  const padded = padRows(raw, layout, g, wType);
  const wzp = Array.from({ length: g.outC }, (_, c) => (w.quant!.zeroPoint.length === 1 ? w.quant!.zeroPoint[0] : w.quant!.zeroPoint[c]));
  const hasWzp = wzp.some((z) => z !== 0);
  const bias = b.data as Int32Array;

  const bound = checkBounds(name, x, raw, bias, wzp, shift, depth);
  const id = ctx.id;
  const requant = { bias, multiplier, shift, weightZeroPoint: hasWzp ? wzp : undefined };
  const perTensor = isPerTensor(requant);
  const arrays: CArray[] = [
    {
      name: `${id}_weights`,
      ctype: ctypeOf(wType),
      data: padded,
      comment: `${kind === 'conv2d' ? `OHWI [${g.outC}][${g.kH}][${g.kW}][${im2col ? g.inC : layout.cp}]` : `[${g.outC}][${g.inC}]`}${layout.rowLength > depth ? (im2col ? `, rows padded ${depth} -> ${layout.rowLength}` : `, channels padded ${g.inC} -> ${layout.cp} with zeros`) : ''}; ${describeWeightQuant(w)}`,
      kind: 'weights',
      align: 4,
    },
    ...requantArrays(id, requant, perTensor),
  ];

  const sfx = typeSuffix(inType, wType, outType);
  const signature = `const kit_conv_params_t *p, const ${ctypeOf(inType)} *input, ${ctypeOf(outType)} *output`;
  // The cheaper exact requantization (kit_out_* fast path, kit_requantize_fast) needs |acc| < 2^30 and
  // right shifts only, of at most 20 so that the output zero point folds into the rounding offset.
  const fast = bound < 2 ** 30 && shift.every((v) => v <= -1 && v >= -20);
  // The output is saturated to its type for free (SSAT/USAT); the activation's clamp costs compares
  // only where it is narrower than the type.
  const range = dtypeRange(outType);
  const clampLo = activationMin > range.qmin;
  const clampHi = activationMax < range.qmax;
  const matmul = `${suffixOf(wType)}_${suffixOf(outType)}${fast ? '_fast' : ''}${clampLo ? '_lo' : ''}${clampHi ? '_hi' : ''}${perTensor ? '_pt' : ''}`;
  const common = {
    inSuffix: suffixOf(inType),
    wType: ctypeOf(wType),
    outType: ctypeOf(outType),
    depth,
    depth4,
    padDepth: depth4 > depth,
    simdWiden: g.inC % 4 === 0,
    weightZeroPoint: hasWzp,
    matmul,
    matmulSpec: { weights: wType, output: outType, fast, clampLo, clampHi, perTensor },
  };
  const kernel =
    kind === 'conv2d'
      ? {
          template: 'conv2d',
          key: JSON.stringify(['conv2d', g, inType, wType, outType, hasWzp, matmul]),
          baseName: `kit_conv2d_${g.kH}x${g.kW}s${g.strideH}${g.strideW !== g.strideH ? `x${g.strideW}` : ''}_${g.inH}x${g.inW}x${g.inC}_${g.outC}${hasWzp ? '_zw' : ''}_${sfx}`,
          signature,
          ctx: { ...g, ...common, ...rowBuffer(g, layout.cp) },
          describe: `conv2d ${g.kH}x${g.kW} stride ${g.strideH}x${g.strideW}, ${g.inH}x${g.inW}x${g.inC} -> ${g.outH}x${g.outW}x${g.outC}, padding top ${g.padTop} left ${g.padLeft}`,
        }
      : {
          template: 'fully_connected',
          key: JSON.stringify(['dense', g.inC, g.outC, inType, wType, outType, hasWzp, matmul]),
          baseName: `kit_fc_${g.inC}_${g.outC}${hasWzp ? '_zw' : ''}_${sfx}`,
          signature,
          ctx: { ...common, outC: g.outC },
          describe: `fully connected ${g.inC} -> ${g.outC}`,
        };
  const macs = g.outH * g.outW * g.outC * depth;
  const act = activationSuffix(ctx.attrs.activation);
  const summary =
    kind === 'conv2d'
      ? `conv2d ${g.kH}x${g.kW}/${g.strideH} ${padding}, ${g.inH}x${g.inW}x${g.inC} -> ${g.outH}x${g.outW}x${g.outC}${act}`
      : `dense ${g.inC} -> ${g.outC}${act}`;
  return {
    index: ctx.index,
    node: ctx.node,
    id,
    kernel,
    params: convParams({ id, bias16: biasFitsInt16(bias), weightZeroPoint: hasWzp, inputZeroPoint: x.quant!.zeroPoint[0], outputZeroPoint: ctx.output.quant!.zeroPoint[0], activationMin, activationMax }),
    arrays,
    inputs: [ctx.node.inputs[0]],
    output: ctx.node.outputs[0],
    // conv2d with weight zero points: the row buffers' per-pixel sums after them.
    scratchBytes: kind === 'conv2d' ? rowBuffer(g, layout.cp).scratchBytes + (hasWzp ? g.kH * rowBuffer(g, layout.cp).rowW * 4 : 0) : depth4 * 2,
    summary,
    notes: [
      `${thousands(macs)} MACs; ${thousands(g.outC * depth)} weights (${wType}${hasWzp ? ', zero point ' + describeZp(wzp) : ''}), ${g.outC} biases`,
      `zero points: input ${x.quant!.zeroPoint[0]}, output ${ctx.output.quant!.zeroPoint[0]}; clamp [${activationMin}, ${activationMax}]`,
      `overflow: |acc| <= ${thousands(bound)} (${headroom(bound)}); requantization ${fast ? 'fast path (|acc| < 2^30, right shifts 1..20)' : 'general path'}`,
    ],
  };
}

/**
 * Weight rows as the kernels read them. conv2d: OHWI with the input channels zero-padded to cp, a
 * multiple of 4, so that every kernel row's run of K_W * cp values is whole words (the padding
 * channels of the row buffers are 0 too). dense: each row zero-padded to a multiple of 4.
 */
interface WeightLayout {
  /** Taps per row (K_H * K_W; 1 for im2col rows), each of tapValues weights padded to cp values. */
  taps: number;
  tapValues: number;
  cp: number;
  rowLength: number;
}

function weightLayout(im2col: boolean, g: Geometry): WeightLayout {
  const depth = g.kH * g.kW * g.inC;
  if (im2col) return { taps: 1, tapValues: depth, cp: depth, rowLength: round4(depth) };
  const cp = round4(g.inC);
  return { taps: g.kH * g.kW, tapValues: g.inC, cp, rowLength: g.kH * g.kW * cp };
}

function padRows(raw: Int8Array | Uint8Array, layout: WeightLayout, g: Geometry, wType: string): Int8Array | Uint8Array {
  const out = wType === 'int8' ? new Int8Array(g.outC * layout.rowLength) : new Uint8Array(g.outC * layout.rowLength);
  const { taps, tapValues } = layout;
  for (let c = 0; c < g.outC; c++) {
    for (let t = 0; t < taps; t++) {
      const src = (c * taps + t) * tapValues;
      out.set(raw.subarray(src, src + tapValues), c * layout.rowLength + t * layout.cp);
    }
  }
  return out;
}

/**
 * The conv2d kernel's row buffers: K_H input rows widened to int16, each rowW pixels of cp channels
 * including the left and right padding, so that output pixel ox reads kernel row ky as one run of
 * K_W * cp values at pixel ox * strideW. copyW input pixels are widened per row (the rest is padding
 * or never read).
 */
function rowBuffer(g: Geometry, cp: number) {
  const rowW = (g.outW - 1) * g.strideW + g.kW;
  const copyW = Math.max(0, Math.min(g.inW, rowW - g.padLeft));
  return { cp, rowW, copyW, run: g.kW * cp, ps: g.strideW * cp, scratchBytes: g.kH * rowW * cp * 2 };
}

/**
 * The int32 invariants of the emitted code, per channel, with X = max|x - zx|:
 * - the real accumulator, |bias| + X * sum|w - zw|, times 2^left of the requantization (as the
 *   interpreter re-checks it);
 * - with weight zero points, the kernel accumulates bias - zw * sum(x - zx) + sum (x - zx) w, whose
 *   partial sums are bounded by |bias| + |zw| X depth + X sum|w|.
 * Returns the largest real accumulator bound, for the comments.
 */
function checkBounds(node: string, x: TensorSpec, w: Int8Array | Uint8Array, bias: Int32Array, wzp: number[], shift: number[], depth: number): number {
  const { qmin, qmax } = dtypeRange(x.dtype as 'int8' | 'uint8');
  const zx = x.quant!.zeroPoint[0];
  const maxX = Math.max(zx - qmin, qmax - zx);
  let worst = 0;
  for (let c = 0; c < bias.length; c++) {
    let centred = 0;
    let rawSum = 0;
    for (let k = c * depth; k < (c + 1) * depth; k++) {
      centred += Math.abs(w[k] - wzp[c]);
      rawSum += Math.abs(w[k]);
    }
    const bound = Math.abs(bias[c]) + maxX * centred;
    checkInt32(node, `the accumulator of channel ${c}`, bound, Math.max(0, shift[c]));
    if (wzp[c] !== 0) checkInt32(node, `the zero-point-split accumulator of channel ${c}`, Math.abs(bias[c]) + Math.abs(wzp[c]) * maxX * depth + maxX * rawSum);
    worst = Math.max(worst, bound);
  }
  return worst;
}

function describeWeightQuant(w: TensorSpec): string {
  const q = w.quant!;
  const perChannel = q.scale.length > 1;
  return `${w.dtype} ${perChannel ? 'per channel' : 'per tensor'}${q.zeroPoint.every((z) => z === 0) ? ', zero point 0' : `, zero point ${describeZp(q.zeroPoint)}`}`;
}

function describeZp(zp: number[]): string {
  return new Set(zp).size === 1 ? String(zp[0]) : 'per channel';
}

/** "s8" when input, weights and output share a type, else each spelled out ("u8s8u8"). */
function typeSuffix(...types: string[]): string {
  const s = types.map((t) => suffixOf(t as 'int8' | 'uint8'));
  return s.every((v) => v === s[0]) ? s[0] : s.join('');
}
