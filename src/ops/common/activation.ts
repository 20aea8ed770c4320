import { z } from 'zod';
import type { AffineParams } from '../../quantize/qparams.js';
import { clamp, roundHalfAwayFromZero } from '../../quantize/fixed-point.js';

/**
 * A fused activation (TFLite's fused_activation_function): a ReLU layer after conv/dense/add becomes
 * 'relu'; imported models also bring RELU6 and RELU_N1_TO_1.
 */
export const activationSchema = z.enum(['none', 'relu', 'relu6', 'relu_n1_to_1']);
export type Activation = z.infer<typeof activationSchema>;

/** The real interval an activation clamps to. */
function realRange(activation: Activation): { min: number; max: number } {
  switch (activation) {
    case 'relu': return { min: 0, max: Infinity };
    case 'relu6': return { min: 0, max: 6 };
    case 'relu_n1_to_1': return { min: -1, max: 1 };
    default: return { min: -Infinity, max: Infinity };
  }
}

/** Float activation, applied in place to a float kernel's output. */
export function applyFloatActivation(activation: Activation, data: Float32Array): void {
  if (activation === 'none') return;
  const { min, max } = realRange(activation);
  for (let i = 0; i < data.length; i++) data[i] = data[i] < min ? min : data[i] > max ? max : data[i];
}

/**
 * The integer output range of a fused activation, TFLite's CalculateActivationRangeQuantized: the
 * real bounds quantized with the output's parameters as TFLite does it, in float32
 * (zero_point + round(f / scale), ties away from zero), then intersected with [qmin, qmax]. A fused
 * ReLU is the clamp at the output zero point.
 */
export function activationRange(activation: Activation, out: AffineParams, qmin: number, qmax: number): { min: number; max: number } {
  const { min, max } = realRange(activation);
  const scale = Math.fround(out.scale);
  const quantize = (f: number) => out.zeroPoint + roundHalfAwayFromZero(Math.fround(f / scale));
  return {
    min: min === -Infinity ? qmin : clamp(quantize(min), qmin, qmax),
    max: max === Infinity ? qmax : clamp(quantize(max), qmin, qmax),
  };
}

/** ", relu6" for summaries; empty without an activation. */
export function activationSuffix(activation: Activation | undefined): string {
  return activation && activation !== 'none' ? `, ${activation}` : '';
}
