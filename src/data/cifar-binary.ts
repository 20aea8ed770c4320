import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { KitError } from '../errors.js';
import { CIFAR10_CLASSES, CIFAR10_SHAPE, itemBytes, type ImageDataset, type LabelledImages } from './types.js';

/**
 * Reader for the official CIFAR-10 "binary version" (`cifar-10-batches-bin/`): each batch is a
 * bare run of records, 1 label byte then 3072 pixel bytes as three 32x32 planes (R, G, B).
 */

const IMAGE_BYTES = itemBytes(CIFAR10_SHAPE);

export const CIFAR_BIN_DIRNAME = 'cifar-10-batches-bin';
/** The official archive's name; it holds `cifar-10-batches-bin/`. */
export const CIFAR_ARCHIVE_NAME = 'cifar-10-binary.tar.gz';
export const CIFAR_TRAIN_BATCHES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
export const CIFAR_TEST_BATCH = 'test_batch.bin';
export const CIFAR_META = 'batches.meta.txt';
export const CIFAR_RECORD_BYTES = 1 + IMAGE_BYTES;

const PLANE = IMAGE_BYTES / 3;
const ALL_BATCHES = [...CIFAR_TRAIN_BATCHES, CIFAR_TEST_BATCH];
const REDOWNLOAD = 'the file is truncated or corrupt: re-extract cifar-10-binary.tar.gz or run `kit data cifar10`';

/** True when `dir` looks like a CIFAR-10 binary folder, even an incomplete one (so we can say what is missing). */
export function isCifarBinaryDir(dir: string): boolean {
  return basename(dir) === CIFAR_BIN_DIRNAME || [...ALL_BATCHES, CIFAR_META].some((f) => existsSync(join(dir, f)));
}

/** The CIFAR-10 binary folder at `dir` or directly inside it (where the official archive puts it). */
export function findCifarBinaryDir(dir: string): string | undefined {
  if (isCifarBinaryDir(dir)) return dir;
  const inner = join(dir, CIFAR_BIN_DIRNAME);
  return existsSync(inner) && statSync(inner).isDirectory() ? inner : undefined;
}

/** The batch files of a CIFAR-10 binary folder, checked to exist and to hold whole records. */
export function cifarBatchFiles(dir: string): { train: string[]; test: string } {
  const missing = ALL_BATCHES.filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    throw new KitError('missing-batch', 'data', `${dir} is missing ${missing.join(', ')}`, 're-extract cifar-10-binary.tar.gz or run `kit data cifar10`');
  }
  for (const f of ALL_BATCHES) recordCount(join(dir, f), statSync(join(dir, f)).size);
  return { train: CIFAR_TRAIN_BATCHES.map((f) => join(dir, f)), test: join(dir, CIFAR_TEST_BATCH) };
}

function recordCount(file: string, size: number): number {
  if (size === 0 || size % CIFAR_RECORD_BYTES !== 0) {
    throw new KitError(
      'corrupt-batch',
      'data',
      `${file} is truncated or corrupt: ${size} bytes is not a whole number of ${CIFAR_RECORD_BYTES}-byte records`,
      REDOWNLOAD,
    );
  }
  return size / CIFAR_RECORD_BYTES;
}

/** Class names from batches.meta.txt (one per line); the standard names if the file is absent. */
export function readCifarClasses(dir: string): string[] {
  const meta = join(dir, CIFAR_META);
  if (!existsSync(meta)) return [...CIFAR10_CLASSES];
  const names = readFileSync(meta, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  if (names.length !== CIFAR10_CLASSES.length) {
    throw new KitError('corrupt-batch', 'data', `${meta} names ${names.length} classes, expected ${CIFAR10_CLASSES.length}`, REDOWNLOAD);
  }
  return names;
}

/** Converts the records of one batch file into `out` starting at image `first` (planar CHW -> interleaved HWC). */
function readBatchInto(file: string, out: LabelledImages, first: number): number {
  const buf = readFileSync(file);
  const n = recordCount(file, buf.length);
  for (let r = 0; r < n; r++) {
    const src = r * CIFAR_RECORD_BYTES;
    const label = buf[src];
    if (label >= CIFAR10_CLASSES.length) {
      throw new KitError('corrupt-batch', 'data', `${file} record ${r} has label ${label}, but CIFAR-10 labels are 0-9`, REDOWNLOAD);
    }
    out.labels[first + r] = label;
    const dst = (first + r) * IMAGE_BYTES;
    for (let p = 0; p < PLANE; p++) {
      out.images[dst + p * 3] = buf[src + 1 + p];
      out.images[dst + p * 3 + 1] = buf[src + 1 + PLANE + p];
      out.images[dst + p * 3 + 2] = buf[src + 1 + 2 * PLANE + p];
    }
  }
  return n;
}

function readSplit(files: string[], onProgress?: (done: number, total: number) => void): LabelledImages {
  // Sizes were validated already, so the record count is known before anything is read.
  const count = files.reduce((sum, f) => sum + statSync(f).size / CIFAR_RECORD_BYTES, 0);
  const set: LabelledImages = { images: new Uint8Array(count * IMAGE_BYTES), labels: new Uint8Array(count), count, shape: [...CIFAR10_SHAPE] };
  let done = 0;
  for (const f of files) {
    done += readBatchInto(f, set, done);
    onProgress?.(done, count);
  }
  return set;
}

/** Reads a whole `cifar-10-batches-bin` folder (no caching: see load-dataset.ts). */
export function readCifarBinary(dir: string, onDecode?: (split: 'train' | 'test', done: number, total: number) => void): ImageDataset {
  const files = cifarBatchFiles(dir);
  const classes = readCifarClasses(dir);
  return {
    train: readSplit(files.train, (d, t) => onDecode?.('train', d, t)),
    test: readSplit([files.test], (d, t) => onDecode?.('test', d, t)),
    classes,
    source: dir,
  };
}
