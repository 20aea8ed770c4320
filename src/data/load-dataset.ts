import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KitError } from '../errors.js';
import { extractArchiveToCache, isArchivePath } from './archive.js';
import { cacheKey, readDatasetCache, writeDatasetCache } from './cache.js';
import { cifarBatchFiles, CIFAR_ARCHIVE_NAME, CIFAR_META, findCifarBinaryDir, readCifarBinary } from './cifar-binary.js';
import { fitImage } from './fit-image.js';
import { hasClassFolders, listImageFolder, readImageFolder } from './image-folder.js';
import type { ImagePrep } from './input-spec.js';
import { CIFAR10_CLASSES, CIFAR10_SHAPE, itemBytes, type ImageData, type ImageDataset, type LabelledImages } from './types.js';

export interface LoadOptions {
  /** Called while images are decoded (only on a cache miss). */
  onDecode?: (split: 'train' | 'test', done: number, total: number) => void;
  /** The shape every image must have, [height, width, channels] (default CIFAR-10's 32x32x3). */
  shape?: readonly number[];
  /** Resize / centre crop to that shape; without them an image of another size is refused. */
  prep?: ImagePrep;
}

const ACCEPTED_LAYOUTS =
  'expected a cifar-10-batches-bin folder or a folder containing it, cifar-10-binary.tar.gz, ' +
  'an ImageFolder tree (train/<class>/*.jpg, test/<class>/*.jpg, or <class>/*.jpg alone), or a .tar.gz/.tgz of one';

const shapeOf = (opts: LoadOptions) => [...(opts.shape ?? CIFAR10_SHAPE)];
const prepOf = (opts: LoadOptions) => opts.prep ?? {};

/** Returns the cached dataset for these input files, or builds and caches it. */
function cached<T extends ImageData>(fingerprint: unknown[], build: () => T): T {
  const key = cacheKey(fingerprint);
  const hit = readDatasetCache(key);
  if (hit) return hit as T;
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
  const shape = shapeOf(opts);
  const prep = prepOf(opts);
  const trainList = listImageFolder(join(root, 'train'), CIFAR10_CLASSES);
  const testList = listImageFolder(join(root, 'test'), trainList.classes);
  if (testList.classes.join() !== trainList.classes.join()) {
    throw new KitError('class-mismatch', 'data', `train and test class folders differ in ${root}`, 'both splits need the same class folders');
  }
  const fingerprint = [root, shape, prep, ...fileStamps([...trainList.files, ...testList.files].map((f) => f.path))];
  return cached(fingerprint, () => ({
    train: readImageFolder(trainList, shape, prep, (d, t) => opts.onDecode?.('train', d, t)),
    test: readImageFolder(testList, shape, prep, (d, t) => opts.onDecode?.('test', d, t)),
    classes: trainList.classes,
    source: root,
  }));
}

/** A folder of class folders alone (no train/ and test/): one split, in `test`. */
function loadFlatImageFolder(root: string, opts: LoadOptions): ImageData {
  const shape = shapeOf(opts);
  const prep = prepOf(opts);
  const list = listImageFolder(root);
  const fingerprint = ['flat', root, shape, prep, ...fileStamps(list.files.map((f) => f.path))];
  return cached(fingerprint, () => ({
    train: null,
    test: readImageFolder(list, shape, prep, (d, t) => opts.onDecode?.('test', d, t)),
    classes: list.classes,
    source: root,
  }));
}

/** CIFAR-10's 32x32 images fitted to another input shape (only with --resize / --center-crop). */
function fitCifar(set: LabelledImages, file: string, shape: number[], prep: ImagePrep): LabelledImages {
  const n = itemBytes(shape);
  const images = new Uint8Array(set.count * n);
  const [height, width] = CIFAR10_SHAPE;
  for (let i = 0; i < set.count; i++) {
    const rgb = set.images.subarray(i * itemBytes(CIFAR10_SHAPE), (i + 1) * itemBytes(CIFAR10_SHAPE));
    images.set(fitImage({ height, width, rgb }, `${file} image ${i}`, shape, prep), i * n);
  }
  return { images, labels: set.labels, count: set.count, shape };
}

function loadCifarBinary(dir: string, opts: LoadOptions): ImageDataset {
  const files = cifarBatchFiles(dir);
  const meta = join(dir, CIFAR_META);
  const inputs = [...files.train, files.test, ...(existsSync(meta) ? [meta] : [])];
  // The format tag keeps these entries apart from ImageFolder ones and lets a reader change invalidate them.
  const ds = cached(['cifar10-bin/v1', ...fileStamps(inputs)], () => readCifarBinary(dir, opts.onDecode));
  const shape = shapeOf(opts);
  if (shape.join() === CIFAR10_SHAPE.join()) return ds;
  const prep = prepOf(opts);
  if (!prep.resize && !prep.centerCrop) {
    throw new KitError('image-size', 'data', `${dir} holds 32x32x3 CIFAR-10 images but the model reads ${shape.join('x')}`, `pass --resize ${shape[0]}x${shape[1]} to resize them, or give data of the model's size`);
  }
  return cached(['cifar10-bin/v1', shape, prep, ...fileStamps(inputs)], () => ({
    ...ds,
    train: fitCifar(ds.train, join(dir, 'data_batch_*.bin'), shape, prep),
    test: fitCifar(ds.test, files.test, shape, prep),
  }));
}

function loadFolder(dir: string, opts: LoadOptions): ImageData | undefined {
  const cifarDir = findCifarBinaryDir(dir);
  if (cifarDir) return loadCifarBinary(cifarDir, opts);
  const root = findImageFolderRoot(dir);
  if (root) return loadImageFolder(root, opts);
  const half = ['train', 'test'].find((d) => existsSync(join(dir, d)));
  if (half) throw new KitError('missing-split', 'data', `${dir} has ${half}/ but not ${half === 'train' ? 'test' : 'train'}/`, 'an ImageFolder dataset has both train/ and test/ class folders, or class folders alone');
  if (hasClassFolders(dir)) return loadFlatImageFolder(dir, opts);
  // `kit data cifar10 --dir X` leaves the archive in X too; accept X even if the folder was deleted.
  const archive = join(dir, CIFAR_ARCHIVE_NAME);
  if (existsSync(archive)) return loadArchive(archive, opts);
  return undefined;
}

function loadArchive(file: string, opts: LoadOptions): ImageData | undefined {
  const ds = loadFolder(extractArchiveToCache(file), opts);
  // Name the archive, not the cache folder it was unpacked into, in manifests and messages.
  return ds && { ...ds, source: file };
}

/**
 * Loads a labelled train/test image dataset from any of the accepted layouts: the CIFAR-10 binary
 * folder (`cifar-10-batches-bin`) or a folder containing it, `cifar-10-binary.tar.gz`, an
 * ImageFolder tree (`train/<class>/*.jpg`, `test/<class>/*.jpg`, JPEG or PNG; or `<class>/*.jpg`
 * alone, which has no train split), or a .tar.gz/.tgz of one. Images of another size than
 * `opts.shape` are refused unless `opts.prep` resizes or crops them. Archives are extracted once
 * into kit's cache; decoded datasets are cached too.
 */
export function loadImageData(path: string, opts: LoadOptions = {}): ImageData {
  const abs = resolve(path);
  if (!existsSync(abs)) {
    throw new KitError('missing-dataset', 'data', `no dataset at ${path}`, 'run `kit data cifar10` or point --data at a CIFAR-10 folder or archive');
  }
  if (statSync(abs).isDirectory() && readdirSync(abs).length === 0) {
    throw new KitError('empty-dataset', 'data', `${path} is empty`, 'put the images in <folder>/<class>/*.jpg (or train/<class>/ and test/<class>/)');
  }
  const ds = statSync(abs).isDirectory() ? loadFolder(abs, opts) : isArchivePath(abs) ? loadArchive(abs, opts) : undefined;
  if (ds) return ds;
  throw new KitError('unknown-dataset', 'data', `${path} is not a dataset kit can read`, ACCEPTED_LAYOUTS);
}

/** loadImageData for what needs a train and a test split (kit train): a folder of class folders alone is refused. */
export function loadDataset(path: string, opts: LoadOptions = {}): ImageDataset {
  const ds = loadImageData(path, opts);
  if (ds.train) return { ...ds, train: ds.train };
  throw new KitError('missing-split', 'data', `${path} has class folders but no train/ and test/ splits`, 'put the images in train/<class>/ and test/<class>/');
}
