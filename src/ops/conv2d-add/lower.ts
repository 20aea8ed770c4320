/**
 * conv2d_add to C: the parts are lowered by the lowerings of the ops they were (conv2d twice, add),
 * so weights, requantization, tables and every int32 check are exactly theirs; this file only puts
 * them into one parameter struct and one kernel (templates/kernels/conv2d_add.c.hbs), which runs
 * both convolutions on the conv2d kernel's row buffers and the add in their requantization epilogue.
 */
import { lowerAdd } from '../../codegen/lower/add.js';
import { checkInt32, unsupported } from '../../codegen/lower/checks.js';
import { lowerConv2d } from '../../codegen/lower/conv.js';
import { ctypeOf, suffixOf, type CArray, type LowerContext, type LayerLowering, type ParamsStruct } from '../../codegen/lower/types.js';
import { dtypeRange } from '../../quantize/schemes.js';
import { add } from '../add.js';
import { conv2d } from '../conv2d.js';
import { partsOf, type Conv2dAddAttrs, type Conv2dAddIntParams } from './index.js';
import { conv2dAddScratch, PIXELS_PER_STEP, type RowBufferShape } from './scratch.js';

const DECL = `/* conv2d_add: a residual block's second convolution, its shortcut and the add, as one kernel. */
typedef struct {
    kit_conv_params_t conv;     /* the main convolution */
    kit_conv_params_t shortcut; /* the 1x1 shortcut convolution (all zero for the identity shortcut) */
    kit_add_params_t add;       /* the add: the inputs' tables doubled (kit_residual_t; NULL where the rescaling is a shift), the output requantization and clamp */
} kit_conv2d_add_params_t;`;

/** A struct's fields as a nested designated initializer. */
const nested = (s: ParamsStruct) => `{\n${s.fields.map((f) => `        .${f.name} = ${f.value},`).join('\n')}\n    }`;

/** The add's rescaling of one input is exactly (q - z) << 19 (multiplier 2^30, shift 0), checked for every q. */
const SHIFT = 19;
function isShift(table: ArrayLike<number>, qmin: number, zeroPoint: number): boolean {
  for (let i = 0; i < 256; i++) if (table[i] !== (qmin + i - zeroPoint) * 2 ** SHIFT) return false;
  return true;
}

/**
 * A doubled table D (index u = q - qmin) as base + q step + 2 deltas[u] with uint8 deltas, when that
 * is exact for every u and no int32 step of the kernel's sum can overflow; else null (the int32
 * table stays). The rescaling is nearly linear in q: its steps differ by at most a few units from
 * the mean step, so what is left after the line takes one byte.
 */
export function compressTable(table: ArrayLike<number>, qmin: number): { base: number; step: number; deltas: Uint8Array } | null {
  const half = Array.from(table, (v) => (v - table[0]) / 2);
  if (half.some((h) => !Number.isInteger(h))) return null;
  const slope = Math.floor(half[255] / 255);
  const rest = half.map((h, u) => h - u * slope);
  const low = Math.min(...rest);
  const deltas = Uint8Array.from(rest, (r) => r - low);
  if (rest.some((r) => r - low > 255)) return null;
  const step = 2 * slope;
  const base = table[0] + 2 * low - qmin * step;
  const int32 = (v: number) => v >= -(2 ** 31) && v < 2 ** 31;
  for (let u = 0; u < 256; u++) {
    const q = qmin + u;
    const line = base + q * step;
    if (![base, step, q * step, line].every(int32) || line + 2 * deltas[u] !== table[u]) return null;
  }
  return { base, step, deltas };
}

type Ctx = Record<string, number | string | boolean>;
const rowShape = (c: Ctx): RowBufferShape => ({ kH: c.kH as number, rowW: c.rowW as number, cp: c.cp as number, weightZeroPoint: c.weightZeroPoint as boolean });

export function lowerConv2dAdd(ctx: LowerContext<Conv2dAddAttrs, Conv2dAddIntParams>): LayerLowering {
  const name = ctx.node.name;
  const parts = partsOf(ctx, ctx.intParams);
  const base = { graph: ctx.graph, index: ctx.index, aliasReshape: ctx.aliasReshape };
  const conv = lowerConv2d({ ...parts.conv, ...base, op: conv2d, intParams: ctx.intParams.conv, id: `${ctx.id}_conv` });
  const shortcut = parts.shortcut && lowerConv2d({ ...parts.shortcut, ...base, op: conv2d, intParams: ctx.intParams.shortcut!, id: `${ctx.id}_shortcut` });
  const sum = lowerAdd({ ...parts.add, ...base, op: add, intParams: ctx.intParams.add, id: `${ctx.id}_add` });
  const c = conv.kernel!.ctx as Ctx;
  const s = shortcut?.kernel!.ctx as Ctx | undefined;
  if (s && (s.kH !== 1 || s.kW !== 1 || s.padTop !== 0 || s.padLeft !== 0)) throw unsupported(name, 'the shortcut is not an unpadded 1x1 convolution');
  const outType = ctx.output.dtype;
  const inType = ctx.inputs[0].dtype;
  const blockType = ctx.inputs[1].dtype;
  if (inType !== outType || blockType !== outType) throw unsupported(name, 'mixes int8 and uint8 tensors');
  const outC = c.outC as number;
  const scratch = conv2dAddScratch(rowShape(c), s ? rowShape(s) : null, outC);

  // Which add input is which, and where a table is only a shift (then it is not stored). The
  // kernel sums twice the rescaled values (kit_residual_*: SMMULR takes 2 sum): the stored tables are
  // doubled, and a shifted input's -z << 20 goes into the other input's table, else into `offset`.
  const { qmin } = dtypeRange(outType as 'int8' | 'uint8');
  const zp = (i: number) => parts.add.inputs[i].quant!.zeroPoint[0];
  const convIndex = ctx.attrs.convFirst ? 0 : 1;
  const tables = sum.arrays.map((a) => a.data);
  const shifted = [isShift(tables[0], qmin, zp(0)), isShift(tables[1], qmin, zp(1))];
  let offset = shifted.reduce((k, sh, i) => k - (sh ? zp(i) * 2 ** (SHIFT + 1) : 0), 0);
  const addArrays: CArray[] = [];
  const addFields = [...sum.params!.fields];
  // Per input: the stored table's field, int32 or compressed to uint8 deltas (compressTable).
  const stored = [{ table: '', deltas: '', base: 0, step: 0 }, { table: '', deltas: '', base: 0, step: 0 }];
  // The conv's table takes the offset first (index order: the conv's input, then the shortcut's).
  for (const i of [convIndex, 1 - convIndex]) {
    const field = i === 0 ? 'input1_table' : 'input2_table';
    const at = addFields.findIndex((f) => f.name === field);
    if (shifted[i]) {
      addFields[at] = { name: field, value: '0' };
      continue;
    }
    const doubled = Int32Array.from(tables[i], (v) => 2 * v + offset);
    const comment = `${sum.arrays[i].comment}, doubled${offset ? `, ${offset} added (the other input's zero point)` : ''}`;
    offset = 0;
    const packed = compressTable(doubled, qmin);
    if (packed) {
      stored[i] = { table: '', deltas: field, base: packed.base, step: packed.step };
      addArrays.push({ ...sum.arrays[i], ctype: 'uint8_t', data: packed.deltas, comment: `${comment}: ${packed.base} + q * ${packed.step} + 2 * delta` });
    } else {
      stored[i] = { table: field, deltas: '', base: 0, step: 0 };
      addArrays.push({ ...sum.arrays[i], data: doubled, comment });
    }
  }
  // Every partial sum of the doubled terms: each is at most 2 max|rescaled| plus the folded zero points.
  const maxAbs = (t: ArrayLike<number>) => Array.from(t).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  checkInt32(name, 'twice the sum of the rescaled inputs', 2 * (maxAbs(tables[0]) + maxAbs(tables[1])) + 2 ** (SHIFT + 1) * (Math.abs(zp(0)) + Math.abs(zp(1))));
  const a = sum.kernel!.ctx as { fast: boolean; clampLo: boolean; clampHi: boolean };
  const residual = {
    convTable: stored[convIndex].table,
    convDeltas: stored[convIndex].deltas,
    convBase: stored[convIndex].base,
    convStep: stored[convIndex].step,
    shortcutTable: stored[1 - convIndex].table,
    shortcutDeltas: stored[1 - convIndex].deltas,
    shortcutBase: stored[1 - convIndex].base,
    shortcutStep: stored[1 - convIndex].step,
    convShifted: shifted[convIndex],
    shortcutShifted: shifted[1 - convIndex],
    offset,
    fast: a.fast,
    foldZeroPoint: a.fast && ctx.intParams.add.outputShift >= -20,
    clampLo: a.clampLo,
    clampHi: a.clampHi,
  };
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
      key: JSON.stringify(['conv2d_add', conv.kernel!.key, shortcut?.kernel!.key ?? null, sum.kernel!.key, residual]),
      baseName: `kit_conv2d_add_${geometry}_${shortName}${c.weightZeroPoint || s?.weightZeroPoint ? '_zw' : ''}_${suffixOf(outType)}`,
      signature: `const kit_conv2d_add_params_t *p, const ${t} *input, const ${t} *shortcut_input, ${t} *output`,
      ctx: {
        conv: c,
        shortcut: s ?? false,
        residual,
        scratch,
        outType: t,
        outC,
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
        { name: 'add', value: nested({ ...sum.params!, fields: addFields }) },
      ],
    },
    arrays: [...conv.arrays, ...(shortcut?.arrays ?? []), ...addArrays],
    inputs: ctx.node.inputs.slice(0, 2),
    output: ctx.node.outputs[0],
    scratchBytes: scratch.bytes,
    summary: `${fused} fused: ${conv.summary}; ${shortcut ? shortcut.summary.replace(/^conv2d/, 'shortcut conv2d') : 'identity shortcut'}; ${sum.summary}`,
    notes: [
      ...conv.notes.map((n) => `conv: ${n}`),
      ...(shortcut?.notes.map((n) => `shortcut: ${n}`) ?? []),
      ...sum.notes.map((n) => `add: ${n}`),
      `add: ${['conv', 'shortcut'].filter((_, i) => (i === 0 ? residual.convShifted : residual.shortcutShifted)).map((w) => `the ${w} side's rescaling is (q - z) << ${SHIFT}, no table`).join('; ') || 'both sides tabulated'}`,
      `the conv${shortcut ? ' and shortcut' : ''} values go through the add in the requantization epilogue, ${PIXELS_PER_STEP} pixels at a time (never stored in the arena)`,
    ],
  };
}
