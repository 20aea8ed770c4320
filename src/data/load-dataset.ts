import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KitError } from '../errors.js';
import { extractArchiveToCache, isArchivePath } from './archive.js';
import { cacheKey, readDatasetCache, writeDatasetCache } from './cache.js';
import { cifarBatchFiles, CIFAR_ARCHIVE_NAME, CIFAR_META, findCifarBinaryDir, readCifarBinary } from './cifar-binary.js';
import { listImageFolder, readImageFolder } from './image-folder.js';
import { CIFAR10_CLASSES, type ImageDataset } from './types.js';

export interface LoadOptions {
  /** Called while images are decoded (only on a cache miss). */
  onDecode?: (split: 'train' | 'test', done: number, total: number) => void;
}

const ACCEPTED_LAYOUTS =
  'expected a cifar-10-batches-bin folder or a folder containing it, cifar-10-binary.tar.gz, ' +
  'an ImageFolder tree (train/<class>/*.jpg, test/<class>/*.jpg), or a .tar.gz/.tgz of one';

/** Returns the cached dataset for these input files, or builds and caches it. */
function cached(fingerprint: unknown[], build: () => ImageDataset): ImageDataset {
  const key = cacheKey(fingerprint);
  const hit = readDatasetCache(key);
  if (hit) return hit;
  const ds = build();
  writeDatasetCache(key, ds);
  return ds;
}

/** path:size:mtime of each input: any edit, replacement or touch invalidates the cache entry. */
function fileStamps(paths: string[]): string[] {
  return paths.map((p) => {
    const st = statSync(p);
    return `${p}:${st.size}:${st.mtimeMs}`;
  });
}

/** Finds `<dir>/train` + `<dir>/test`, also one level down (e.g. an extracted `cifar10/`). */
function findImageFolderRoot(dir: string): string | undefined {
  const isSplitRoot = (d: string) => existsSync(join(d, 'train')) && existsSync(join(d, 'test'));
  if (isSplitRoot(dir)) return dir;
  const subdirs = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory());
  for (const d of subdirs) if (isSplitRoot(join(dir, d.name))) return join(dir, d.name);
  return undefined;
}

function loadImageFolder(root: string, opts: LoadOptions): ImageDataset {
  const trainList = listImageFolder(join(root, 'train'), CIFAR10_CLASSES);
  const testList = listImageFolder(join(root, 'test'), trainList.classes);
  if (testList.classes.join() !== trainList.classes.join()) {
    throw new KitError('class-mismatch', 'data', `train and test class folders differ in ${root}`, 'both splits need the same class folders');
  }
  const fingerprint = [root, ...fileStamps([...trainList.files, ...testList.files].map((f) => f.path))];
  return cached(fingerprint, () => ({
    train: readImageFolder(trainList, (d, t) => opts.onDecode?.('train', d, t)),
    test: readImageFolder(testList, (d, t) => opts.onDecode?.('test', d, t)),
    classes: trainList.classes,
    source: root,
  }));
}

function loadCifarBinary(dir: string, opts: LoadOptions): ImageDataset {
  const files = cifarBatchFiles(dir);
  const meta = join(dir, CIFAR_META);
  const inputs = [...files.train, files.test, ...(existsSync(meta) ? [meta] : [])];
  // The format tag keeps these entries apart from ImageFolder ones and lets a reader change invalidate them.
  return cached(['cifar10-bin/v1', ...fileStamps(inputs)], () => readCifarBinary(dir, opts.onDecode));
}

function loadFolder(dir: string, opts: LoadOptions): ImageDataset | undefined {
  const cifarDir = findCifarBinaryDir(dir);
  if (cifarDir) return loadCifarBinary(cifarDir, opts);
  const root = findImageFolderRoot(dir);
  if (root) return loadImageFolder(root, opts);
  // `kit data cifar10 --dir X` leaves the archive in X too; accept X even if the folder was deleted.
  const archive = join(dir, CIFAR_ARCHIVE_NAME);
  if (existsSync(archive)) return loadArchive(archive, opts);
  return undefined;
}

function loadArchive(file: string, opts: LoadOptions): ImageDataset | undefined {
  const ds = loadFolder(extractArchiveToCache(file), opts);
  // Name the archive, not the cache folder it was unpacked into, in manifests and messages.
  return ds && { ...ds, source: file };
}

/**
 * Loads a labelled train/test image dataset from any of the accepted layouts: the CIFAR-10 binary
 * folder (`cifar-10-batches-bin`) or a folder containing it, `cifar-10-binary.tar.gz`, an
 * ImageFolder tree (`train/<class>/*.jpg`, `test/<class>/*.jpg`, JPEG or PNG), or a .tar.gz/.tgz of
 * one. Archives are extracted once into kit's cache; decoded datasets are cached too.
 */
export function loadDataset(path: string, opts: LoadOptions = {}): ImageDataset {
  const abs = resolve(path);
  if (!existsSync(abs)) {
    throw new KitError('missing-dataset', 'data', `no dataset at ${path}`, 'run `kit data cifar10` or point --data at a CIFAR-10 folder or archive');
  }
  const ds = statSync(abs).isDirectory() ? loadFolder(abs, opts) : isArchivePath(abs) ? loadArchive(abs, opts) : undefined;
  if (ds) return ds;
  throw new KitError('unknown-dataset', 'data', `${path} is not a dataset kit can read`, ACCEPTED_LAYOUTS);
}
