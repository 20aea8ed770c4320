/**
 * Labelled inputs of any model: `count` items of `shape` (HWC for images), one byte per value,
 * back to back. Images are uint8 RGB pixels; raw tensors for an int8 model are its int8 bytes.
 */
export interface LabelledImages {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  /** The shape of one item, e.g. [32, 32, 3] (height, width, channels) for a CIFAR-10 image. */
  shape: number[];
}

/** CIFAR-10's images: what `kit train` trains on and the default data of every command. */
export const CIFAR10_SHAPE: readonly [number, number, number] = [32, 32, 3];

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

/** Labelled images in a train and a test split (what `kit train` needs). */
export interface ImageDataset {
  train: LabelledImages;
  test: LabelledImages;
  classes: string[];
  /** Where it came from, for manifests and messages. */
  source: string;
}

/** Any image data: a folder of class folders without train/ and test/ has no train split (all of it is in `test`). */
export interface ImageData extends Omit<ImageDataset, 'train'> {
  train: LabelledImages | null;
}

/** Values (bytes) of one item of this shape. */
export function itemBytes(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function imageAt(set: LabelledImages, i: number): Uint8Array {
  const n = itemBytes(set.shape);
  return set.images.subarray(i * n, (i + 1) * n);
}

/** A subset by index, copied, so a split does not alias the original buffers. */
export function selectImages(set: LabelledImages, indices: ArrayLike<number>): LabelledImages {
  const n = itemBytes(set.shape);
  const images = new Uint8Array(indices.length * n);
  const labels = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    images.set(imageAt(set, i), k * n);
    labels[k] = set.labels[i];
  }
  return { images, labels, count: indices.length, shape: [...set.shape] };
}
