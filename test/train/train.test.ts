import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { KitError } from '../../src/errors.js';
import { loadLayersModel } from '../../src/train/model-io.js';
import { readManifest } from '../../src/train/manifest.js';
import { train, type TrainEvent, type TrainOptions } from '../../src/train/train.js';
import { tmpDir, writeToyDataset } from './fixtures.js';

process.env.KIT_CACHE_DIR = tmpDir('cache');
const data = writeToyDataset(tmpDir('toy'), 16, 3);

const base = (): Omit<TrainOptions, 'out'> => ({ model: 'resnet8', data, epochs: 2, batch: 16, lr: 2e-3, seed: 3, backend: 'wasm', valFraction: 0.1 });

function checkpointWeights(out: string): Buffer {
  const root = join(out, 'checkpoints');
  const tag = JSON.parse(readFileSync(join(root, 'latest.json'), 'utf8')).checkpoint;
  const file = readdirSync(join(root, tag)).find((f) => f.startsWith('weights.'))!;
  return readFileSync(join(root, tag, file));
}

test('loss falls and the model learns the toy set; outputs a loadable TF.js model with a manifest', async () => {
  const out = tmpDir('run');
  const losses: number[] = [];
  const result = await train({ ...base(), out, onEvent: (e: TrainEvent) => e.type === 'step' && losses.push(e.loss) });
  assert.ok(result.completed);
  assert.equal(losses.length, 2 * 9);
  assert.ok(losses[losses.length - 1] < 0.6 * losses[0], `running loss ${losses[0]} -> ${losses[losses.length - 1]}`);
  const m = readManifest(out);
  assert.equal(m.model, 'resnet8');
  assert.equal(m.architecture.params, 78_666);
  assert.equal(m.dataset.train + m.dataset.val, 160);
  assert.equal(m.dataset.test, 30);
  assert.equal(m.history.length, 2);
  assert.ok(m.testAccuracy >= 0.5, `test accuracy ${m.testAccuracy} on the toy set`);
  const model = await loadLayersModel(out);
  assert.equal(model.countParams(), 78_666);
});

test('a run stopped mid-epoch and resumed ends bit-for-bit where the uninterrupted run ends', async () => {
  const straight = tmpDir('straight');
  await train({ ...base(), out: straight });

  const resumed = tmpDir('resumed');
  const first = await train({ ...base(), out: resumed, stopAfterSteps: 5 });
  assert.equal(first.completed, false);
  assert.ok(existsSync(join(resumed, 'checkpoints', 'latest.json')));
  const second = await train({ ...base(), out: resumed, resume: true });
  assert.ok(second.completed);

  assert.ok(checkpointWeights(straight).equals(checkpointWeights(resumed)), 'final weights differ');
  const a = readManifest(straight);
  const b = readManifest(resumed);
  assert.deepEqual(b.history.map((h) => [h.loss, h.accuracy, h.valAccuracy]), a.history.map((h) => [h.loss, h.accuracy, h.valAccuracy]));
  assert.equal(b.testAccuracy, a.testAccuracy);
});

test('--val 0 trains on every image and outputs the last epoch', async () => {
  const out = tmpDir('noval');
  const result = await train({ ...base(), out, valFraction: 0 });
  assert.ok(result.completed);
  const m = readManifest(out);
  assert.equal(m.dataset.train, 160);
  assert.equal(m.dataset.val, 0);
  assert.equal(m.valAccuracy, null);
  assert.equal(m.bestEpoch, 2);
  assert.deepEqual(m.history.map((h) => h.valAccuracy), [null, null]);
  // The output model is the final checkpoint's.
  const outFile = readdirSync(out).find((f) => f.startsWith('weights.'))!;
  assert.ok(readFileSync(join(out, outFile)).equals(checkpointWeights(out)));
});

test('bad input: existing run without --resume, NaN loss, unknown model, missing data', async () => {
  const out = tmpDir('bad');
  await train({ ...base(), out, stopAfterSteps: 1 });
  const saved = checkpointWeights(out);
  await assert.rejects(train({ ...base(), out }), (e: KitError) => e.code === 'would-overwrite');
  await assert.rejects(train({ ...base(), out, resume: true, lr: 1e30 }), (e: KitError) => e.code === 'resume-mismatch');
  const nan = tmpDir('nan');
  await assert.rejects(train({ ...base(), out: nan, lr: 1e30 }), (e: KitError) => e.code === 'nan-loss' && /lower --lr/.test(e.hint ?? ''));
  assert.ok(checkpointWeights(out).equals(saved), 'a failed run touched the saved checkpoint');
  await assert.rejects(train({ ...base(), out: tmpDir('x'), model: 'resnet99' }), (e: KitError) => e.code === 'unknown-model');
  await assert.rejects(train({ ...base(), out: tmpDir('y'), data: join(data, 'nope') }), (e: KitError) => e.code === 'missing-dataset');
  // An output folder that cannot be created (its parent is a file; root ignores permission bits).
  const file = join(tmpDir('z'), 'a-file');
  writeFileSync(file, '');
  await assert.rejects(train({ ...base(), out: join(file, 'run') }), (e: KitError) => e.code === 'path-is-file' && /is a file, not a folder/.test(e.message));
});
