import { KitError } from '../../errors.js';
import { onnx, toNumber, type IntLike, type TensorProto } from './read-model.js';

/** A constant of the ONNX graph (initializer or Constant node), as numbers in row-major order. */
export interface Constant {
  dims: number[];
  data: Float32Array | Float64Array;
  /** Integer tensors (shapes, axes, pads) keep exact values in a Float64Array. */
  integer: boolean;
}

const T = onnx.TensorProto.DataType;

/** Copy raw little-endian bytes into an aligned array of `n` elements read by `get`. */
function fromRaw(raw: Uint8Array, size: number, get: (v: DataView, offset: number) => number): number[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: number[] = [];
  for (let o = 0; o + size <= raw.byteLength; o += size) out.push(get(view, o));
  return out;
}

/** Decode a TensorProto; refuses external data, unsupported element types, and NaN or infinite values. */
export function decodeTensor(t: TensorProto, where: string): Constant {
  const dims = (t.dims ?? []).map((d) => toNumber(d as IntLike));
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0) {
    throw new KitError('onnx-external-data', 'model', `${where}: tensor '${t.name}' is stored in an external data file`, 'export the model in one file (under 2 GB, without save_as_external_data)');
  }
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  let values: number[];
  let integer = false;
  switch (t.dataType) {
    case T.FLOAT:
      values = raw ? fromRaw(raw, 4, (v, o) => v.getFloat32(o, true)) : [...(t.floatData ?? [])];
      break;
    case T.DOUBLE:
      values = raw ? fromRaw(raw, 8, (v, o) => v.getFloat64(o, true)) : [...(t.doubleData ?? [])];
      break;
    case T.INT64:
      integer = true;
      values = raw ? fromRaw(raw, 8, (v, o) => Number(v.getBigInt64(o, true))) : (t.int64Data ?? []).map((x) => toNumber(x as IntLike));
      break;
    case T.INT32:
      integer = true;
      values = raw ? fromRaw(raw, 4, (v, o) => v.getInt32(o, true)) : [...(t.int32Data ?? [])];
      break;
    default:
      throw new KitError('onnx-dtype', 'model', `${where}: tensor '${t.name}' has ONNX element type ${t.dataType}`, 'kit imports float32 models (int64/int32 for shapes)');
  }
  const count = dims.reduce((a, b) => a * b, 1);
  if (values.length !== count) {
    throw new KitError('onnx-invalid', 'model', `${where}: tensor '${t.name}' has ${values.length} values for shape [${dims.join(', ')}]`, 'the file may be truncated: export it again');
  }
  if (values.some((v) => !Number.isFinite(v))) {
    throw new KitError('onnx-nan', 'model', `${where}: tensor '${t.name}' holds NaN or infinite values`, 'the model did not train to finite weights; check its training');
  }
  return { dims, data: integer ? Float64Array.from(values) : Float32Array.from(values), integer };
}
