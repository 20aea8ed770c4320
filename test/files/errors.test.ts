/**
 * File-system problems are the user's to fix, not bugs in kit: one line naming the path and the
 * problem, exit code 1, and found before the long computation where kit can check it. CI runs as
 * root, where permissions do not bite: the refusals below use a file in the path, and permission
 * denied and disk full come through the fs seam.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { KitError } from '../../src/errors.js';
import { saveQuantized } from '../../src/quantize/artefact.js';
import { kit, ROOT } from '../cli/helpers.js';
import { writeToyDataset } from '../train/fixtures.js';
import { smallQuantized, snapshot, tmpDir, withFaultAt } from './helpers.js';

const MODEL = join(ROOT, 'test', 'fixtures', 'resnet8');

function oneLine(r: { code: number; stderr: string; stdout: string }, pattern: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, `not one line:\n${r.stderr}`);
  assert.match(r.stderr, pattern);
}

test('an --out under a file, or that is a file, is refused before any computation', async () => {
  const root = tmpDir('out');
  const file = join(root, 'a-file');
  writeFileSync(file, 'not a folder');
  // kit quantize: refused before the data set is even read (the data path does not exist).
  oneLine(await kit(['quantize', MODEL, '--data', join(root, 'no-data'), '--out', join(file, 'int8')]), new RegExp(`^kit quantize: cannot write ${file}/int8: ${file} is a file, not a folder \\(choose another --out`));
  oneLine(await kit(['quantize', MODEL, '--data', join(root, 'no-data'), '--out', file]), new RegExp(`^kit quantize: ${file} is a file, not a folder`));
  // kit codegen: before the quantized folder is read and anything is compiled.
  oneLine(await kit(['codegen', join(root, 'no-model'), '--board', 'host', '--out', join(file, 'c')]), /^kit codegen: cannot write .*a-file\/c: .*a-file is a file, not a folder/);
  // kit export: a file name that is a folder.
  mkdirSync(join(root, 'folder'));
  oneLine(await kit(['export', join(root, 'no-model'), '--out', join(root, 'folder')]), /^kit export: .*folder is a folder, not a file \(give a file name\)/);
  // kit import: the ONNX file need not be read to know --out cannot be written.
  oneLine(await kit(['import', join(root, 'x.onnx'), '--mean', '0', '--std', '1', '--out', join(file, 'm')]), /^kit import: cannot write .*a-file\/m: .*a-file is a file, not a folder/);
  assert.ok(!existsSync(join(root, 'no-data')));
});

test('permission denied and a full disk while saving: one line naming the folder, exit code 1, the old folder kept', async () => {
  const root = tmpDir('errno');
  const { int8, uint8 } = await smallQuantized(root);
  const dir = join(root, 'q');
  await saveQuantized(dir, int8);
  const before = snapshot(dir);
  for (const [code, problem] of [['EACCES', 'permission denied'], ['ENOSPC', 'no space left on the device'], ['EROFS', 'the file system is read-only']]) {
    // The third call: float/graph.bin, inside the new folder, after its folders were made.
    const r = await withFaultAt(2, code, () => saveQuantized(dir, uint8));
    assert.ok(r.error instanceof KitError, String(r.error));
    assert.equal(r.error.code, `fs-${code.toLowerCase()}`);
    assert.equal(r.error.exitCode, 1);
    assert.equal(r.error.message, `cannot write ${dir}: ${problem} (${code})`);
    assert.ok(!r.error.format('quantize').includes('\n'));
    assert.deepEqual(snapshot(dir), before);
  }
});

test('kit verify: a --report path under a file is refused before the emulator starts', async () => {
  const root = tmpDir('verify');
  writeFileSync(join(root, 'a-file'), '');
  const project = join(root, 'p');
  mkdirSync(project);
  // A project manifest good enough to get as far as the report path.
  writeFileSync(join(project, 'kit-codegen.json'), JSON.stringify({ format: 'kit-codegen', schema: 1, kitVersion: '0.1.0', board: 'host', quantizedDir: join(root, 'q'), modelHash: '0'.repeat(64), arenaBytes: 0, flashBytes: 0, ramBytes: 0 }));
  const { int8 } = await smallQuantized(root);
  await saveQuantized(join(root, 'q'), int8);
  oneLine(await kit(['verify', project, '--random', '3', '--report', join(root, 'a-file', 'r.json')]), /^kit verify: cannot write .*a-file\/r\.json: .*a-file is a file, not a folder/);
});

test('quantize: --eval and --calib beyond the data say so, and no tfjs advert on stderr', async () => {
  const root = tmpDir('notice');
  // Ten test images (one per class): the note does not need the 200 of the sample to evaluate.
  const data = writeToyDataset(join(root, 'data'), 2, 1);
  const r = await kit(['quantize', MODEL, '--scheme', 'int8', '--data', data, '--calib', '10', '--eval', '99999999', '--out', join(root, 'q')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^note: --eval 99999999 is more than the 10 test images in \S+; using all 10$/m);
  assert.doesNotMatch(r.stderr, /note: --calib/);
  assert.doesNotMatch(r.stderr, /TensorFlow\.js|tfjs-node/);
  assert.match(r.stdout, /top-1 on 10 images/);
});
