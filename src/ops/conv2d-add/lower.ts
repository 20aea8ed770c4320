/**
 * conv2d_add to C: the parts are lowered by the lowerings of the ops they were (conv2d twice, add),
 * so weights, requantization, tables and every int32 check are exactly theirs; this file only puts
 * them into one parameter struct and one kernel (templates/kernels/conv2d_add.c.hbs).
 */
import { lowerAdd } from '../../codegen/lower/add.js';
import { unsupported } from '../../codegen/lower/checks.js';
import { lowerConv2d } from '../../codegen/lower/conv.js';
import { ctypeOf, suffixOf, type LowerContext, type LoweredLayer, type ParamsStruct } from '../../codegen/lower/types.js';
import { add } from '../add.js';
import { conv2d } from '../conv2d.js';
import { PIXELS_PER_STEP } from './in-place.js';
import { partsOf, type Conv2dAddAttrs, type Conv2dAddIntParams } from './index.js';

const DECL = `/* conv2d_add: a residual block's second convolution, its shortcut and the add, as one kernel. */
typedef struct {
    kit_conv_params_t conv;     /* the main convolution */
    kit_conv_params_t shortcut; /* the 1x1 shortcut convolution (all zero for the identity shortcut) */
    kit_add_params_t add;       /* the add: both inputs' tables, the output requantization and clamp */
} kit_conv2d_add_params_t;`;

/** A struct's fields as a nested designated initializer. */
const nested = (s: ParamsStruct) => `{\n${s.fields.map((f) => `        .${f.name} = ${f.value},`).join('\n')}\n    }`;

export function lowerConv2dAdd(ctx: LowerContext<Conv2dAddAttrs, Conv2dAddIntParams>): LoweredLayer {
  const name = ctx.node.name;
  const parts = partsOf(ctx, ctx.intParams);
  const base = { graph: ctx.graph, index: ctx.index, aliasReshape: ctx.aliasReshape };
  const conv = lowerConv2d({ ...parts.conv, ...base, op: conv2d, intParams: ctx.intParams.conv, id: `${ctx.id}_conv` }, { im2col: true });
  const shortcut = parts.shortcut && lowerConv2d({ ...parts.shortcut, ...base, op: conv2d, intParams: ctx.intParams.shortcut!, id: `${ctx.id}_shortcut` }, { im2col: true });
  const sum = lowerAdd({ ...parts.add, ...base, op: add, intParams: ctx.intParams.add, id: `${ctx.id}_add` });
  const c = conv.kernel!.ctx as Record<string, number | string | boolean>;
  const s = shortcut?.kernel!.ctx as Record<string, number | string | boolean> | undefined;
  if (s && (s.kH !== 1 || s.kW !== 1 || s.padTop !== 0 || s.padLeft !== 0)) throw unsupported(name, 'the shortcut is not an unpadded 1x1 convolution');
  const outType = ctx.output.dtype;
  const inType = ctx.inputs[0].dtype;
  const blockType = ctx.inputs[1].dtype;
  if (inType !== outType || blockType !== outType) throw unsupported(name, 'mixes int8 and uint8 tensors');
  const a = sum.kernel!.ctx as { fast: boolean; signed1: boolean; signed2: boolean };
  const pixels = (c.outH as number) * (c.outW as number);
  const outC = c.outC as number;
  const depth4s = s ? (s.depth4 as number) : 0;
  // Scratch: two columns of each convolution (int16), then two pixels of each 8-bit result.
  const scratchBytes = PIXELS_PER_STEP * ((c.depth4 as number) + depth4s) * 2 + PIXELS_PER_STEP * outC * (s ? 2 : 1);
  const id = ctx.id;
  const geometry = `${c.kH}x${c.kW}s${c.strideH}${c.strideW !== c.strideH ? `x${c.strideW}` : ''}_${c.inH}x${c.inW}x${c.inC}_${outC}`;
  const shortName = s ? `1x1s${s.strideH}${s.strideW !== s.strideH ? `x${s.strideW}` : ''}_${s.inC}` : 'id';
  const t = ctypeOf(outType);
  const fused = ctx.attrs.fused.join(' + ');
  return {
    index: ctx.index,
    node: ctx.node,
    id,
    kernel: {
      template: 'conv2d_add',
      key: JSON.stringify(['conv2d_add', conv.kernel!.key, shortcut?.kernel!.key ?? null, sum.kernel!.key, ctx.attrs.convFirst]),
      baseName: `kit_conv2d_add_${geometry}_${shortName}${c.weightZeroPoint || s?.weightZeroPoint ? '_zw' : ''}_${suffixOf(outType)}`,
      signature: `const kit_conv2d_add_params_t *p, const ${t} *input, const ${t} *shortcut_input, ${t} *output`,
      ctx: {
        conv: { ...c, inType: t },
        shortcut: s ? { ...s, inType: t } : false,
        add: a,
        outType: t,
        outC,
        pixels,
        oddPixels: pixels % 2 === 1,
        convTable: ctx.attrs.convFirst ? 'input1_table' : 'input2_table',
        shortcutTable: ctx.attrs.convFirst ? 'input2_table' : 'input1_table',
        signed: outType === 'int8',
        // The runtime's conv helpers (widen, matmul) this kernel calls, for render.ts.
        convParts: s ? [c, s] : [c],
      },
      describe: `${conv.kernel!.describe}, + ${s ? `1x1 stride ${s.strideH}x${s.strideW} shortcut of ${s.inH}x${s.inW}x${s.inC}` : 'identity shortcut'}, add`,
    },
    params: {
      type: 'kit_conv2d_add_params_t',
      decl: DECL,
      name: id,
      // Both kit_conv_params_t (the shortcut's is there, zero, for the identity too) and the add's: all words.
      bytes: 4 * (2 * conv.params!.fields.length + sum.params!.fields.length),
      fields: [
        { name: 'conv', value: nested(conv.params!) },
        ...(shortcut ? [{ name: 'shortcut', value: nested(shortcut.params!) }] : []),
        { name: 'add', value: nested(sum.params!) },
      ],
    },
    arrays: [...conv.arrays, ...(shortcut?.arrays ?? []), ...sum.arrays],
    inputs: ctx.node.inputs.slice(0, 2),
    output: ctx.node.outputs[0],
    scratchBytes,
    summary: `${fused} fused: ${conv.summary}; ${shortcut ? shortcut.summary.replace(/^conv2d/, 'shortcut conv2d') : 'identity shortcut'}; ${sum.summary}`,
    notes: [
      ...conv.notes.map((n) => `conv: ${n}`),
      ...(shortcut?.notes.map((n) => `shortcut: ${n}`) ?? []),
      ...sum.notes.map((n) => `add: ${n}`),
      `the conv${shortcut ? ' and shortcut' : ''} outputs of ${PIXELS_PER_STEP} pixels at a time stay in scratch (never stored in the arena)`,
    ],
    macs: conv.macs + (shortcut?.macs ?? 0),
  };
}
