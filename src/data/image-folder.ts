import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { KitError } from '../errors.js';
import { decodeImage } from './decode-image.js';
import { fitImage } from './fit-image.js';
import type { ImagePrep } from './input-spec.js';
import { itemBytes, type LabelledImages } from './types.js';

const IMAGE_FILE = /\.(jpe?g|png)$/i;

export interface ImageFolderListing {
  classes: string[];
  files: { path: string; label: number }[];
}

/** True when `dir` looks like one ImageFolder split: a folder with images directly inside it. */
export function hasClassFolders(dir: string): boolean {
  return readdirSync(dir, { withFileTypes: true }).some((d) => d.isDirectory() && readdirSync(join(dir, d.name)).some((n) => IMAGE_FILE.test(n)));
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
    throw new KitError('empty-split', 'data', `${root} has no class folders`, 'expected <folder>/<class>/<image>.jpg');
  }
  if (classes.length > 256) throw new KitError('too-many-classes', 'data', `${root} has ${classes.length} class folders; kit takes at most 256`, 'merge or remove class folders');
  const files: { path: string; label: number }[] = [];
  classes.forEach((cls, label) => {
    const names = readdirSync(join(root, cls)).filter((n) => IMAGE_FILE.test(n)).sort();
    for (const n of names) files.push({ path: join(root, cls, n), label });
  });
  if (files.length === 0) {
    throw new KitError('empty-split', 'data', `${root} has no JPEG or PNG images in its class folders`, 'expected <folder>/<class>/<image>.jpg (or .png)');
  }
  return { classes, files };
}

/**
 * Decodes every image of a listing into items of `shape` (HWC), fitted as `prep` asks;
 * `onProgress(done, total)` is called every few hundred images.
 */
export function readImageFolder(listing: ImageFolderListing, shape: readonly number[], prep: ImagePrep, onProgress?: (done: number, total: number) => void): LabelledImages {
  const count = listing.files.length;
  const n = itemBytes(shape);
  const images = new Uint8Array(count * n);
  const labels = new Uint8Array(count);
  listing.files.forEach((f, i) => {
    images.set(fitImage(decodeImage(readFileSync(f.path), f.path), f.path, shape, prep), i * n);
    labels[i] = f.label;
    if (onProgress && (i % 500 === 499 || i === count - 1)) onProgress(i + 1, count);
  });
  return { images, labels, count, shape: [...shape] };
}
