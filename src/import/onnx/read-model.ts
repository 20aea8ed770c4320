import onnxProto from 'onnx-proto';
import { KitError } from '../../errors.js';

export const { onnx } = onnxProto;
export type ModelProto = onnxProto.onnx.ModelProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type TensorProto = onnxProto.onnx.ITensorProto;

/** The opsets `torch.onnx.export` writes that kit's importer reads. */
export const MIN_OPSET = 11;
export const MAX_OPSET = 20;

/** An int64 field as protobufjs hands it over (a number, or a Long for large values). */
export type IntLike = number | { toNumber(): number };
export const toNumber = (v: IntLike | null | undefined): number => (v == null ? 0 : typeof v === 'number' ? v : v.toNumber());

function bad(message: string, hint?: string): KitError {
  return new KitError('onnx-invalid', 'model', message, hint);
}

/** Decode an ONNX file and check what the importer relies on: a readable protobuf, a graph, a supported opset. */
export function readOnnxModel(bytes: Uint8Array, file: string): { model: ModelProto; opset: number } {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw bad(`${file} is not a readable ONNX model (${(e as Error).message})`, 'the file may be truncated: export it again');
  }
  if (!model.graph?.node?.length) throw bad(`${file} holds no ONNX graph`, 'export the model with torch.onnx.export');
  const main = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = toNumber(main?.version as IntLike | undefined);
  if (!main || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw bad(`${file} uses ONNX opset ${main ? opset : '(none)'}; kit imports opsets ${MIN_OPSET} to ${MAX_OPSET}`, `export with torch.onnx.export(..., opset_version=13)`);
  }
  for (const node of model.graph.node ?? []) {
    if (node.domain && node.domain !== 'ai.onnx') {
      throw bad(`node '${node.name}' (${node.opType}) is from operator domain '${node.domain}'`, 'kit imports standard ONNX operators only');
    }
  }
  return { model, opset };
}
