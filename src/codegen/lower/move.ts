/** normalize_input (a table lookup per pixel) and flatten (normally no code: an alias; else a copy, as reshape's). */
import { thousands } from '../c-format.js';
import { expect8bit, unsupported } from './checks.js';
import type { DType } from '../../ir/graph.js';
import { ctypeOf, suffixOf, type KernelSpec, type LowerContext, type LoweredLayer } from './types.js';

export function lowerNormalizeInput(ctx: LowerContext): LoweredLayer {
  const name = ctx.node.name;
  const x = ctx.inputs[0];
  if (x.dtype !== 'uint8') throw unsupported(name, `reads ${x.dtype} pixels; the device sends uint8`);
  if (!ctx.graph.inputs.includes(ctx.node.inputs[0])) throw unsupported(name, 'normalize_input must read the graph input');
  const outType = expect8bit(name, ctx.output, 'the output');
  const table = ctx.params[0];
  const [h, w, channels] = x.shape;
  if (table.dtype !== outType || table.shape[0] !== channels || table.shape[1] !== 256) throw unsupported(name, 'its table is not [channels][256] of the output type');
  const id = ctx.id;
  return {
    index: ctx.index,
    node: ctx.node,
    id,
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
    inputs: [ctx.node.inputs[0]],
    output: ctx.node.outputs[0],
    scratchBytes: 0,
    summary: `normalize_input ${h}x${w}x${channels} pixels -> ${outType}`,
    notes: [`${thousands(h * w * channels)} table lookups; output zero point ${ctx.output.quant!.zeroPoint[0]}; no arithmetic`],
    macs: 0,
  };
}

export function lowerFlatten(ctx: LowerContext): LoweredLayer {
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
    macs: 0,
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
