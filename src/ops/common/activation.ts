import { z } from 'zod';
import type { AffineParams } from '../../quantize/qparams.js';
import { clamp } from '../../quantize/fixed-point.js';

/** A fused activation: ReLU layers after conv/dense/add become this attribute. */
export const activationSchema = z.enum(['none', 'relu']);
export type Activation = z.infer<typeof activationSchema>;

/** Float activation, applied in place to a float kernel's output. */
export function applyFloatActivation(activation: Activation, data: Float32Array): void {
  if (activation === 'relu') for (let i = 0; i < data.length; i++) if (data[i] < 0) data[i] = 0;
}

/**
 * The integer output range of a fused activation (TFLite's CalculateActivationRangeQuantized): a
 * fused ReLU is just a clamp at the quantized value of real 0, which is the output zero point.
 */
export function activationRange(activation: Activation, out: AffineParams, qmin: number, qmax: number): { min: number; max: number } {
  if (activation === 'relu') return { min: clamp(out.zeroPoint, qmin, qmax), max: qmax };
  return { min: qmin, max: qmax };
}
