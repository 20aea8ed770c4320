/** CIFAR-sized RGB images, HWC, one byte per channel: what every loader produces. */
export const IMAGE_HEIGHT = 32;
export const IMAGE_WIDTH = 32;
export const IMAGE_CHANNELS = 3;
export const IMAGE_BYTES = IMAGE_HEIGHT * IMAGE_WIDTH * IMAGE_CHANNELS;

export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
] as const;

export interface LabelledImages {
  /** count * 32 * 32 * 3 bytes, image after image, each HWC RGB. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface ImageDataset {
  train: LabelledImages;
  test: LabelledImages;
  classes: string[];
  /** Where it came from, for manifests and messages. */
  source: string;
}

export function imageAt(set: LabelledImages, i: number): Uint8Array {
  return set.images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES);
}

/** A subset by index, copied, so a split does not alias the original buffers. */
export function selectImages(set: LabelledImages, indices: ArrayLike<number>): LabelledImages {
  const images = new Uint8Array(indices.length * IMAGE_BYTES);
  const labels = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    images.set(imageAt(set, i), k * IMAGE_BYTES);
    labels[k] = set.labels[i];
  }
  return { images, labels, count: indices.length };
}
