import { KitError } from '../errors.js';
import type { RgbImage } from './decode-image.js';
import { describeImagePrep, type ImagePrep } from './input-spec.js';
import { centerCropRgb, resizeRgb } from './resize.js';

const hw = (h: number, w: number) => `${h}x${w}`;

/**
 * One decoded image as the model reads it: HWC bytes of `shape` ([height, width, channels]), after
 * the resize / centre crop that `prep` asks for, and nothing else. An image of another size without
 * those flags is refused in one line naming the file, its size, the model's input and the flag.
 * A 1-channel model takes grey images (R = G = B) as their one channel.
 */
export function fitImage(img: RgbImage, name: string, shape: readonly number[], prep: ImagePrep): Uint8Array {
  const [height, width, channels] = shape;
  if (shape.length !== 3 || (channels !== 3 && channels !== 1)) {
    throw new KitError('data-shape', 'data', `the model reads [${shape.join(', ')}] inputs, not RGB or grey images`, 'give its inputs as a .npy with --inputs');
  }
  let out = img;
  if (prep.resize) {
    const r = prep.resize;
    if ('shorter' in r) {
      const k = r.shorter / Math.min(img.height, img.width);
      // torchvision's Resize(int): the shorter side becomes N, the longer one is truncated.
      out = img.height <= img.width ? resizeRgb(img, r.shorter, Math.floor(img.width * k)) : resizeRgb(img, Math.floor(img.height * k), r.shorter);
    } else {
      out = resizeRgb(img, r.height, r.width);
    }
  }
  if (prep.centerCrop) {
    if (out.height < height || out.width < width) {
      const how = prep.resize ? `after ${describeImagePrep({ resize: prep.resize })} it is ${hw(out.height, out.width)}` : `it is ${hw(out.height, out.width)}`;
      throw new KitError('image-size', 'data', `${name}: ${how} (height x width), smaller than the model's ${hw(height, width)} input, so it cannot be centre-cropped to it`, `resize it first, e.g. --resize ${Math.max(height, width)} --center-crop`);
    }
    out = centerCropRgb(out, height, width);
  }
  if (out.height !== height || out.width !== width) {
    const asked = describeImagePrep(prep);
    throw new KitError(
      'image-size',
      'data',
      `${name} is ${hw(out.height, out.width)}${asked ? ` after ${asked}` : ''} (height x width) but the model reads ${hw(height, width)}x${channels} images`,
      asked ? `use --resize ${hw(height, width)}, or --center-crop to cut out the middle` : `pass --resize ${hw(height, width)} to resize every image, or --center-crop (with --resize N) to cut out the middle`,
    );
  }
  if (channels === 3) return out.rgb;
  const grey = new Uint8Array(height * width);
  for (let p = 0; p < grey.length; p++) {
    const [r, g, b] = [out.rgb[3 * p], out.rgb[3 * p + 1], out.rgb[3 * p + 2]];
    if (r !== g || g !== b) throw new KitError('image-channels', 'data', `${name} is a colour image but the model reads 1 channel`, 'convert the images to greyscale first');
    grey[p] = r;
  }
  return grey;
}
