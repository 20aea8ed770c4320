import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { extractArchive } from '../../src/data/archive.js';
import { loadDataset } from '../../src/data/load-dataset.js';
import { assertSameImages, kitError, tarGz, tmpDir, useTmpCache, writeCifarBinary, writeImageFolder } from './fixtures.js';

const cache = useTmpCache();
const extracted = () => (existsSync(join(cache, 'extracted')) ? readdirSync(join(cache, 'extracted')) : []);

test('archive: a .tar.gz of an ImageFolder loads identically to the folder, extracted once', () => {
  const src = tmpDir('tree');
  writeImageFolder(join(src, 'cifar10'), ['cat', 'dog', 'ship'], 'jpg');
  const fromFolder = loadDataset(src);
  // An archive made on macOS carries `._name` metadata beside each file: it must not count as an image.
  writeFileSync(join(src, 'cifar10', 'train', 'cat', '._0000.jpg'), 'AppleDouble');
  const archive = tarGz(join(tmpDir('arc'), 'cifar10.tar.gz'), src, ['cifar10']);
  const fromArchive = loadDataset(archive);
  assert.deepEqual(fromArchive.classes, fromFolder.classes);
  assertSameImages(fromArchive.train, fromFolder.train);
  assertSameImages(fromArchive.test, fromFolder.test);
  assert.equal(fromArchive.source, archive);

  const before = extracted();
  assert.equal(before.length, 1);
  const again = loadDataset(archive);
  assertSameImages(again.train, fromFolder.train);
  assert.deepEqual(extracted(), before, 'no second extraction, no temp folders left');
});

test('archive: cifar-10-binary.tar.gz (a .tgz works too) loads the CIFAR binary batches', () => {
  const src = tmpDir('cifar-src');
  const fx = writeCifarBinary(src);
  const out = tmpDir('cifar-arc');
  for (const name of ['cifar-10-binary.tar.gz', 'cifar.tgz']) {
    const ds = loadDataset(tarGz(join(out, name), src, ['cifar-10-batches-bin']));
    assertSameImages(ds.train, fx.train);
    assertSameImages(ds.test, fx.test);
  }
  // The folder `kit data cifar10 --dir` fills holds the archive: that folder loads as well.
  assertSameImages(loadDataset(out).test, fx.test);
});

test('archive: a truncated or corrupt archive is a one-line error and leaves nothing behind', () => {
  const src = tmpDir('bad-src');
  writeCifarBinary(src);
  const good = readFileSync(tarGz(join(tmpDir('bad'), 'good.tar.gz'), src, ['cifar-10-batches-bin']));
  const dir = tmpDir('bad-arc');
  const truncated = join(dir, 'truncated.tar.gz');
  writeFileSync(truncated, good.subarray(0, good.length >> 1));
  const junk = join(dir, 'junk.tgz');
  writeFileSync(junk, 'this is not a tarball at all '.repeat(40));
  const before = extracted();
  for (const file of [truncated, junk]) {
    assert.throws(() => loadDataset(file), kitError('corrupt-archive', /\.(tar\.gz|tgz) is not a readable \.tar\.gz: /));
  }
  assert.deepEqual(extracted(), before);
});

test('archive: an archive of something else gets the accepted-layouts error', () => {
  const src = tmpDir('other');
  mkdirSync(join(src, 'docs'));
  writeFileSync(join(src, 'docs', 'readme.txt'), 'hello');
  const archive = tarGz(join(tmpDir('other-arc'), 'docs.tar.gz'), src, ['docs']);
  assert.throws(() => loadDataset(archive), kitError('unknown-dataset', /docs\.tar\.gz is not a dataset/));
});

test('extractArchive: a dead run\'s temp folder is cleared, never used', () => {
  const src = tmpDir('stale-src');
  writeCifarBinary(src);
  const archive = tarGz(join(tmpDir('stale-arc'), 'a.tar.gz'), src, ['cifar-10-batches-bin']);
  const parent = tmpDir('stale-dest');
  const dest = join(parent, 'cifar-10-batches-bin');
  // A pid that surely exited: a child we ran to completion.
  const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
  mkdirSync(`${dest}.tmp-${deadPid}`);
  writeFileSync(join(`${dest}.tmp-${deadPid}`, 'data_batch_1.bin'), 'half-written');
  extractArchive(archive, dest, { subdir: 'cifar-10-batches-bin' });
  assert.deepEqual(readdirSync(parent), ['cifar-10-batches-bin']);
  assert.deepEqual(readdirSync(dest).sort(), ['batches.meta.txt', 'data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin']);
});
