import type { RgbImage } from './decode-image.js';

/**
 * Bilinear resampling of RGB images, separable (rows, then columns). When shrinking, the triangle
 * filter widens with the scale so every source pixel contributes (antialiasing, as PIL's BILINEAR
 * resize does): plain 4-tap interpolation would skip pixels and alias on large reductions.
 */
interface Taps {
  /** First source index of each output's window. */
  first: Int32Array;
  /** Window length per output (the same for all: `span`). */
  span: number;
  /** span weights per output, summing to 1. */
  weights: Float64Array;
}

function taps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const stretch = Math.max(scale, 1);
  const span = Math.ceil(2 * stretch) + 2;
  const first = new Int32Array(outSize);
  const weights = new Float64Array(outSize * span);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(center - stretch));
    const hi = Math.min(inSize, Math.ceil(center + stretch));
    first[i] = lo;
    let sum = 0;
    for (let j = lo; j < hi && j - lo < span; j++) {
      const w = Math.max(0, 1 - Math.abs((j + 0.5 - center) / stretch));
      weights[i * span + (j - lo)] = w;
      sum += w;
    }
    for (let k = 0; k < span; k++) weights[i * span + k] /= sum;
  }
  return { first, span, weights };
}

const toByte = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

/** `img` resampled to height x width. */
export function resizeRgb(img: RgbImage, height: number, width: number): RgbImage {
  if (img.height === height && img.width === width) return img;
  const tx = taps(img.width, width);
  const ty = taps(img.height, height);
  // Rows first: img.height rows of `width` pixels, kept in float until the column pass.
  const mid = new Float64Array(img.height * width * 3);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      for (let k = 0; k < tx.span; k++) {
        const sx = tx.first[x] + k;
        const w = tx.weights[x * tx.span + k];
        if (w === 0 || sx >= img.width) continue;
        const s = (y * img.width + sx) * 3;
        mid[o] += w * img.rgb[s];
        mid[o + 1] += w * img.rgb[s + 1];
        mid[o + 2] += w * img.rgb[s + 2];
      }
    }
  }
  const rgb = new Uint8Array(height * width * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0, g = 0, b = 0;
      for (let k = 0; k < ty.span; k++) {
        const sy = ty.first[y] + k;
        const w = ty.weights[y * ty.span + k];
        if (w === 0 || sy >= img.height) continue;
        const s = (sy * width + x) * 3;
        r += w * mid[s];
        g += w * mid[s + 1];
        b += w * mid[s + 2];
      }
      const o = (y * width + x) * 3;
      rgb[o] = toByte(r);
      rgb[o + 1] = toByte(g);
      rgb[o + 2] = toByte(b);
    }
  }
  return { width, height, rgb };
}

/** Python's round(): halves go to the even neighbour. */
const roundHalfEven = (x: number) => {
  const f = Math.floor(x);
  return x - f === 0.5 ? (f % 2 === 0 ? f : f + 1) : Math.round(x);
};

/**
 * The central height x width window, at torchvision's CenterCrop offsets: Python's
 * round((size - crop) / 2), so an odd margin leaves the extra pixel where torchvision does.
 */
export function centerCropRgb(img: RgbImage, height: number, width: number): RgbImage {
  if (img.height === height && img.width === width) return img;
  const top = roundHalfEven((img.height - height) / 2);
  const left = roundHalfEven((img.width - width) / 2);
  const rgb = new Uint8Array(height * width * 3);
  for (let y = 0; y < height; y++) rgb.set(img.rgb.subarray(((top + y) * img.width + left) * 3, ((top + y) * img.width + left + width) * 3), y * width * 3);
  return { width, height, rgb };
}
