/**
 * add: TFLite's quantized ADD. The per-input rescaling MBQM((q - z) << leftShift, m, s) is a function
 * of one 8-bit value, so it is tabulated here for all 256 values with the interpreter's own
 * fixed-point functions: the same integers the interpreter tabulates, stored in flash.
 */
import { addInputTable, type AddIntParams } from '../../ops/add.js';
import { activationSuffix, type Activation } from '../../ops/common/activation.js';
import { dtypeRange } from '../../quantize/schemes.js';
import { thousands } from '../c-format.js';
import { checkClamp, checkInt32, expect8bit, headroom, unsupported } from './checks.js';
import { ctypeOf, suffixOf, type LowerContext, type LayerLowering } from './types.js';

export function lowerAdd(ctx: LowerContext<{ activation: Activation }, AddIntParams>): LayerLowering {
  const name = ctx.node.name;
  const [a, b] = ctx.inputs;
  const outType = expect8bit(name, ctx.output, 'the output');
  const aType = expect8bit(name, a, 'input 1');
  const bType = expect8bit(name, b, 'input 2');
  // The interpreter indexes its tables over the output type's range: only equal types agree.
  if (aType !== outType || bType !== outType) throw unsupported(name, `mixes ${aType} and ${bType} inputs with a ${outType} output`);
  const p = ctx.intParams;
  checkClamp(name, p.activationMin, p.activationMax, ctx.output.dtype);
  const { qmin, qmax } = dtypeRange(outType);
  checkInt32(name, 'a shifted input', Math.max(qmax - qmin, 255) * 2 ** p.leftShift);
  const t1 = addInputTable(outType, a.quant!.zeroPoint[0], p.input1Multiplier, p.input1Shift, p.leftShift);
  const t2 = addInputTable(outType, b.quant!.zeroPoint[0], p.input2Multiplier, p.input2Shift, p.leftShift);
  const maxAbs = (t: Int32Array) => t.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const bound = maxAbs(t1) + maxAbs(t2);
  checkInt32(name, 'the sum of the rescaled inputs', bound, Math.max(0, p.outputShift));
  const count = ctx.output.shape.reduce((n, d) => n * d, 1);
  const fast = bound < 2 ** 30 && p.outputShift <= -1;
  // The sum is saturated to the output type (one SSAT/USAT); the activation's clamp costs compares
  // only where it is narrower than the type.
  const clampLo = p.activationMin > qmin;
  const clampHi = p.activationMax < qmax;
  const id = ctx.id;
  const sfx = suffixOf(outType);
  return {
    index: ctx.index,
    node: ctx.node,
    id,
    kernel: {
      template: 'add',
      key: JSON.stringify(['add', count, outType, fast, clampLo, clampHi]),
      baseName: `kit_add_${count}_${sfx}`,
      signature: `const kit_add_params_t *p, const ${ctypeOf(aType)} *input1, const ${ctypeOf(bType)} *input2, ${ctypeOf(outType)} *output`,
      ctx: { count, outType: ctypeOf(outType), signed1: aType === 'int8', signed2: bType === 'int8', fast, clampLo, clampHi, sat: outType === 'int8' ? 'kit_ssat8' : 'kit_usat8' },
      describe: `add of ${count} values`,
    },
    params: {
      type: 'kit_add_params_t',
      name: id,
      fields: [
        { name: 'input1_table', value: `${id}_table1` },
        { name: 'input2_table', value: `${id}_table2` },
        { name: 'output_multiplier', value: String(p.outputMultiplier) },
        { name: 'output_shift', value: String(p.outputShift) },
        { name: 'output_zero_point', value: String(ctx.output.quant!.zeroPoint[0]) },
        { name: 'activation_min', value: String(p.activationMin) },
        { name: 'activation_max', value: String(p.activationMax) },
      ],
    },
    arrays: [
      { name: `${id}_table1`, ctype: 'int32_t', data: t1, comment: `input 1 rescaled for q = ${qmin}..${qmax} (zero point ${a.quant!.zeroPoint[0]})`, kind: 'table', align: 4 },
      { name: `${id}_table2`, ctype: 'int32_t', data: t2, comment: `input 2 rescaled for q = ${qmin}..${qmax} (zero point ${b.quant!.zeroPoint[0]})`, kind: 'table', align: 4 },
    ],
    inputs: ctx.node.inputs.slice(0, 2),
    output: ctx.node.outputs[0],
    scratchBytes: 0,
    summary: `add ${ctx.output.shape.join('x')}${activationSuffix(ctx.attrs.activation)}`,
    notes: [
      `${thousands(count)} values; zero points ${a.quant!.zeroPoint[0]} + ${b.quant!.zeroPoint[0]} -> ${ctx.output.quant!.zeroPoint[0]}; clamp [${p.activationMin}, ${p.activationMax}]`,
      `overflow: |table1| + |table2| <= ${thousands(bound)} (${headroom(bound)}); requantization ${fast ? 'fast path' : 'general path'}`,
    ],
  };
}
