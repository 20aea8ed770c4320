/**
 * Thumbnails of the images a board got wrong. kit verify saves them as one PNG strip beside its
 * JSON (verify-misclassified.png, images side by side in the order of report.misclassified), so
 * `kit report` can redraw the page later without the dataset; the page embeds each one as a PNG
 * data URL.
 */
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { IMAGE_BYTES, IMAGE_HEIGHT, IMAGE_WIDTH } from '../data/types.js';
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

/** HWC RGB images (IMAGE_BYTES each) side by side as one PNG; undefined for no images. */
export function imageStripPng(images: Uint8Array[]): Buffer | undefined {
  if (images.length === 0) return undefined;
  return toPng(IMAGE_WIDTH * images.length, IMAGE_HEIGHT, (x, y) => {
    const img = images[Math.floor(x / IMAGE_WIDTH)];
    const o = (y * IMAGE_WIDTH + (x % IMAGE_WIDTH)) * 3;
    return [img[o], img[o + 1], img[o + 2]];
  });
}

/** Writes HWC RGB images (IMAGE_BYTES each) side by side as one PNG. */
export function writeImageStrip(file: string, images: Uint8Array[]): void {
  const png = imageStripPng(images);
  if (png) writeFileAtomic(file, png);
}

/** The images of a strip, each as a PNG data URL; [] when the file is missing or unreadable. */
export function readImageStrip(file: string): string[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return [];
  }
  return stripImages(bytes);
}

/** The images of a strip's PNG bytes, each as a PNG data URL; [] when they are not a PNG. */
export function stripImages(bytes: Uint8Array): string[] {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch {
    return [];
  }
  const n = Math.floor(png.width / IMAGE_WIDTH);
  return Array.from({ length: n }, (_, k) => {
    const one = toPng(IMAGE_WIDTH, IMAGE_HEIGHT, (x, y) => {
      const o = (y * png.width + k * IMAGE_WIDTH + x) * 4;
      return [png.data[o], png.data[o + 1], png.data[o + 2]];
    });
    return `data:image/png;base64,${one.toString('base64')}`;
  });
}

/** The images of a set at these indices, for writeImageStrip. */
export function pickImages(images: Uint8Array, indices: number[]): Uint8Array[] {
  return indices.map((i) => images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES));
}
