import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
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

/**
 * The bytes of a tensor saved with external data (onnx.save(..., save_as_external_data=True), or
 * torch.onnx.export of a model over 2 GB): `location` relative to the model's folder, `offset`, `length`.
 */
function externalBytes(t: TensorProto, where: string, baseDir: string | undefined): Uint8Array {
  const entry = (key: string) => t.externalData?.find((e) => e.key === key)?.value ?? undefined;
  const location = entry('location');
  const fail = (why: string, hint: string) => new KitError('onnx-external-data', 'model', `${where}: tensor '${t.name}' ${why}`, hint);
  if (!location || baseDir === undefined) throw fail('is stored in an external data file the model does not name', 'export the model in one file (without save_as_external_data)');
  if (isAbsolute(location) || normalize(location).startsWith('..')) throw fail(`names external data outside the model's folder ('${location}')`, 'keep the data file beside the .onnx file');
  const file = join(baseDir, location);
  if (!existsSync(file)) throw fail(`is stored in '${location}', which is missing beside the model`, `copy ${location} next to the .onnx file, or export the model in one file`);
  const bytes = readFileSync(file);
  const offset = Number(entry('offset') ?? 0);
  const length = entry('length') !== undefined ? Number(entry('length')) : bytes.length - offset;
  if (offset + length > bytes.length) throw fail(`reads bytes ${offset}..${offset + length} of '${location}', which has ${bytes.length}`, 'the data file is truncated or from another export: export again');
  return bytes.subarray(offset, offset + length);
}

/**
 * Decode a TensorProto (its bytes inline, or in an external data file beside the model in `baseDir`);
 * refuses unsupported element types and NaN or infinite values.
 */
export function decodeTensor(t: TensorProto, where: string, baseDir?: string): Constant {
  const dims = (t.dims ?? []).map((d) => toNumber(d as IntLike));
  const external = t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0;
  const raw = external ? externalBytes(t, where, baseDir) : t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
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
