/**
 * Reads a TFLite flatbuffer into a TflModel with typed accessors over the `flatbuffers` runtime's
 * ByteBuffer, following the table layouts in ./schema.ts.
 *
 * The runtime does not verify buffers, and its reads past the end return garbage rather than
 * failing, so every offset is checked here before it is followed: a truncated or corrupt file is a
 * one-line error, never a crash or a silently wrong model.
 */
import { ByteBuffer } from 'flatbuffers';
import { KitError } from '../../errors.js';
import type { OptionValue, TflModel, TflOperator, TflQuantization, TflSubgraph, TflTensor } from './model.js';
import {
  BUFFER,
  FILE_IDENTIFIER,
  METADATA,
  METADATA_FILE_IDENTIFIER,
  MODEL,
  MODEL_METADATA,
  NORMALIZATION_OPTIONS,
  NORMALIZATION_OPTIONS_TYPE,
  PROCESS_UNIT,
  SUBGRAPH_METADATA,
  TENSOR_METADATA,
  TFLITE_METADATA_NAME,
  OPERATOR,
  OPERATOR_CODE,
  OPTIONS,
  PLACEHOLDER_FOR_GREATER_OP_CODES,
  QUANTIZATION,
  SUBGRAPH,
  TENSOR,
  type FieldLayout,
  type TableLayout,
} from './schema.js';

/** Thrown inside the reader; readTflite turns it into a KitError naming the file. */
class Corrupt extends Error {}

/** Bounds-checked view of one table. */
class Table {
  constructor(
    private readonly bb: ByteBuffer,
    readonly pos: number,
    private readonly what: string,
  ) {
    check(bb, pos, 4, what);
    const vtable = pos - bb.readInt32(pos);
    check(bb, vtable, 4, `${what} vtable`);
    this.vtableSize = bb.readUint16(vtable);
    if (this.vtableSize < 4 || this.vtableSize % 2 !== 0) throw new Corrupt(`${what} has a malformed vtable`);
    check(bb, vtable, this.vtableSize, `${what} vtable`);
    this.vtable = vtable;
  }

  private readonly vtable: number;
  private readonly vtableSize: number;

  /** Absolute position of a field's value, or 0 when the field is absent. */
  field(slot: number): number {
    const entry = 4 + 2 * slot;
    if (entry >= this.vtableSize) return 0;
    const rel = this.bb.readUint16(this.vtable + entry);
    return rel === 0 ? 0 : this.pos + rel;
  }

  scalar(f: FieldLayout): number {
    const at = this.field(f.slot);
    if (!at) return f.default ?? 0;
    const bb = this.bb;
    switch (f.type) {
      case 'bool':
      case 'ubyte': check(bb, at, 1, this.what); return bb.readUint8(at);
      case 'byte': check(bb, at, 1, this.what); return bb.readInt8(at);
      case 'int': check(bb, at, 4, this.what); return bb.readInt32(at);
      case 'uint': check(bb, at, 4, this.what); return bb.readUint32(at);
      case 'float': check(bb, at, 4, this.what); return bb.readFloat32(at);
      default: throw new Error(`not a scalar field type: ${f.type}`);
    }
  }

  /** Position and length of a vector field's elements (null when absent). */
  vector(slot: number, elementBytes: number): { start: number; length: number } | null {
    const at = this.field(slot);
    if (!at) return null;
    const bb = this.bb;
    check(bb, at, 4, this.what);
    const vec = at + bb.readUint32(at);
    check(bb, vec, 4, `${this.what} vector`);
    const length = bb.readUint32(vec);
    check(bb, vec + 4, length * elementBytes, `${this.what} vector`);
    return { start: vec + 4, length };
  }

  ints(slot: number): number[] | undefined {
    const v = this.vector(slot, 4);
    return v ? Array.from({ length: v.length }, (_, i) => this.bb.readInt32(v.start + 4 * i)) : undefined;
  }

  floats(slot: number): number[] | undefined {
    const v = this.vector(slot, 4);
    return v ? Array.from({ length: v.length }, (_, i) => this.bb.readFloat32(v.start + 4 * i)) : undefined;
  }

  longs(slot: number): number[] | undefined {
    const v = this.vector(slot, 8);
    return v ? Array.from({ length: v.length }, (_, i) => Number(this.bb.readInt64(v.start + 8 * i))) : undefined;
  }

  bytes(slot: number): Uint8Array | undefined {
    const v = this.vector(slot, 1);
    return v ? this.bb.bytes().subarray(v.start, v.start + v.length) : undefined;
  }

  string(slot: number): string | undefined {
    const b = this.bytes(slot);
    return b ? new TextDecoder().decode(b) : undefined;
  }

  /** A sub-table field. */
  table(slot: number, what: string): Table | undefined {
    const at = this.field(slot);
    if (!at) return undefined;
    check(this.bb, at, 4, this.what);
    return new Table(this.bb, at + this.bb.readUint32(at), what);
  }

  /** A vector of tables. */
  tables(slot: number, what: string): Table[] {
    const v = this.vector(slot, 4);
    if (!v) return [];
    return Array.from({ length: v.length }, (_, i) => {
      const at = v.start + 4 * i;
      return new Table(this.bb, at + this.bb.readUint32(at), `${what} ${i}`);
    });
  }

  /** Every scalar or int-list field of a layout, by name. */
  record(layout: TableLayout): Record<string, OptionValue> {
    const out: Record<string, OptionValue> = {};
    for (const [name, f] of Object.entries(layout)) {
      if (f.type === 'int[]') out[name] = this.ints(f.slot) ?? [];
      else if (f.type === 'bool') out[name] = this.scalar(f) !== 0;
      else out[name] = this.scalar(f);
    }
    return out;
  }
}

function check(bb: ByteBuffer, pos: number, bytes: number, what: string): void {
  if (!Number.isInteger(pos) || pos < 0 || bytes < 0 || pos + bytes > bb.capacity()) throw new Corrupt(`${what} points outside the file`);
}

/** Parse a .tflite file's bytes. `file` names it in errors. */
export function readTflite(bytes: Uint8Array, file: string): TflModel {
  if (bytes.length < 8) throw new KitError('tflite-not-flatbuffer', 'import', `${file} is ${bytes.length} bytes, too short to be a TFLite model`, 'pass a .tflite file written by the TFLite converter or kit export');
  const bb = new ByteBuffer(bytes);
  const ident = bb.getBufferIdentifier();
  if (ident !== FILE_IDENTIFIER) {
    throw new KitError('tflite-not-flatbuffer', 'import', `${file} is not a TFLite flatbuffer (no "${FILE_IDENTIFIER}" identifier)`, 'pass a .tflite file written by the TFLite converter or kit export');
  }
  try {
    return readModel(bb);
  } catch (e) {
    if (e instanceof Corrupt) {
      throw new KitError('tflite-corrupt', 'import', `${file} is truncated or corrupt: ${e.message}`, 'convert or download the model again');
    }
    throw e;
  }
}

function readModel(bb: ByteBuffer): TflModel {
  check(bb, 0, 4, 'root offset');
  const root = new Table(bb, bb.readUint32(0), 'model');
  const codes = root.tables(MODEL.operatorCodes.slot, 'operator code').map((t) => {
    const deprecated = t.scalar(OPERATOR_CODE.deprecatedBuiltinCode);
    const extended = t.scalar(OPERATOR_CODE.builtinCode);
    // Old files only have the byte; new ones set both, and the larger one is the code.
    return {
      builtin: Math.max(deprecated, extended) < PLACEHOLDER_FOR_GREATER_OP_CODES ? Math.max(deprecated, extended) : extended,
      customCode: t.string(OPERATOR_CODE.customCode.slot),
      version: t.scalar(OPERATOR_CODE.version),
    };
  });
  const buffers = root.tables(MODEL.buffers.slot, 'buffer').map((t) => {
    const offsetAt = t.field(BUFFER.offset.slot);
    if (offsetAt && (check(bb, offsetAt, 8, 'buffer offset'), bb.readUint64(offsetAt) > 1n)) {
      throw new Corrupt('a buffer is stored outside the flatbuffer (a model over 2 GB), which kit does not read');
    }
    return t.bytes(BUFFER.data.slot) ?? new Uint8Array(0);
  });
  const subgraphs = root.tables(MODEL.subgraphs.slot, 'subgraph').map((t) => readSubgraph(t, codes));
  const metadata = root.tables(MODEL.metadata.slot, 'metadata').map((t) => ({ name: t.string(METADATA.name.slot) ?? '', buffer: t.scalar(METADATA.buffer) }));
  return {
    version: root.scalar(MODEL.version),
    description: root.string(MODEL.description.slot) ?? '',
    subgraphs,
    buffers,
    ...(metadata.length ? { metadata } : {}),
  };
}

/**
 * The input normalization a model's TFLite metadata gives (NormalizationOptions of the first
 * input's process units: x = (pixel - mean) / std on raw values), or undefined when it has none.
 * Metadata that is present but unreadable is an error naming the file, like any corrupt part.
 */
export function readInputNormalization(model: TflModel, file: string): { mean: number[]; std: number[] } | undefined {
  const entry = model.metadata?.find((m) => m.name === TFLITE_METADATA_NAME);
  const bytes = entry && model.buffers[entry.buffer];
  if (!bytes || bytes.length < 8) return undefined;
  const bb = new ByteBuffer(bytes);
  if (bb.getBufferIdentifier() !== METADATA_FILE_IDENTIFIER) return undefined;
  try {
    check(bb, 0, 4, 'metadata root offset');
    const root = new Table(bb, bb.readUint32(0), 'metadata');
    const input = root.tables(MODEL_METADATA.subgraphMetadata.slot, 'subgraph metadata')[0]?.tables(SUBGRAPH_METADATA.inputTensorMetadata.slot, 'input metadata')[0];
    for (const unit of input?.tables(TENSOR_METADATA.processUnits.slot, 'process unit') ?? []) {
      if (unit.scalar(PROCESS_UNIT.optionsType) !== NORMALIZATION_OPTIONS_TYPE) continue;
      const options = unit.table(PROCESS_UNIT.options.slot, 'normalization options');
      const mean = options?.floats(NORMALIZATION_OPTIONS.mean.slot);
      const std = options?.floats(NORMALIZATION_OPTIONS.std.slot);
      if (mean?.length && std?.length) return { mean, std };
    }
    return undefined;
  } catch (e) {
    if (e instanceof Corrupt) throw new KitError('tflite-corrupt', 'import', `${file}: its TFLite metadata is truncated or corrupt: ${e.message}`, 'convert the model again, or strip its metadata');
    throw e;
  }
}

function readSubgraph(t: Table, codes: { builtin: number; customCode?: string; version: number }[]): TflSubgraph {
  const tensors = t.tables(SUBGRAPH.tensors.slot, 'tensor').map(readTensor);
  const operators = t.tables(SUBGRAPH.operators.slot, 'operator').map((op, i): TflOperator => {
    const index = op.scalar(OPERATOR.opcodeIndex);
    const code = codes[index];
    if (!code) throw new Corrupt(`operator ${i} uses operator code ${index} of ${codes.length}`);
    const optionsType = op.scalar(OPERATOR.builtinOptionsType);
    const layout = Object.values(OPTIONS).find((o) => o.unionType === optionsType);
    const optionsTable = optionsType && layout ? op.table(OPERATOR.builtinOptions.slot, `operator ${i} options`) : undefined;
    return {
      builtin: code.builtin,
      customCode: code.customCode,
      version: code.version,
      inputs: op.ints(OPERATOR.inputs.slot) ?? [],
      outputs: op.ints(OPERATOR.outputs.slot) ?? [],
      optionsType,
      options: optionsTable && layout ? optionsTable.record(layout.fields) : {},
    };
  });
  return {
    name: t.string(SUBGRAPH.name.slot) ?? '',
    tensors,
    inputs: t.ints(SUBGRAPH.inputs.slot) ?? [],
    outputs: t.ints(SUBGRAPH.outputs.slot) ?? [],
    operators,
  };
}

function readTensor(t: Table, i: number): TflTensor {
  const q = t.table(TENSOR.quantization.slot, `tensor ${i} quantization`);
  let quantization: TflQuantization | undefined;
  if (q) {
    const scale = q.floats(QUANTIZATION.scale.slot) ?? [];
    const zeroPoint = q.longs(QUANTIZATION.zeroPoint.slot) ?? [];
    const hasDetails = q.scalar(QUANTIZATION.detailsType) !== 0;
    if (scale.length || zeroPoint.length || hasDetails) {
      quantization = { scale, zeroPoint, quantizedDimension: q.scalar(QUANTIZATION.quantizedDimension), ...(hasDetails ? { hasDetails } : {}) };
    }
  }
  const shapeSignature = t.ints(TENSOR.shapeSignature.slot);
  return {
    name: t.string(TENSOR.name.slot) ?? `tensor_${i}`,
    shape: t.ints(TENSOR.shape.slot) ?? [],
    ...(shapeSignature ? { shapeSignature } : {}),
    type: t.scalar(TENSOR.type),
    buffer: t.scalar(TENSOR.buffer),
    ...(quantization ? { quantization } : {}),
    ...(t.scalar(TENSOR.isVariable) ? { isVariable: true } : {}),
    ...(t.field(TENSOR.sparsity.slot) ? { isSparse: true } : {}),
  };
}
