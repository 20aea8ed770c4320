/**
 * Small generated datasets for the data tests: never the real CIFAR-10. Expected pixels are
 * computed here from a formula, independently of the readers under test.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import * as tar from 'tar';
import { CIFAR10_CLASSES, type LabelledImages } from '../../src/data/types.js';

const IMAGE_BYTES = 32 * 32 * 3;

/** A fresh temp folder, removed when the test file ends. */
export function tmpDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `kit-${tag}-`));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Points kit's cache at a temp folder so tests never touch ~/.cache/kit. */
export function useTmpCache(): string {
  const dir = tmpDir('cache');
  process.env.KIT_CACHE_DIR = dir;
  return dir;
}

/** Pixel value of image `i` at (y, x, channel c); channels differ so a CHW/HWC mix-up shows. */
export function pixel(i: number, y: number, x: number, c: number): number {
  return (i * 37 + y * 11 + x * 5 + c * 83) & 0xff;
}

/** The HWC images and labels the readers must produce for images `first .. first+labels.length-1`. */
export function expectedImages(first: number, labels: number[]): LabelledImages {
  const images = new Uint8Array(labels.length * IMAGE_BYTES);
  labels.forEach((_, k) => {
    for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) for (let c = 0; c < 3; c++) images[k * IMAGE_BYTES + (y * 32 + x) * 3 + c] = pixel(first + k, y, x, c);
  });
  return { images, labels: Uint8Array.from(labels), count: labels.length, shape: [32, 32, 3] };
}

/** One CIFAR binary record: label byte, then the R, G and B planes. */
function cifarRecord(i: number, label: number): Buffer {
  const rec = Buffer.alloc(1 + IMAGE_BYTES);
  rec[0] = label;
  for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) rec[1 + c * 1024 + y * 32 + x] = pixel(i, y, x, c);
  return rec;
}

export interface CifarFixture {
  dir: string;
  train: LabelledImages;
  test: LabelledImages;
}

/**
 * Writes `<parent>/cifar-10-batches-bin` with data_batch_k holding k records (15 train images)
 * and a 4-record test batch, plus batches.meta.txt as the real one (names, then a blank line).
 */
export function writeCifarBinary(parent: string): CifarFixture {
  const dir = join(parent, 'cifar-10-batches-bin');
  mkdirSync(dir, { recursive: true });
  const trainLabels: number[] = [];
  let i = 0;
  for (let b = 1; b <= 5; b++) {
    const recs: Buffer[] = [];
    for (let r = 0; r < b; r++, i++) {
      const label = (i * 3) % 10;
      trainLabels.push(label);
      recs.push(cifarRecord(i, label));
    }
    writeFileSync(join(dir, `data_batch_${b}.bin`), Buffer.concat(recs));
  }
  const testLabels = [9, 0, 4, 7];
  writeFileSync(join(dir, 'test_batch.bin'), Buffer.concat(testLabels.map((l, k) => cifarRecord(i + k, l))));
  writeFileSync(join(dir, 'batches.meta.txt'), `${CIFAR10_CLASSES.join('\n')}\n\n`);
  return { dir, train: expectedImages(0, trainLabels), test: expectedImages(i, testLabels) };
}

export interface FolderFixture {
  root: string;
  classes: string[];
  train: LabelledImages;
  test: LabelledImages;
}

function encode(format: 'png' | 'jpg', i: number, size = 32): Buffer {
  const rgba = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      for (let c = 0; c < 3; c++) rgba[(y * size + x) * 4 + c] = pixel(i, y, x, c);
      rgba[(y * size + x) * 4 + 3] = 255;
    }
  }
  if (format === 'jpg') return jpeg.encode({ data: rgba, width: size, height: size }, 100).data;
  const png = new PNG({ width: size, height: size });
  rgba.copy(png.data);
  return PNG.sync.write(png);
}

/** Writes an ImageFolder tree `<root>/{train,test}/<class>/NNNN.<ext>`, two images per class and split. */
export function writeImageFolder(root: string, classes: string[], format: 'png' | 'jpg'): FolderFixture {
  let i = 0;
  const split = (name: string) => {
    const first = i;
    const labels: number[] = [];
    classes.forEach((cls, label) => {
      mkdirSync(join(root, name, cls), { recursive: true });
      for (let k = 0; k < 2; k++, i++) {
        writeFileSync(join(root, name, cls, `${String(i).padStart(4, '0')}.${format}`), encode(format, i));
        labels.push(label);
      }
    });
    return expectedImages(first, labels);
  };
  const train = split('train');
  const test = split('test');
  return { root, classes, train, test };
}

export function writeImage(path: string, format: 'png' | 'jpg', size: number): void {
  writeFileSync(path, encode(format, 0, size));
}

/** Packs `entries` (paths relative to `cwd`) into a gzipped tarball with node-tar. */
export function tarGz(file: string, cwd: string, entries: string[]): string {
  tar.c({ gzip: true, file, cwd, sync: true, portable: true }, entries);
  return file;
}

export { kitError } from '../kit-error.js';

export function assertSameImages(actual: LabelledImages, expected: LabelledImages): void {
  assert.equal(actual.count, expected.count);
  assert.deepEqual(Array.from(actual.labels), Array.from(expected.labels));
  // Buffer.compare keeps a 3 KB-per-image mismatch from printing every byte.
  assert.equal(Buffer.compare(Buffer.from(actual.images), Buffer.from(expected.images)), 0, 'pixels differ');
}
