/**
 * Artefacts are replaced as a whole: the write is made to fail at each file-system call in turn
 * (through the fs seam, the stage itself runs unchanged), and every time the old folder must be
 * left byte for byte as it was, with nothing half-written beside it.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { writeCodegenManifest } from '../../src/codegen/codegen-manifest.js';
import { generateC } from '../../src/codegen/generate.js';
import { loadBoard } from '../../src/device/boards.js';
import { espIdfDir, writeEspIdfProject } from '../../src/device/esp-idf/project.js';
import { KitError } from '../../src/errors.js';
import { loadQuantized, saveQuantized } from '../../src/quantize/artefact.js';
import { bestModelDir, saveBestModel } from '../../src/train/checkpoint.js';
import { readManifest, TRAIN_MANIFEST_SCHEMA, type TrainManifest } from '../../src/train/manifest.js';
import { WEIGHTS_FILE } from '../../src/train/model-io.js';
import { writeTrainOutput } from '../../src/train/output.js';
import { replaceFiles } from '../../src/util/atomic-folder.js';
import { KIT_VERSION } from '../../src/version.js';
import { buildSmallModel } from '../ir/small-model.js';
import { kit } from '../cli/helpers.js';
import { kitError } from '../kit-error.js';
import { smallQuantized, snapshot, tmpDir, withFaultAt } from './helpers.js';

/** Fails the n-th seam call for n = 0, 1, ... until a run makes no more calls than n; returns that count. */
async function failEachCall(dir: string, write: () => Promise<unknown>): Promise<number> {
  const before = snapshot(dir);
  const parent = join(dir, '..');
  const siblings = readdirSync(parent).sort();
  for (let n = 0; ; n++) {
    const r = await withFaultAt(n, 'ENOSPC', write);
    if (!r.fired) return n;
    assert.ok(r.error instanceof KitError, `call ${n}: ${String(r.error)}`);
    assert.equal(r.error.code, 'fs-enospc', `call ${n}`);
    assert.match(r.error.format(), /^kit \w+: cannot write \S+: no space left on the device \(ENOSPC\) \(free some disk space/);
    assert.deepEqual(snapshot(dir), before, `call ${n} failed and changed the old folder`);
    assert.deepEqual(readdirSync(parent).sort(), siblings, `call ${n} left something beside the folder`);
  }
}

describe('a failed write leaves the old artefact folder as it was', () => {
  test('kit quantize over an int8 folder that holds a codegen project: each write fails in turn', async () => {
    const root = tmpDir('quantize');
    const { int8, uint8 } = await smallQuantized(root);
    const dir = join(root, 'int8');
    await saveQuantized(dir, int8);
    await generateC({ quantizedDir: dir, board: 'host', outDir: join(dir, 'c-host') });
    writeFileSync(join(dir, 'notes.txt'), 'a user file');
    const project = snapshot(join(dir, 'c-host'));

    const calls = await failEachCall(dir, () => saveQuantized(dir, uint8));
    // float/ (mkdir, 2 files), report.json, graph.bin, graph.json, and the renames that swap it in.
    assert.ok(calls >= 8, `only ${calls} file-system calls`);
    // The run that went through: the new model, with the codegen project and the user's file kept.
    assert.equal((await loadQuantized(dir)).meta.scheme, 'uint8');
    assert.deepEqual(snapshot(join(dir, 'c-host')), project);
    assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'a user file');
    assert.deepEqual(readdirSync(root).filter((f) => f.startsWith('.')), []);
  });

  test('kit codegen over a project that holds a firmware build and a verify report', async () => {
    const root = tmpDir('codegen');
    const { int8, uint8 } = await smallQuantized(root);
    await saveQuantized(join(root, 'a'), int8);
    await saveQuantized(join(root, 'b'), uint8);
    const out = join(root, 'a', 'c-host');
    const first = await generateC({ quantizedDir: join(root, 'a'), board: 'host', outDir: out });
    writeFileSync(join(out, 'verify-report.json'), '{}\n');
    const calls = await failEachCall(out, () => generateC({ quantizedDir: join(root, 'b'), board: 'host', outDir: out }));
    assert.ok(calls >= first.files.length + 2, `only ${calls} file-system calls for ${first.files.length} files`);
    assert.match(readFileSync(join(out, 'model.c'), 'utf8'), /uint8/);
    assert.equal(readFileSync(join(out, 'verify-report.json'), 'utf8'), '{}\n');
    // The sibling quantized files are untouched by a codegen into their folder.
    assert.equal((await loadQuantized(join(root, 'a'))).meta.scheme, 'int8');
  });

  test('kit train\'s output (model.json, its weights, kit.json) over a previous run\'s', async () => {
    const out = join(tmpDir('train'), 'run');
    // kit.json of a one-epoch run; only `model` tells the two runs apart.
    const manifest = (model: string): TrainManifest => ({
      schema: TRAIN_MANIFEST_SCHEMA,
      kitVersion: KIT_VERSION,
      stage: 'train',
      model,
      architecture: { params: 1, macs: 1, floatBytes: 4, int8Bytes: 1 },
      input: { shape: [8, 8, 3], layout: 'NHWC', pixels: 'RGB' },
      normalization: { mean: [0, 0, 0], std: [1, 1, 1] },
      classes: ['a', 'b', 'c', 'd', 'e'],
      dataset: { source: 'toy', train: 10, val: 0, test: 5 },
      recipe: { optimizer: 'adam', epochs: 1, batch: 5, lr: 1e-3, schedule: 'constant', seed: 1, augmentation: 'none' },
      backend: 'wasm',
      history: [{ epoch: 1, loss: 1, accuracy: 0.5, valAccuracy: null, seconds: 1, lr: 1e-3 }],
      bestEpoch: 1,
      valAccuracy: null,
      testAccuracy: 0.6,
      trainSeconds: 1,
    });
    await saveBestModel(out, buildSmallModel(4));
    writeTrainOutput(out, bestModelDir(out), manifest('first'));
    await saveBestModel(out, buildSmallModel(5));
    const weights = () => readdirSync(out).filter((f) => WEIGHTS_FILE.test(f));
    const [oldWeights] = weights();

    const calls = await failEachCall(out, async () => writeTrainOutput(out, bestModelDir(out), manifest('second')));
    // Three files staged (a folder and a temporary file each), then model.json and kit.json set
    // aside and replaced (two renames each) and the new weights file renamed in.
    assert.equal(calls, 3 * 2 + 2 * 2 + 1);
    assert.equal(readManifest(out).model, 'second');
    const [newWeights] = weights();
    assert.deepEqual(weights(), [newWeights], 'the previous weights are gone');
    assert.notEqual(newWeights, oldWeights);
    assert.ok(readFileSync(join(out, newWeights)).equals(readFileSync(join(bestModelDir(out), newWeights))));
    assert.match(readFileSync(join(out, 'model.json'), 'utf8'), new RegExp(`"\\./${newWeights.replace(/\./g, '\\.')}"`));
  });

  test('kit flash\'s ESP-IDF project over one that holds an ESP-IDF build, for another chip', async () => {
    const root = tmpDir('esp-idf');
    const { int8 } = await smallQuantized(root);
    const project = join(root, 'c-esp32');
    const esp32 = loadBoard('esp32');
    const gen = await generateC({ graph: int8.graph, board: esp32, outDir: project, modelName: 'small' });
    const manifest = writeCodegenManifest(project, { board: 'esp32', quantizedDir: root, modelHash: gen.hash, arenaBytes: gen.plan.arenaBytes, flashBytes: gen.sizes.flash.total, ramBytes: gen.sizes.ram.total });
    const dir = writeEspIdfProject({ project, board: esp32, manifest }).dir;
    // What idf.py leaves there.
    writeFileSync(join(dir, 'sdkconfig'), '# made by idf.py\n');
    mkdirSync(join(dir, 'build'));
    writeFileSync(join(dir, 'build', 'app.bin'), 'app');

    const rewrite = async () => writeEspIdfProject({ project, board: loadBoard('esp32s3'), manifest: { ...manifest, board: 'esp32s3' } });
    const calls = await failEachCall(dir, rewrite);
    const written = await rewrite();
    // A folder and a file for each file written, and the renames that swap the folder in.
    assert.ok(calls >= 2 * written.files.length + 2, `only ${calls} file-system calls for ${written.files.length} files`);
    assert.match(readFileSync(join(dir, 'CMakeLists.txt'), 'utf8'), /^set\(IDF_TARGET esp32s3\)$/m);
    assert.ok(!existsSync(join(dir, 'sdkconfig')) && !existsSync(join(dir, 'build')), 'new settings: sdkconfig and build start afresh');
    assert.equal(espIdfDir(project), dir);
  });

  test('a set of report files (kit verify, kit report, kit export) is replaced together', async () => {
    const dir = join(tmpDir('files'), 'project');
    mkdirSync(dir);
    const files = ['verify-report.json', 'verify-misclassified.png', 'verify-report.html'].map((f) => join(dir, f));
    files.forEach((f, i) => writeFileSync(f, `old ${i}`));
    const calls = await failEachCall(dir, async () => replaceFiles(files.map((path, i) => ({ path, data: `new ${i}` })), 'device'));
    assert.equal(calls, 3 * 2 + 3 * 2, 'for each file its folder and a temporary file, then two renames each');
    assert.deepEqual(files.map((f) => readFileSync(f, 'utf8')), ['new 0', 'new 1', 'new 2']);
  });
});

test('kit codegen refuses a folder whose files come from different runs', async () => {
  const root = tmpDir('mixed');
  const { int8, uint8 } = await smallQuantized(root);
  const mixed = join(root, 'mixed');
  await saveQuantized(mixed, uint8);
  await saveQuantized(join(root, 'other'), int8);
  // What an in-place writer left after failing halfway: uint8 graph files beside an int8 report.
  copyFileSync(join(root, 'other', 'report.json'), join(mixed, 'report.json'));
  await assert.rejects(loadQuantized(mixed), kitError('artefact-mixed', /mixed folder: report\.json is not the one graph\.json was written with/));
  const r = await kit(['codegen', mixed, '--board', 'host']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^kit codegen: \S+mixed is a mixed folder: report\.json is not the one graph\.json was written with \(another run's, or edited\) \(re-run the stage that wrote this folder/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.ok(!existsSync(join(mixed, 'c-host')), 'nothing written');
});
