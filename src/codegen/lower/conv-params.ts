/** kit_conv_params_t (runtime header) as conv2d, dense and depthwise conv2d fill it. */
import type { ParamsStruct } from './types.js';

export interface ConvParamsValues {
  /** The layer's id: its arrays are `<id>_weights`, `<id>_bias`, ... */
  id: string;
  /** Whether `<id>_bias` is int16 (requant-arrays.ts: biasFitsInt16), else int32. */
  bias16: boolean;
  /** Whether `<id>_weight_zero_point` exists (else the field is 0). */
  weightZeroPoint: boolean;
  inputZeroPoint: number;
  outputZeroPoint: number;
  activationMin: number;
  activationMax: number;
}

export function convParams(v: ConvParamsValues): ParamsStruct {
  const { id } = v;
  return {
    type: 'kit_conv_params_t',
    name: id,
    fields: [
      { name: 'weights', value: `${id}_weights` },
      { name: 'bias', value: `${id}_bias` },
      { name: 'multiplier', value: `${id}_multiplier` },
      { name: 'shift', value: `${id}_shift` },
      { name: 'weight_zero_point', value: v.weightZeroPoint ? `${id}_weight_zero_point` : '0' },
      { name: 'input_zero_point', value: String(v.inputZeroPoint) },
      { name: 'output_zero_point', value: String(v.outputZeroPoint) },
      { name: 'activation_min', value: String(v.activationMin) },
      { name: 'activation_max', value: String(v.activationMax) },
      { name: 'bias16', value: v.bias16 ? '1' : '0' },
    ],
  };
}
