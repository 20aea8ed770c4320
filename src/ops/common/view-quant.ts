import { KitError } from '../../errors.js';
import type { TensorSpec } from '../../ir/graph.js';
import type { AffineParams } from '../../quantize/qparams.js';
import { dtypeRange, type IntDType } from '../../quantize/schemes.js';

/** The per-tensor (scale, zero point) of an 8-bit activation tensor, or a KitError naming the node. */
export function tensorQuant(node: string, t: TensorSpec, what: string): AffineParams & { qmin: number; qmax: number } {
  if ((t.dtype !== 'int8' && t.dtype !== 'uint8') || !t.quant) {
    throw new KitError('graph-unsupported', 'quantize', `${node}: ${what} is not a quantized int8/uint8 tensor`, 'kit runs 8-bit quantized graphs');
  }
  if (t.quant.scale.length !== 1) throw new KitError('graph-unsupported', 'quantize', `${node}: ${what} is quantized per channel`, 'activations need one scale and zero point');
  return { scale: t.quant.scale[0], zeroPoint: t.quant.zeroPoint[0], ...dtypeRange(t.dtype as IntDType) };
}
