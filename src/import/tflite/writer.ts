/**
 * Writes a TflModel as a TFLite flatbuffer with the `flatbuffers` runtime's Builder, following the
 * table layouts in ./schema.ts (the same ones the reader uses). Used by kit export and by tests that
 * build small models directly.
 */
import { Builder } from 'flatbuffers';
import type { OptionValue, TflModel, TflOperator, TflSubgraph, TflTensor } from './model.js';
import {
  BUFFER,
  FILE_IDENTIFIER,
  METADATA,
  MODEL,
  OPERATOR,
  OPERATOR_CODE,
  OPTIONS,
  PLACEHOLDER_FOR_GREATER_OP_CODES,
  QUANTIZATION,
  SUBGRAPH,
  TENSOR,
  type TableLayout,
} from './schema.js';

type Offset = number;

export function writeTflite(model: TflModel): Uint8Array {
  const b = new Builder(1024 + model.buffers.reduce((s, x) => s + x.length + 32, 0));
  // Operator codes: one per distinct (builtin, version), in order of first use.
  const codes: { builtin: number; version: number; customCode?: string }[] = [];
  const codeIndex = (op: TflOperator) => {
    let i = codes.findIndex((c) => c.builtin === op.builtin && c.version === op.version && c.customCode === op.customCode);
    if (i < 0) i = codes.push({ builtin: op.builtin, version: op.version, customCode: op.customCode }) - 1;
    return i;
  };
  const subgraphs = model.subgraphs.map((sg) => writeSubgraph(b, sg, codeIndex));
  const codeOffsets = codes.map((c) => {
    const custom = c.customCode !== undefined ? b.createString(c.customCode) : 0;
    b.startObject(4);
    b.addFieldInt8(OPERATOR_CODE.deprecatedBuiltinCode.slot, Math.min(c.builtin, PLACEHOLDER_FOR_GREATER_OP_CODES), 0);
    if (custom) b.addFieldOffset(OPERATOR_CODE.customCode.slot, custom, 0);
    b.addFieldInt32(OPERATOR_CODE.version.slot, c.version, 1);
    b.addFieldInt32(OPERATOR_CODE.builtinCode.slot, c.builtin, 0);
    return b.endObject();
  });
  const bufferOffsets = model.buffers.map((data) => {
    let vec = 0;
    if (data.length) {
      b.startVector(1, data.length, 16);
      for (let i = data.length - 1; i >= 0; i--) b.addInt8(data[i]);
      vec = b.endVector();
    }
    b.startObject(3);
    if (vec) b.addFieldOffset(BUFFER.data.slot, vec, 0);
    return b.endObject();
  });
  const description = b.createString(model.description);
  const codesVec = tableVector(b, codeOffsets);
  const subgraphsVec = tableVector(b, subgraphs);
  const buffersVec = tableVector(b, bufferOffsets);
  const metadataVec = model.metadata?.length
    ? tableVector(
        b,
        model.metadata.map((m) => {
          const name = b.createString(m.name);
          b.startObject(2);
          b.addFieldOffset(METADATA.name.slot, name, 0);
          b.addFieldInt32(METADATA.buffer.slot, m.buffer, 0);
          return b.endObject();
        }),
      )
    : 0;
  b.startObject(8);
  b.addFieldInt32(MODEL.version.slot, model.version, 0);
  b.addFieldOffset(MODEL.operatorCodes.slot, codesVec, 0);
  b.addFieldOffset(MODEL.subgraphs.slot, subgraphsVec, 0);
  b.addFieldOffset(MODEL.description.slot, description, 0);
  b.addFieldOffset(MODEL.buffers.slot, buffersVec, 0);
  if (metadataVec) b.addFieldOffset(MODEL.metadata.slot, metadataVec, 0);
  b.finish(b.endObject(), FILE_IDENTIFIER);
  return b.asUint8Array().slice();
}

function writeSubgraph(b: Builder, sg: TflSubgraph, codeIndex: (op: TflOperator) => number): Offset {
  const tensors = tableVector(b, sg.tensors.map((t) => writeTensor(b, t)));
  const operators = tableVector(b, sg.operators.map((op) => writeOperator(b, op, codeIndex(op))));
  const inputs = intVector(b, sg.inputs);
  const outputs = intVector(b, sg.outputs);
  const name = b.createString(sg.name);
  b.startObject(5);
  b.addFieldOffset(SUBGRAPH.tensors.slot, tensors, 0);
  b.addFieldOffset(SUBGRAPH.inputs.slot, inputs, 0);
  b.addFieldOffset(SUBGRAPH.outputs.slot, outputs, 0);
  b.addFieldOffset(SUBGRAPH.operators.slot, operators, 0);
  b.addFieldOffset(SUBGRAPH.name.slot, name, 0);
  return b.endObject();
}

function writeTensor(b: Builder, t: TflTensor): Offset {
  const shape = intVector(b, t.shape);
  const signature = t.shapeSignature ? intVector(b, t.shapeSignature) : 0;
  const name = b.createString(t.name);
  let quant = 0;
  if (t.quantization) {
    const q = t.quantization;
    b.startVector(4, q.scale.length, 4);
    for (let i = q.scale.length - 1; i >= 0; i--) b.addFloat32(q.scale[i]);
    const scale = b.endVector();
    b.startVector(8, q.zeroPoint.length, 8);
    for (let i = q.zeroPoint.length - 1; i >= 0; i--) b.addInt64(BigInt(q.zeroPoint[i]));
    const zeroPoint = b.endVector();
    b.startObject(7);
    b.addFieldOffset(QUANTIZATION.scale.slot, scale, 0);
    b.addFieldOffset(QUANTIZATION.zeroPoint.slot, zeroPoint, 0);
    b.addFieldInt32(QUANTIZATION.quantizedDimension.slot, q.quantizedDimension, 0);
    quant = b.endObject();
  }
  b.startObject(8);
  b.addFieldOffset(TENSOR.shape.slot, shape, 0);
  b.addFieldInt8(TENSOR.type.slot, t.type, 0);
  b.addFieldInt32(TENSOR.buffer.slot, t.buffer, 0);
  b.addFieldOffset(TENSOR.name.slot, name, 0);
  if (quant) b.addFieldOffset(TENSOR.quantization.slot, quant, 0);
  if (signature) b.addFieldOffset(TENSOR.shapeSignature.slot, signature, 0);
  return b.endObject();
}

function writeOperator(b: Builder, op: TflOperator, opcodeIndex: number): Offset {
  const inputs = intVector(b, op.inputs);
  const outputs = intVector(b, op.outputs);
  const layout = Object.values(OPTIONS).find((o) => o.unionType === op.optionsType);
  const options = op.optionsType && layout ? writeOptions(b, layout.fields, op.options) : 0;
  b.startObject(5);
  b.addFieldInt32(OPERATOR.opcodeIndex.slot, opcodeIndex, 0);
  b.addFieldOffset(OPERATOR.inputs.slot, inputs, 0);
  b.addFieldOffset(OPERATOR.outputs.slot, outputs, 0);
  if (options) {
    b.addFieldInt8(OPERATOR.builtinOptionsType.slot, op.optionsType, 0);
    b.addFieldOffset(OPERATOR.builtinOptions.slot, options, 0);
  }
  return b.endObject();
}

function writeOptions(b: Builder, layout: TableLayout, values: Record<string, OptionValue>): Offset {
  // Vectors first: a table cannot be open while they are built.
  const vectors = new Map<string, Offset>();
  for (const [name, f] of Object.entries(layout)) {
    if (f.type === 'int[]' && Array.isArray(values[name])) vectors.set(name, intVector(b, values[name] as number[]));
  }
  const slots = Object.values(layout).reduce((m, f) => Math.max(m, f.slot + 1), 0);
  b.startObject(slots);
  for (const [name, f] of Object.entries(layout)) {
    const v = values[name];
    if (v === undefined) continue;
    const def = f.default ?? 0;
    switch (f.type) {
      case 'int[]': b.addFieldOffset(f.slot, vectors.get(name)!, 0); break;
      case 'bool': b.addFieldInt8(f.slot, v ? 1 : 0, 0); break;
      case 'byte':
      case 'ubyte': b.addFieldInt8(f.slot, v as number, def); break;
      case 'int':
      case 'uint': b.addFieldInt32(f.slot, v as number, def); break;
      case 'float': b.addFieldFloat32(f.slot, v as number, def); break;
      default: throw new Error(`cannot write option field type ${f.type}`);
    }
  }
  return b.endObject();
}

function intVector(b: Builder, values: number[]): Offset {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]);
  return b.endVector();
}

function tableVector(b: Builder, offsets: Offset[]): Offset {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]);
  return b.endVector();
}
