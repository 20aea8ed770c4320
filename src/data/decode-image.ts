import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { KitError } from '../errors.js';

/** A decoded image: HWC RGB bytes (alpha dropped) of any size. */
export interface RgbImage {
  width: number;
  height: number;
  /** width * height * 3 bytes, row after row. */
  rgb: Uint8Array;
}

/** Decodes a JPEG or PNG of any size to RGB. */
export function decodeImage(bytes: Uint8Array, name: string): RgbImage {
  let width: number;
  let height: number;
  let rgba: Uint8Array;
  try {
    if (bytes[0] === 0x89 && bytes[1] === 0x50) {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      ({ width, height } = png);
      rgba = png.data;
    } else {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
      ({ width, height } = img);
      rgba = img.data;
    }
  } catch (e) {
    throw new KitError('corrupt-image', 'data', `cannot decode ${name}: ${(e as Error).message}`, 'remove or replace the file');
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0, q = 0; q < rgb.length; p += 4, q += 3) {
    rgb[q] = rgba[p];
    rgb[q + 1] = rgba[p + 1];
    rgb[q + 2] = rgba[p + 2];
  }
  return { width, height, rgb };
}
