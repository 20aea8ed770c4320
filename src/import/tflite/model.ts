/**
 * A TFLite model as plain data: what the reader returns and the writer takes. Only the fields kit
 * uses are kept; option values are numbers (enums as their schema values), booleans or int lists.
 */

export interface TflQuantization {
  scale: number[];
  /** int64 in the file; kit's zero points fit in a number. */
  zeroPoint: number[];
  quantizedDimension: number;
  /** Set when the file uses QuantizationDetails (custom quantization), which kit refuses. */
  hasDetails?: boolean;
}

export interface TflTensor {
  name: string;
  shape: number[];
  /** The shape with unknown dimensions as -1 (absent when the converter wrote none). */
  shapeSignature?: number[];
  type: number;
  /** Index into TflModel.buffers; 0 is the empty sentinel (activations). */
  buffer: number;
  quantization?: TflQuantization;
  isVariable?: boolean;
  isSparse?: boolean;
}

export type OptionValue = number | boolean | number[];

export interface TflOperator {
  /** BuiltinOperator value (resolved from the operator code). */
  builtin: number;
  /** Name of a custom op, when builtin is CUSTOM. */
  customCode?: string;
  /** The operator code's version. */
  version: number;
  inputs: number[];
  outputs: number[];
  /** BuiltinOptions union type (0: none). */
  optionsType: number;
  options: Record<string, OptionValue>;
}

export interface TflSubgraph {
  name: string;
  tensors: TflTensor[];
  inputs: number[];
  outputs: number[];
  operators: TflOperator[];
}

export interface TflModel {
  version: number;
  description: string;
  subgraphs: TflSubgraph[];
  /** Buffer contents; buffers[0] is empty. */
  buffers: Uint8Array[];
  /** Model.metadata: named buffers (index into `buffers`), e.g. TFLITE_METADATA. */
  metadata?: { name: string; buffer: number }[];
}
