/**
 * Thumbnails of the images a board got wrong. kit verify saves them as one PNG strip beside its
 * JSON (verify-misclassified.png, images side by side in the order of report.misclassified), so
 * `kit report` can redraw the page later without the dataset; the page embeds each one as a PNG
 * data URL.
 */
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { writeFileAtomic } from '../util/atomic-write.js';

export const MISCLASSIFIED_PNG = 'verify-misclassified.png';

function toPng(width: number, height: number, rgbAt: (x: number, y: number) => [number, number, number]): Buffer {
  const png = new PNG({ width, height, colorType: 2, inputHasAlpha: false });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      const [r, g, b] = rgbAt(x, y);
      png.data[o] = r;
      png.data[o + 1] = g;
      png.data[o + 2] = b;
      png.data[o + 3] = 255;
    }
  }
  return PNG.sync.write(png, { colorType: 2 });
}

/**
 * HWC images of `shape` ([height, width, 3] RGB or [height, width, 1] grey) side by side as one
 * PNG; undefined for no images, and for inputs that are not images (other shapes).
 */
export function imageStripPng(images: Uint8Array[], shape: readonly number[]): Buffer | undefined {
  const [height, width, channels] = shape;
  if (images.length === 0 || shape.length !== 3 || (channels !== 3 && channels !== 1)) return undefined;
  return toPng(width * images.length, height, (x, y) => {
    const img = images[Math.floor(x / width)];
    const o = (y * width + (x % width)) * channels;
    return channels === 3 ? [img[o], img[o + 1], img[o + 2]] : [img[o], img[o], img[o]];
  });
}

/** Writes imageStripPng's strip to `file` (nothing when there is none). */
export function writeImageStrip(file: string, images: Uint8Array[], shape: readonly number[]): void {
  const png = imageStripPng(images, shape);
  if (png) writeFileAtomic(file, png);
}

/**
 * The `count` images of a strip, each as a PNG data URL; [] when the file is missing, unreadable
 * or not `count` images wide.
 */
export function readImageStrip(file: string, count: number): string[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return [];
  }
  return stripImages(bytes, count);
}

/** The `count` images of a strip's PNG bytes, each as a PNG data URL; [] when they are not such a strip. */
export function stripImages(bytes: Uint8Array, count: number): string[] {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch {
    return [];
  }
  if (count < 1 || png.width % count !== 0) return [];
  const width = png.width / count;
  return Array.from({ length: count }, (_, k) => {
    const one = toPng(width, png.height, (x, y) => {
      const o = (y * png.width + k * width + x) * 4;
      return [png.data[o], png.data[o + 1], png.data[o + 2]];
    });
    return `data:image/png;base64,${one.toString('base64')}`;
  });
}

/** The items of a set at these indices (`bytes` each), for writeImageStrip. */
export function pickImages(images: Uint8Array, bytes: number, indices: number[]): Uint8Array[] {
  return indices.map((i) => images.subarray(i * bytes, (i + 1) * bytes));
}
