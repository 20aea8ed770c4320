/** normalize_input (a table lookup per pixel) and flatten (normally no code: an alias; else a copy, as reshape's). */
import { thousands } from '../c-format.js';
import { expect8bit, unsupported } from './checks.js';
import type { DType } from '../../ir/graph.js';
import { fitSaturatedLine } from './line-fit.js';
import { dtypeRange } from '../../quantize/schemes.js';
import { ctypeOf, suffixOf, type KernelSpec, type LowerContext, type LayerLowering } from './types.js';

/** The input lines' fixed point: (x K + B) >> 16, x <= 255 and K below 2^17 stay far inside int32. */
const LINE_SHIFT = 16;

export function lowerNormalizeInput(ctx: LowerContext): LayerLowering {
  const name = ctx.node.name;
  const x = ctx.inputs[0];
  if (x.dtype !== 'uint8') throw unsupported(name, `reads ${x.dtype} pixels; the device sends uint8`);
  if (!ctx.graph.inputs.includes(ctx.node.inputs[0])) throw unsupported(name, 'normalize_input must read the graph input');
  const outType = expect8bit(name, ctx.output, 'the output');
  const table = ctx.params[0];
  const [h, w, channels] = x.shape;
  if (table.dtype !== outType || table.shape[0] !== channels || table.shape[1] !== 256) throw unsupported(name, 'its table is not [channels][256] of the output type');
  const id = ctx.id;
  // Each channel's table as a saturated line when exact (line-fit.ts): no table in flash.
  const { qmin, qmax } = dtypeRange(outType);
  const channelTable = (c: number) => Array.from(table.data!).slice(c * 256, (c + 1) * 256);
  const fits = Array.from({ length: channels }, (_, c) => fitSaturatedLine(channelTable(c), qmin, qmax, LINE_SHIFT));
  // What the line form and the table form share.
  const layer = {
    index: ctx.index,
    node: ctx.node,
    id,
    inputs: [ctx.node.inputs[0]],
    output: ctx.node.outputs[0],
    scratchBytes: 0,
    summary: `normalize_input ${h}x${w}x${channels} pixels -> ${outType}`,
  };
  if (fits.every((f) => f)) {
    const lines = fits.map((f) => f!);
    return {
      ...layer,
      kernel: {
        template: 'input_lut',
        key: JSON.stringify(['input_lut', h * w, channels, outType, lines]),
        baseName: `kit_input_lines_${h}x${w}x${channels}_${suffixOf(outType)}`,
        signature: `const uint8_t *pixels, ${ctypeOf(outType)} *output`,
        ctx: { pixels: h * w, channels, outType: ctypeOf(outType), lines, shift: LINE_SHIFT, sat: outType === 'int8' ? 'kit_ssat8' : 'kit_usat8' },
        describe: `pixels through one saturated line per channel, ${h}x${w}x${channels}`,
      },
      arrays: [],
      notes: [`${thousands(h * w * channels)} values, each sat((p K + B) >> ${LINE_SHIFT}): ${lines.map((l, c) => `channel ${c} K ${l.k} B ${l.b}`).join(', ')} (exactly the table kit quantize computed); output zero point ${ctx.output.quant!.zeroPoint[0]}`],
    };
  }
  return {
    ...layer,
    kernel: {
      template: 'input_lut',
      key: JSON.stringify(['input_lut', h * w, channels, outType]),
      baseName: `kit_input_lut_${h}x${w}x${channels}_${suffixOf(outType)}`,
      signature: `const kit_lut_params_t *p, const uint8_t *pixels, ${ctypeOf(outType)} *output`,
      ctx: { pixels: h * w, channels, outType: ctypeOf(outType) },
      describe: `pixel lookup, ${h}x${w}x${channels}`,
    },
    params: { type: 'kit_lut_params_t', name: id, fields: [{ name: 'table', value: `${id}_table` }] },
    arrays: [{ name: `${id}_table`, ctype: ctypeOf(outType), data: table.data!, comment: `[${channels}][256]: quantize((p / 255 - mean[c]) / std[c])`, kind: 'table', align: 4 }],
    notes: [`${thousands(h * w * channels)} table lookups; output zero point ${ctx.output.quant!.zeroPoint[0]}; no arithmetic`],
  };
}

export function lowerFlatten(ctx: LowerContext): LayerLowering {
  const name = ctx.node.name;
  const t = expect8bit(name, ctx.output, 'the output');
  if (ctx.inputs[0].dtype !== t) throw unsupported(name, 'changes the type');
  const count = ctx.output.shape[0];
  const base = {
    index: ctx.index,
    node: ctx.node,
    id: ctx.id,
    arrays: [],
    inputs: [ctx.node.inputs[0]],
    output: ctx.node.outputs[0],
    scratchBytes: 0,
  };
  if (ctx.aliasReshape) {
    return { ...base, summary: `flatten ${ctx.inputs[0].shape.join('x')} -> ${count}`, notes: ['no code: the output is the input\'s bytes (HWC order is the flattened order)'] };
  }
  return { ...base, kernel: copyKernel(count, t), summary: `flatten ${ctx.inputs[0].shape.join('x')} -> ${count} (copy)`, notes: [`${count} bytes copied`] };
}

/** The kernel of a flatten or reshape that is not an alias: `count` values copied as they are. */
export function copyKernel(count: number, t: DType): KernelSpec {
  return {
    template: 'reshape',
    key: JSON.stringify(['reshape', count, t]),
    baseName: `kit_reshape_${count}_${suffixOf(t)}`,
    signature: `const ${ctypeOf(t)} *input, ${ctypeOf(t)} *output`,
    ctx: { count },
    describe: `copy of ${count} values`,
  };
}
