import assert from 'node:assert/strict';
import { readdirSync, rmSync, truncateSync, utimesSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadDataset } from '../../src/data/load-dataset.js';
import { CIFAR10_CLASSES } from '../../src/data/types.js';
import { assertSameImages, kitError, tmpDir, useTmpCache, writeCifarBinary } from './fixtures.js';

const cache = useTmpCache();

test('CIFAR binary: labels and pixels round-trip, planar CHW becomes HWC', () => {
  const fx = writeCifarBinary(tmpDir('cifar'));
  const progress: string[] = [];
  const ds = loadDataset(fx.dir, { onDecode: (split, done, total) => progress.push(`${split}:${done}/${total}`) });
  assertSameImages(ds.train, fx.train);
  assertSameImages(ds.test, fx.test);
  assert.deepEqual(ds.classes, [...CIFAR10_CLASSES]);
  assert.equal(ds.source, fx.dir);
  assert.deepEqual(progress, ['train:1/15', 'train:3/15', 'train:6/15', 'train:10/15', 'train:15/15', 'test:4/4']);
});

test('CIFAR binary: a folder containing cifar-10-batches-bin loads the same', () => {
  const parent = tmpDir('cifar-parent');
  const fx = writeCifarBinary(parent);
  const ds = loadDataset(parent);
  assertSameImages(ds.train, fx.train);
  assertSameImages(ds.test, fx.test);
});

test('CIFAR binary: a truncated batch is named in a one-line error', () => {
  const fx = writeCifarBinary(tmpDir('cifar-trunc'));
  truncateSync(join(fx.dir, 'data_batch_3.bin'), 3 * 3073 - 100);
  assert.throws(() => loadDataset(fx.dir), kitError('corrupt-batch', /data_batch_3\.bin is truncated or corrupt/));
});

test('CIFAR binary: a label of 10 or more is rejected', () => {
  const fx = writeCifarBinary(tmpDir('cifar-label'));
  const file = join(fx.dir, 'test_batch.bin');
  const bytes = readFileSync(file);
  bytes[2 * 3073] = 10;
  writeFileSync(file, bytes);
  assert.throws(() => loadDataset(fx.dir), kitError('corrupt-batch', /test_batch\.bin record 2 has label 10/));
});

test('CIFAR binary: missing batch files are listed', () => {
  const fx = writeCifarBinary(tmpDir('cifar-missing'));
  rmSync(join(fx.dir, 'data_batch_4.bin'));
  rmSync(join(fx.dir, 'test_batch.bin'));
  assert.throws(() => loadDataset(fx.dir), kitError('missing-batch', /missing data_batch_4\.bin, test_batch\.bin$/));
});

test('CIFAR binary: a cache hit returns the same data without reading the batches', () => {
  const fx = writeCifarBinary(tmpDir('cifar-cache'));
  const files = readdirSync(fx.dir).map((f) => join(fx.dir, f));
  // Fixed mtimes, so a rewrite below can keep the fingerprint (path, size, mtime) unchanged.
  for (const f of files) utimesSync(f, 1e9, 1e9);
  const first = loadDataset(fx.dir);
  const cached = readdirSync(join(cache, 'images')).length;

  const batch = join(fx.dir, 'data_batch_1.bin');
  writeFileSync(batch, Buffer.alloc(3073, 1));
  utimesSync(batch, 1e9, 1e9);
  const second = loadDataset(fx.dir);
  assertSameImages(second.train, first.train);
  assertSameImages(second.test, first.test);
  assert.deepEqual(second.classes, first.classes);
  assert.equal(readdirSync(join(cache, 'images')).length, cached, 'no new cache entry');

  // A changed mtime is a changed input: the cache entry no longer applies.
  utimesSync(batch, 2e9, 2e9);
  const third = loadDataset(fx.dir);
  assert.equal(third.train.labels[0], 1);
  assert.equal(third.train.images[0], 1);
});
