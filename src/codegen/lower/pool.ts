/** avg_pool2d, max_pool2d, global_avg_pool: geometry baked into the kernel, only the clamp per layer. */
import type { PoolAttrs, PoolIntParams } from '../../ops/common/pool.js';
import { window2d } from '../../ops/common/window.js';
import { dtypeRange } from '../../quantize/schemes.js';
import { thousands } from '../c-format.js';
import { checkClamp, checkInt32, expect8bit, headroom, unsupported } from './checks.js';
import { ctypeOf, suffixOf, type LowerContext, type LayerLowering } from './types.js';

function clampLayer(ctx: LowerContext<unknown, PoolIntParams>, summary: string, notes: string[], kernel: LayerLowering['kernel']): LayerLowering {
  const p = ctx.intParams;
  return {
    index: ctx.index,
    node: ctx.node,
    id: ctx.id,
    kernel,
    params: {
      type: 'kit_clamp_params_t',
      name: ctx.id,
      fields: [
        { name: 'activation_min', value: String(p.activationMin) },
        { name: 'activation_max', value: String(p.activationMax) },
      ],
    },
    arrays: [],
    inputs: [ctx.node.inputs[0]],
    output: ctx.node.outputs[0],
    scratchBytes: 0,
    summary,
    notes: [...notes, `clamp [${p.activationMin}, ${p.activationMax}]`],
  };
}

/** Same type in and out: these ops share quantization between input and output. */
function types(ctx: LowerContext<unknown, PoolIntParams>): 'int8' | 'uint8' {
  const name = ctx.node.name;
  const inType = expect8bit(name, ctx.inputs[0], 'the input');
  const outType = expect8bit(name, ctx.output, 'the output');
  if (inType !== outType) throw unsupported(name, `reads ${inType} but writes ${outType}`);
  checkClamp(name, ctx.intParams.activationMin, ctx.intParams.activationMax, outType);
  return outType;
}

function lowerWindowPool(ctx: LowerContext<PoolAttrs, PoolIntParams>, kind: 'avg' | 'max'): LayerLowering {
  const t = types(ctx);
  const [inH, inW, channels] = ctx.inputs[0].shape;
  const { poolSize, strides, padding } = ctx.attrs;
  const { outH, outW, padTop, padLeft } = window2d(ctx.node.name, inH, inW, poolSize, strides, padding);
  const { qmin, qmax } = dtypeRange(t);
  const bound = poolSize[0] * poolSize[1] * Math.max(-qmin, qmax);
  if (kind === 'avg') checkInt32(ctx.node.name, 'a window sum', bound);
  const g = { inH, inW, channels, outH, outW, poolH: poolSize[0], poolW: poolSize[1], strideH: strides[0], strideW: strides[1], padTop, padLeft };
  const template = kind === 'avg' ? 'avg_pool2d' : 'max_pool2d';
  const shape = `${poolSize[0]}x${poolSize[1]}s${strides[0]}${strides[1] !== strides[0] ? `x${strides[1]}` : ''}`;
  return clampLayer(
    ctx,
    `${template} ${poolSize[0]}x${poolSize[1]}/${strides[0]} ${padding}, ${inH}x${inW}x${channels} -> ${outH}x${outW}x${channels}`,
    kind === 'avg' ? [`overflow: window sum <= ${thousands(bound)} (${headroom(bound)})`] : ['no arithmetic'],
    {
      template,
      key: JSON.stringify([template, g, t]),
      baseName: `kit_${kind}pool_${shape}_${inH}x${inW}x${channels}_${suffixOf(t)}`,
      signature: `const kit_clamp_params_t *p, const ${ctypeOf(t)} *input, ${ctypeOf(t)} *output`,
      ctx: { ...g, inType: ctypeOf(t), outType: ctypeOf(t), typeMin: qmin },
      describe: `${template} ${shape}, ${inH}x${inW}x${channels} -> ${outH}x${outW}x${channels}, padding top ${padTop} left ${padLeft}`,
    },
  );
}

export const lowerAvgPool2d = (ctx: LowerContext<PoolAttrs, PoolIntParams>) => lowerWindowPool(ctx, 'avg');
export const lowerMaxPool2d = (ctx: LowerContext<PoolAttrs, PoolIntParams>) => lowerWindowPool(ctx, 'max');

export function lowerGlobalAvgPool(ctx: LowerContext<unknown, PoolIntParams>): LayerLowering {
  const t = types(ctx);
  const [h, w, channels] = ctx.inputs[0].shape;
  const positions = h * w;
  const { qmin, qmax } = dtypeRange(t);
  const bound = positions * Math.max(-qmin, qmax);
  checkInt32(ctx.node.name, 'a channel sum', bound);
  return clampLayer(
    ctx,
    `global_avg_pool ${h}x${w}x${channels} -> ${channels}`,
    [`overflow: channel sum <= ${thousands(bound)} (${headroom(bound)})`],
    {
      template: 'global_avg_pool',
      key: JSON.stringify(['global_avg_pool', positions, channels, t]),
      baseName: `kit_global_avgpool_${h}x${w}x${channels}_${suffixOf(t)}`,
      signature: `const kit_clamp_params_t *p, const ${ctypeOf(t)} *input, ${ctypeOf(t)} *output`,
      ctx: { positions, channels, outType: ctypeOf(t) },
      describe: `global average pool, ${h}x${w}x${channels} -> ${channels}`,
    },
  );
}

export function lowerRelu(ctx: LowerContext<unknown, PoolIntParams>): LayerLowering {
  const t = types(ctx);
  const count = ctx.output.shape.reduce((n, d) => n * d, 1);
  return clampLayer(
    ctx,
    `relu ${ctx.output.shape.join('x')}`,
    ['no arithmetic'],
    {
      template: 'relu',
      key: JSON.stringify(['relu', count, t]),
      baseName: `kit_relu_${count}_${suffixOf(t)}`,
      signature: `const kit_clamp_params_t *p, const ${ctypeOf(t)} *input, ${ctypeOf(t)} *output`,
      ctx: { count, outType: ctypeOf(t) },
      describe: `relu of ${count} values`,
    },
  );
}
