/** Checks lowering makes so that the C it emits can only compute what the interpreter computes. */
import { KitError } from '../../errors.js';
import type { DType, TensorSpec } from '../../ir/graph.js';
import { INT32_MAX } from '../../quantize/fixed-point.js';
import { dtypeRange } from '../../quantize/schemes.js';

export function unsupported(node: string, message: string, hint?: string): KitError {
  return new KitError('graph-unsupported', 'codegen', `${node}: ${message}`, hint ?? 'kit codegen handles graphs made by kit quantize');
}

/** An 8-bit activation tensor (int8 or uint8), or a KitError naming the node. */
export function expect8bit(node: string, t: TensorSpec, what: string): 'int8' | 'uint8' {
  if (t.dtype !== 'int8' && t.dtype !== 'uint8') throw unsupported(node, `${what} is ${t.dtype}, not int8 or uint8`);
  if (!t.quant) throw unsupported(node, `${what} has no quantization parameters`);
  return t.dtype;
}

/** The clamp of a node must lie inside its output type: the C stores it with a plain cast. */
export function checkClamp(node: string, min: number, max: number, dtype: DType): void {
  const { qmin, qmax } = dtypeRange(dtype as 'int8' | 'uint8');
  if (!(qmin <= min && min <= max && max <= qmax)) {
    throw unsupported(node, `activation clamp [${min}, ${max}] is not inside ${dtype} [${qmin}, ${qmax}]`);
  }
}

/**
 * Refuse an int32 intermediate that could overflow: `bound` is the largest magnitude the C code can
 * reach, `leftShift` the requantization's shift applied to it afterwards.
 */
export function checkInt32(node: string, what: string, bound: number, leftShift = 0): void {
  if (bound * 2 ** leftShift > INT32_MAX) {
    throw new KitError(
      'accumulator-overflow',
      'codegen',
      `${node}: ${what} could reach ${bound}${leftShift > 0 ? ` shifted left by ${leftShift}` : ''}, which overflows int32`,
      'the layer is too deep or its weights too large for 8-bit kernels',
    );
  }
}

/** "2^20.8, 10.2 bits of headroom" for a bound, in comments. */
export function headroom(bound: number): string {
  if (bound <= 0) return 'no accumulation';
  const bits = Math.log2(bound);
  return `2^${bits.toFixed(1)}, ${(31 - bits).toFixed(1)} bits of headroom below 2^31`;
}
