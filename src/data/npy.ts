import { readFileSync } from 'node:fs';
import { KitError } from '../errors.js';

/**
 * NumPy .npy files (format versions 1-3): the header is a Python dict literal with 'descr',
 * 'fortran_order' and 'shape', followed by the raw C-order data. kit reads 8-bit tensors (the
 * inputs of int8/uint8 models) and integer labels.
 */
export interface Npy {
  /** numpy dtype string, e.g. '|i1', '<i8'. */
  descr: string;
  shape: number[];
  /** The raw little-endian data bytes. */
  data: Uint8Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function bad(file: string, what: string): KitError {
  return new KitError('npy-invalid', 'data', `${file} ${what}`, 'save it with numpy.save (C order)');
}

export function readNpy(file: string): Npy {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch {
    throw new KitError('npy-missing', 'data', `${file} does not exist`, 'pass a .npy file written by numpy.save');
  }
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad(file, 'is not a .npy file');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) throw bad(file, 'is truncated');
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw bad(file, 'has an unreadable header');
  if (fortran === 'True') throw bad(file, 'is in Fortran order');
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const data = bytes.subarray(start + headerLen);
  const itemBytes = Number(/\d+$/.exec(descr)?.[0] ?? 0);
  const count = shape.reduce((a, b) => a * b, 1);
  if (!itemBytes || data.length !== count * itemBytes) throw bad(file, `holds ${data.length} data bytes for shape (${shape.join(', ')}) of ${descr}`);
  return { descr, shape, data };
}

/** Integer labels from a .npy of any integer dtype, one per input. */
export function npyLabels(file: string, npy: Npy): Uint8Array {
  const m = /^[<|=]([iu])([1248])$/.exec(npy.descr);
  if (!m || npy.shape.length !== 1) throw bad(file, `must be a 1-D integer array, got ${npy.descr} (${npy.shape.join(', ')})`);
  const width = Number(m[2]);
  const view = new DataView(npy.data.buffer, npy.data.byteOffset, npy.data.byteLength);
  const out = new Uint8Array(npy.shape[0]);
  for (let i = 0; i < out.length; i++) {
    const v = width === 8 ? Number(view.getBigInt64(i * 8, true)) : width === 4 ? view.getInt32(i * 4, true) : width === 2 ? view.getInt16(i * 2, true) : m[1] === 'i' ? view.getInt8(i) : view.getUint8(i);
    if (v < 0 || v > 255) throw bad(file, `has label ${v} at ${i}; kit takes labels 0..255`);
    out[i] = v;
  }
  return out;
}
