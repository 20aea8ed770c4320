import assert from 'node:assert/strict';
import type { KitError } from '../../src/errors.js';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadDataset } from '../../src/data/load-dataset.js';
import { CIFAR10_CLASSES, selectImages } from '../../src/data/types.js';
import { assertSameImages, kitError, tmpDir, useTmpCache, writeImage, writeImageFolder } from './fixtures.js';

const cache = useTmpCache();

test('ImageFolder: PNGs load exactly, pixels and labels', () => {
  const fx = writeImageFolder(tmpDir('png'), [...CIFAR10_CLASSES], 'png');
  const ds = loadDataset(fx.root);
  assert.deepEqual(ds.classes, [...CIFAR10_CLASSES]);
  assert.equal(ds.source, fx.root);
  assertSameImages(ds.train, fx.train);
  assertSameImages(ds.test, fx.test);
});

test('ImageFolder: JPEGs decode close to the source, class folders sorted, found one level down', () => {
  const parent = tmpDir('jpg');
  const fx = writeImageFolder(join(parent, 'cifar10'), ['zebra', 'ant'], 'jpg');
  const ds = loadDataset(parent);
  assert.deepEqual(ds.classes, ['ant', 'zebra']);
  // Fixture images 0,1 are zebras and 2,3 ants; sorted, the ants come first as label 0.
  const expected = selectImages(fx.train, [2, 3, 0, 1]);
  assert.deepEqual(Array.from(ds.train.labels), [0, 0, 1, 1]);
  // JPEG is lossy even at quality 100: compare the mean error, not bytes.
  let err = 0;
  for (let k = 0; k < expected.images.length; k++) err += Math.abs(ds.train.images[k] - expected.images[k]);
  assert.ok(err / expected.images.length < 4, `mean abs error ${err / expected.images.length}`);
});

test('ImageFolder: an image that is not 32x32 is named, with its size, the input size and the flag to use', () => {
  const fx = writeImageFolder(tmpDir('size'), ['a', 'b'], 'png');
  const bad = join(fx.root, 'test', 'b', 'big.png');
  writeImage(bad, 'png', 48);
  assert.throws(() => loadDataset(fx.root), kitError('image-size', /big\.png is 48x48 \(height x width\) but the model reads 32x32x3 images$/));
  assert.throws(() => loadDataset(fx.root), (e: KitError) => /pass --resize 32x32 /.test(e.format()));
});

test('ImageFolder: a cache hit returns identical data and writes nothing new', () => {
  const fx = writeImageFolder(tmpDir('cache'), ['a', 'b', 'c'], 'png');
  const first = loadDataset(fx.root);
  const entries = readdirSync(join(cache, 'images'));
  const second = loadDataset(fx.root);
  assert.deepEqual(readdirSync(join(cache, 'images')), entries);
  assertSameImages(second.train, first.train);
  assertSameImages(second.test, first.test);
  assert.deepEqual(second.classes, first.classes);
});

test('loadDataset: a missing path and an unknown layout get one-line errors', () => {
  const dir = tmpDir('unknown');
  assert.throws(() => loadDataset(join(dir, 'nope')), kitError('missing-dataset', /no dataset at/));
  mkdirSync(join(dir, 'stuff'));
  assert.throws(
    () => loadDataset(dir),
    (e: unknown) => kitError('unknown-dataset', /is not a dataset kit can read/)(e) && /cifar-10-batches-bin.*ImageFolder.*\.tgz/.test((e as Error & { hint: string }).hint),
  );
});
