/**
 * The per-output-channel constants of kit_conv_params_t (conv2d, dense, depthwise conv2d, and the
 * parts of a fused block), laid out once for every op that uses them: weights.inc emits these arrays
 * and sizes.ts counts their bytes (arrayBytes), so the report and the firmware cannot disagree.
 *
 * Shifts are int8 (they are in -31..30); a bias is int16 when every channel's fits (kit_bias reads
 * either), else int32; multiplier and weight zero point int32. With the
 * kernels cloned per layer (model.c is one translation unit) int8 shifts cost no instruction on
 * ResNet-8 (qemu-cortex-m4) and save 1,008 B; before, as a second index register next to the
 * bias's byte offset, they cost 0.4 %. int16 weight zero points (uint8) measured 0.45 % for 0.7 KiB,
 * before the cloning.
 *
 * Per-tensor requantization (the uint8 scheme: one weight scale and zero point per layer) makes the
 * multiplier, shift and weight zero point the same for every channel: with `perTensor` they are
 * stored once, and the kernels read element 0 (kit_q_<variant> in kit_runtime.h, a constant index).
 */
import { KitError } from '../../errors.js';
import type { CArray } from './types.js';

export interface RequantValues {
  bias: Int32Array;
  multiplier: ArrayLike<number>;
  shift: ArrayLike<number>;
  /** Absent when every weight zero point is 0. */
  weightZeroPoint?: ArrayLike<number>;
}

const uniform = (v: ArrayLike<number>) => Array.prototype.every.call(v, (x: number) => x === v[0]);

/** Whether the layer's bias is stored as int16 (every value fits): kit_conv_params_t's bias16. */
export const biasFitsInt16 = (bias: ArrayLike<number>) => Array.prototype.every.call(bias, (v: number) => v >= -32768 && v <= 32767);

/** Whether multiplier, shift and weight zero point are each one value for all channels. */
export function isPerTensor(p: RequantValues): boolean {
  return p.multiplier.length > 1 && uniform(p.multiplier) && uniform(p.shift) && (!p.weightZeroPoint || uniform(p.weightZeroPoint));
}

/** bias, multiplier, shift and (when any is non-zero) weight zero points of layer `id`; the last three once with `perTensor`. */
export function requantArrays(id: string, p: RequantValues, perTensor = false): CArray[] {
  if (Array.prototype.some.call(p.shift, (v: number) => v < -128 || v > 127)) throw new KitError('graph-unsupported', 'codegen', `${id}: a requantization shift outside the int8 range`);
  const one = (v: ArrayLike<number>) => (perTensor ? [v[0]] : v);
  const each = perTensor ? ', the same for every channel (stored once)' : '';
  const arrays: CArray[] = [
    biasFitsInt16(p.bias)
      ? { name: `${id}_bias`, ctype: 'int16_t', data: p.bias, comment: 'bias (every value fits int16), scale input_scale * weight_scale[c]', kind: 'bias', align: 4 }
      : { name: `${id}_bias`, ctype: 'int32_t', data: p.bias, comment: 'int32 bias, scale input_scale * weight_scale[c]', kind: 'bias', align: 4 },
    { name: `${id}_multiplier`, ctype: 'int32_t', data: one(p.multiplier), comment: `Q31 requantization multipliers${each}`, kind: 'requant', align: 4 },
    { name: `${id}_shift`, ctype: 'int8_t', data: one(p.shift), comment: `requantization shifts (> 0: left)${each}`, kind: 'requant', align: 4 },
  ];
  if (p.weightZeroPoint) arrays.push({ name: `${id}_weight_zero_point`, ctype: 'int32_t', data: one(p.weightZeroPoint), comment: `weight zero points${each}`, kind: 'requant', align: 4 });
  return arrays;
}
