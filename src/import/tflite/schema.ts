/**
 * The parts of TFLite's flatbuffer schema (tensorflow/lite/schema/schema.fbs) that kit reads and
 * writes, as plain data: enum values, and for each table the slot (field id, in declaration order;
 * a union takes two slots, its type then its value) and type of every field kit uses. The reader
 * and the writer both work from these tables, so a field id is written down once.
 */

/** `file_identifier "TFL3"`: bytes 4..8 of every TFLite file. */
export const FILE_IDENTIFIER = 'TFL3';
/** Model.version that current converters write. */
export const SCHEMA_VERSION = 3;

/** enum TensorType : byte */
export const TensorType = {
  FLOAT32: 0,
  FLOAT16: 1,
  INT32: 2,
  UINT8: 3,
  INT64: 4,
  STRING: 5,
  BOOL: 6,
  INT16: 7,
  COMPLEX64: 8,
  INT8: 9,
  FLOAT64: 10,
} as const;

export function tensorTypeName(type: number): string {
  for (const [name, v] of Object.entries(TensorType)) if (v === type) return name.toLowerCase();
  return `type ${type}`;
}

/** enum BuiltinOperator : int32 (the ones kit names in messages or handles). */
export const BuiltinOperator = {
  ADD: 0,
  AVERAGE_POOL_2D: 1,
  CONCATENATION: 2,
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 4,
  DEQUANTIZE: 6,
  FULLY_CONNECTED: 9,
  LOGISTIC: 14,
  MAX_POOL_2D: 17,
  MUL: 18,
  RELU: 19,
  RELU6: 21,
  RESHAPE: 22,
  SOFTMAX: 25,
  TANH: 28,
  CUSTOM: 32,
  PAD: 34,
  TRANSPOSE: 39,
  MEAN: 40,
  SUB: 41,
  SQUEEZE: 43,
  STRIDED_SLICE: 45,
  PADV2: 60,
  QUANTIZE: 114,
  HARD_SWISH: 117,
} as const;

/** Values below this are also stored in OperatorCode.deprecated_builtin_code (a byte). */
export const PLACEHOLDER_FOR_GREATER_OP_CODES = 127;

export function builtinName(code: number): string {
  for (const [name, v] of Object.entries(BuiltinOperator)) if (v === code) return name;
  return `builtin op ${code}`;
}

/** enum Padding : byte */
export const Padding = { SAME: 0, VALID: 1 } as const;

/** enum ActivationFunctionType : byte */
export const Activation = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3, TANH: 4, SIGN_BIT: 5 } as const;

/** Scalar field types of the tables below. */
export type FieldType = 'bool' | 'byte' | 'ubyte' | 'int' | 'uint' | 'float' | 'int[]' | 'long[]' | 'float[]';

export interface FieldLayout {
  slot: number;
  type: FieldType;
  /** The schema's default (fields equal to it may be absent from the file). */
  default?: number;
}

export type TableLayout = Record<string, FieldLayout>;

/** table Tensor */
export const TENSOR = {
  shape: { slot: 0, type: 'int[]' },
  type: { slot: 1, type: 'byte' },
  buffer: { slot: 2, type: 'uint' },
  name: { slot: 3 },
  quantization: { slot: 4 },
  isVariable: { slot: 5, type: 'bool' },
  sparsity: { slot: 6 },
  shapeSignature: { slot: 7, type: 'int[]' },
} as const;

/** table QuantizationParameters (details is a union: slots 4 and 5) */
export const QUANTIZATION = {
  min: { slot: 0, type: 'float[]' },
  max: { slot: 1, type: 'float[]' },
  scale: { slot: 2, type: 'float[]' },
  zeroPoint: { slot: 3, type: 'long[]' },
  detailsType: { slot: 4, type: 'ubyte' },
  quantizedDimension: { slot: 6, type: 'int' },
} as const;

/** table OperatorCode */
export const OPERATOR_CODE = {
  deprecatedBuiltinCode: { slot: 0, type: 'byte' },
  customCode: { slot: 1 },
  version: { slot: 2, type: 'int', default: 1 },
  builtinCode: { slot: 3, type: 'int' },
} as const;

/** table Operator (builtin_options is a union: slots 3 and 4) */
export const OPERATOR = {
  opcodeIndex: { slot: 0, type: 'uint' },
  inputs: { slot: 1, type: 'int[]' },
  outputs: { slot: 2, type: 'int[]' },
  builtinOptionsType: { slot: 3, type: 'ubyte' },
  builtinOptions: { slot: 4 },
} as const;

/** table SubGraph */
export const SUBGRAPH = {
  tensors: { slot: 0 },
  inputs: { slot: 1, type: 'int[]' },
  outputs: { slot: 2, type: 'int[]' },
  operators: { slot: 3 },
  name: { slot: 4 },
} as const;

/** table Buffer */
export const BUFFER = {
  data: { slot: 0 },
  offset: { slot: 1 },
  size: { slot: 2 },
} as const;

/** table Model */
export const MODEL = {
  version: { slot: 0, type: 'uint' },
  operatorCodes: { slot: 1 },
  subgraphs: { slot: 2 },
  description: { slot: 3 },
  buffers: { slot: 4 },
  metadata: { slot: 6 },
} as const;

/** table Metadata: a named buffer, e.g. "TFLITE_METADATA" (the model's description, below). */
export const METADATA = {
  name: { slot: 0 },
  buffer: { slot: 1, type: 'uint' },
} as const;

/**
 * The TFLite Metadata schema (tensorflow/lite/experimental/support/metadata/metadata_schema.fbs,
 * file identifier "M001"), stored in the buffer that Model.metadata names "TFLITE_METADATA": kit
 * reads the input's NormalizationOptions, x = (pixel - mean[c]) / std[c] on raw pixel values.
 */
export const TFLITE_METADATA_NAME = 'TFLITE_METADATA';
export const METADATA_FILE_IDENTIFIER = 'M001';
export const MODEL_METADATA = { subgraphMetadata: { slot: 3 } } as const;
export const SUBGRAPH_METADATA = { inputTensorMetadata: { slot: 2 } } as const;
export const TENSOR_METADATA = { processUnits: { slot: 4 } } as const;
export const PROCESS_UNIT = { optionsType: { slot: 0, type: 'ubyte' }, options: { slot: 1 } } as const;
/** union ProcessUnitOptions: NormalizationOptions is member 1. */
export const NORMALIZATION_OPTIONS_TYPE = 1;
export const NORMALIZATION_OPTIONS = { mean: { slot: 0 }, std: { slot: 1 } } as const;

/**
 * union BuiltinOptions: the member's index (its position in the union, NONE = 0) and the layout of
 * its table, for the options of the ops kit imports and exports.
 */
export const OPTIONS: Record<string, { unionType: number; fields: TableLayout }> = {
  Conv2DOptions: {
    unionType: 1,
    fields: {
      padding: { slot: 0, type: 'byte' },
      strideW: { slot: 1, type: 'int' },
      strideH: { slot: 2, type: 'int' },
      fusedActivation: { slot: 3, type: 'byte' },
      dilationW: { slot: 4, type: 'int', default: 1 },
      dilationH: { slot: 5, type: 'int', default: 1 },
    },
  },
  DepthwiseConv2DOptions: {
    unionType: 2,
    fields: {
      padding: { slot: 0, type: 'byte' },
      strideW: { slot: 1, type: 'int' },
      strideH: { slot: 2, type: 'int' },
      depthMultiplier: { slot: 3, type: 'int' },
      fusedActivation: { slot: 4, type: 'byte' },
      dilationW: { slot: 5, type: 'int', default: 1 },
      dilationH: { slot: 6, type: 'int', default: 1 },
    },
  },
  Pool2DOptions: {
    unionType: 5,
    fields: {
      padding: { slot: 0, type: 'byte' },
      strideW: { slot: 1, type: 'int' },
      strideH: { slot: 2, type: 'int' },
      filterWidth: { slot: 3, type: 'int' },
      filterHeight: { slot: 4, type: 'int' },
      fusedActivation: { slot: 5, type: 'byte' },
    },
  },
  FullyConnectedOptions: {
    unionType: 8,
    fields: {
      fusedActivation: { slot: 0, type: 'byte' },
      weightsFormat: { slot: 1, type: 'byte' },
      keepNumDims: { slot: 2, type: 'bool' },
    },
  },
  SoftmaxOptions: { unionType: 9, fields: { beta: { slot: 0, type: 'float' } } },
  ConcatenationOptions: {
    unionType: 10,
    fields: { axis: { slot: 0, type: 'int' }, fusedActivation: { slot: 1, type: 'byte' } },
  },
  AddOptions: { unionType: 11, fields: { fusedActivation: { slot: 0, type: 'byte' } } },
  ReshapeOptions: { unionType: 17, fields: { newShape: { slot: 0, type: 'int[]' } } },
  PadOptions: { unionType: 22, fields: {} },
  ReducerOptions: { unionType: 27, fields: { keepDims: { slot: 0, type: 'bool' } } },
};

/** The options table each builtin op carries (ops not listed carry none that kit reads). */
export const OPTIONS_OF: Partial<Record<number, keyof typeof OPTIONS>> = {
  [BuiltinOperator.CONV_2D]: 'Conv2DOptions',
  [BuiltinOperator.DEPTHWISE_CONV_2D]: 'DepthwiseConv2DOptions',
  [BuiltinOperator.AVERAGE_POOL_2D]: 'Pool2DOptions',
  [BuiltinOperator.MAX_POOL_2D]: 'Pool2DOptions',
  [BuiltinOperator.FULLY_CONNECTED]: 'FullyConnectedOptions',
  [BuiltinOperator.SOFTMAX]: 'SoftmaxOptions',
  [BuiltinOperator.CONCATENATION]: 'ConcatenationOptions',
  [BuiltinOperator.ADD]: 'AddOptions',
  [BuiltinOperator.RESHAPE]: 'ReshapeOptions',
  [BuiltinOperator.PAD]: 'PadOptions',
  [BuiltinOperator.MEAN]: 'ReducerOptions',
};
