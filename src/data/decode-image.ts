import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { KitError } from '../errors.js';
import { IMAGE_BYTES, IMAGE_HEIGHT, IMAGE_WIDTH } from './types.js';

/** Decodes a 32x32 JPEG or PNG into `out` (HWC RGB), dropping alpha. */
export function decodeImageInto(bytes: Uint8Array, name: string, out: Uint8Array): void {
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
  if (width !== IMAGE_WIDTH || height !== IMAGE_HEIGHT) {
    throw new KitError(
      'image-size',
      'data',
      `${name} is ${width}x${height}, expected ${IMAGE_WIDTH}x${IMAGE_HEIGHT}`,
      'resize the dataset to 32x32 first',
    );
  }
  for (let p = 0, q = 0; q < IMAGE_BYTES; p += 4, q += 3) {
    out[q] = rgba[p];
    out[q + 1] = rgba[p + 1];
    out[q + 2] = rgba[p + 2];
  }
}
