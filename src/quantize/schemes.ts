import { KitError } from '../errors.js';

/** The integer types a quantized tensor can have. */
export type IntDType = 'uint8' | 'int8';

export type SchemeName = 'uint8' | 'int8';
export const SCHEME_NAMES: readonly SchemeName[] = ['uint8', 'int8'];

/**
 * A quantization scheme: which integer type and range activations and weights use, and whether
 * weights get one scale per output channel.
 *
 * - uint8: Jacob et al. 2018 (gemmlowp, TFLite's first integer path): everything asymmetric uint8
 *   per tensor, with zero points on weights and activations.
 * - int8: the TFLite int8 spec that CMSIS-NN implements: symmetric int8 weights in [-127, 127] with
 *   zero point 0 (per output channel for conv2d, per tensor for dense as TFLite's fully connected),
 *   asymmetric int8 activations per tensor.
 * Both use int32 biases with scale input_scale * weight_scale and zero point 0.
 */
export interface Scheme {
  name: SchemeName;
  bits: 8;
  activation: { dtype: IntDType; qmin: number; qmax: number };
  weight: { dtype: IntDType; qmin: number; qmax: number; symmetric: boolean; perChannel: boolean };
}

export const UINT8: Scheme = {
  name: 'uint8',
  bits: 8,
  activation: { dtype: 'uint8', qmin: 0, qmax: 255 },
  weight: { dtype: 'uint8', qmin: 0, qmax: 255, symmetric: false, perChannel: false },
};

export const INT8: Scheme = {
  name: 'int8',
  bits: 8,
  activation: { dtype: 'int8', qmin: -128, qmax: 127 },
  // -128 is left out so that the weight range is symmetric around the zero point 0 (TFLite spec).
  weight: { dtype: 'int8', qmin: -127, qmax: 127, symmetric: true, perChannel: true },
};

/** Resolve the CLI's --scheme and --bits to a scheme, refusing what kit cannot do yet. */
export function getScheme(name: string, bits = 8): Scheme {
  if (bits !== 8) {
    throw new KitError('bits-unsupported', 'quantize', `${bits}-bit quantization is not supported yet`, 'use --bits 8');
  }
  if (name === 'uint8') return UINT8;
  if (name === 'int8') return INT8;
  throw new KitError('scheme-unknown', 'quantize', `unknown quantization scheme '${name}'`, `use one of: ${SCHEME_NAMES.join(', ')}`);
}

/** The range of an integer dtype. */
export function dtypeRange(dtype: IntDType): { qmin: number; qmax: number } {
  return dtype === 'uint8' ? { qmin: 0, qmax: 255 } : { qmin: -128, qmax: 127 };
}
