import type { Rng } from '../util/rng.js';
import { itemBytes, type LabelledImages } from './types.js';

export const CROP_PADDING = 4;

/**
 * RandomCrop(size, padding=4, fill=0) then RandomHorizontalFlip(0.5) then Normalize, for one batch,
 * written straight into `out` ([batch, height, width, channels] float, the set's image shape). The padding is black pixels *before*
 * normalization, as in torchvision, so it becomes -mean/std after it.
 */
export function augmentBatch(
  set: LabelledImages,
  indices: ArrayLike<number>,
  table: Float32Array,
  rng: Rng,
  out: Float32Array,
): void {
  const [IMAGE_HEIGHT, IMAGE_WIDTH, IMAGE_CHANNELS] = set.shape;
  const IMAGE_BYTES = itemBytes(set.shape);
  const row = IMAGE_WIDTH * IMAGE_CHANNELS;
  for (let b = 0; b < indices.length; b++) {
    const src = indices[b] * IMAGE_BYTES;
    const dst = b * IMAGE_BYTES;
    const dy = rng.int(2 * CROP_PADDING + 1) - CROP_PADDING;
    const dx = rng.int(2 * CROP_PADDING + 1) - CROP_PADDING;
    const flip = rng.next() < 0.5;
    for (let y = 0; y < IMAGE_HEIGHT; y++) {
      const sy = y + dy;
      for (let x = 0; x < IMAGE_WIDTH; x++) {
        const sx = (flip ? IMAGE_WIDTH - 1 - x : x) + dx;
        const o = dst + y * row + x * IMAGE_CHANNELS;
        const inside = sy >= 0 && sy < IMAGE_HEIGHT && sx >= 0 && sx < IMAGE_WIDTH;
        for (let c = 0; c < IMAGE_CHANNELS; c++) {
          const v = inside ? set.images[src + sy * row + sx * IMAGE_CHANNELS + c] : 0;
          out[o + c] = table[c * 256 + v];
        }
      }
    }
  }
}
