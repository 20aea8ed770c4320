/** The TypeScript twin of test/device/fixtures/standin-model/model.c: what the device must answer. */
import { fileURLToPath } from 'node:url';
import { argmax } from '../../src/device/protocol/messages.js';
import { Rng } from '../../src/util/rng.js';

export const STANDIN_DIR = fileURLToPath(new URL('./fixtures/standin-model/', import.meta.url));
export const STANDIN_INPUT_BYTES = 3072;
export const STANDIN_OUTPUT_BYTES = 10;
export const STANDIN_ARENA_BYTES = 40;
export const STANDIN_HASH = '5747a4d1e0c0ffee5747a4d1e0c0ffee5747a4d1e0c0ffee5747a4d1e0c0ffee';

export function standinLogits(pixels: Uint8Array): Uint8Array {
  const n = pixels.length;
  const logits = new Uint8Array(STANDIN_OUTPUT_BYTES);
  for (let k = 0; k < STANDIN_OUTPUT_BYTES; k++) {
    let sum = 0;
    for (let i = Math.floor((k * n) / 10); i < Math.floor(((k + 1) * n) / 10); i++) sum += pixels[i];
    logits[k] = sum & 0xff;
  }
  return logits;
}

export function standinClass(pixels: Uint8Array): number {
  return argmax(standinLogits(pixels), true);
}

/** Deterministic test images. */
export function standinImages(count: number, seed = 1): Uint8Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => {
    const img = new Uint8Array(STANDIN_INPUT_BYTES);
    for (let i = 0; i < img.length; i++) img[i] = rng.int(256);
    return img;
  });
}
