import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { KitError } from '../errors.js';
import { decodeImageInto } from './decode-image.js';
import { IMAGE_BYTES, type LabelledImages } from './types.js';

const IMAGE_FILE = /\.(jpe?g|png)$/i;

export interface ImageFolderListing {
  classes: string[];
  files: { path: string; label: number }[];
}

/**
 * Lists an ImageFolder split (`<root>/<class>/<image>`). Classes are taken in `classOrder` when
 * given (CIFAR-10's standard label order), else sorted, as torchvision's ImageFolder does.
 */
export function listImageFolder(root: string, classOrder?: readonly string[]): ImageFolderListing {
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new KitError('missing-split', 'data', `no folder ${root}`, 'an ImageFolder dataset needs train/ and test/ folders of class folders');
  }
  const present = readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
  const classes = classOrder && classOrder.every((c) => present.includes(c)) && present.length === classOrder.length ? [...classOrder] : present.sort();
  if (classes.length === 0) {
    throw new KitError('empty-split', 'data', `${root} has no class folders`, 'expected <split>/<class>/<image>.jpg');
  }
  const files: { path: string; label: number }[] = [];
  classes.forEach((cls, label) => {
    const names = readdirSync(join(root, cls)).filter((n) => IMAGE_FILE.test(n)).sort();
    for (const n of names) files.push({ path: join(root, cls, n), label });
  });
  if (files.length === 0) {
    throw new KitError('empty-split', 'data', `${root} has no JPEG or PNG images`, 'expected <split>/<class>/<image>.jpg');
  }
  return { classes, files };
}

/** Decodes every image of a listing; `onProgress(done, total)` is called every few hundred images. */
export function readImageFolder(listing: ImageFolderListing, onProgress?: (done: number, total: number) => void): LabelledImages {
  const count = listing.files.length;
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  listing.files.forEach((f, i) => {
    decodeImageInto(readFileSync(f.path), f.path, images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES));
    labels[i] = f.label;
    if (onProgress && (i % 500 === 499 || i === count - 1)) onProgress(i + 1, count);
  });
  return { images, labels, count };
}
