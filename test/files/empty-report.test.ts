/**
 * A verify that verified nothing reports no figures (null, with the reason), not 0 % accuracy and
 * 0 % agreement, which would read as a failing board. Runs the real firmware on the host board.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateC } from '../../src/codegen/generate.js';
import { loadBoard } from '../../src/device/boards.js';
import { buildFirmware } from '../../src/device/build.js';
import { renderVerifyReport } from '../../src/device/verify/render.js';
import { verifyOnDevice } from '../../src/device/verify/verify.js';
import { loadQuantized, saveQuantized } from '../../src/quantize/artefact.js';
import { missingForBoard } from '../device/helpers.js';
import { syntheticImages } from '../quantize/random.js';
import { smallQuantized, tmpDir } from './helpers.js';

const board = loadBoard('host');

test('nothing verified: figures are null with the reason, and the table says so', { skip: missingForBoard(board), timeout: 300_000 }, async () => {
  const root = tmpDir('empty');
  const { int8 } = await smallQuantized(root);
  const q = join(root, 'q');
  await saveQuantized(q, int8);
  const project = join(q, 'c-host');
  const gen = await generateC({ quantizedDir: q, board, outDir: project });
  const build = await buildFirmware({ board, modelDir: project, outDir: join(project, 'build') });
  const { graph } = await loadQuantized(q);
  const run = (count: number, signal?: AbortSignal) =>
    verifyOnDevice({ graph, modelHash: gen.hash, board, firmware: build.file, signal, set: { images: syntheticImages(count, 3, 8), labels: new Uint8Array(count), count, shape: [8, 8, 3] } });

  const empty = await run(0);
  assert.equal(empty.images, 0);
  assert.equal(empty.notVerified, 'the input set is empty');
  assert.deepEqual(JSON.parse(JSON.stringify(empty.agreement)), { bitExact: null, class: null });
  assert.deepEqual(empty.accuracy, { hostFloat: null, hostInteger: null, device: null });
  const table = renderVerifyReport(empty);
  assert.match(table, /^verified +nothing: the input set is empty; every figure below is n\/a, not 0$/m);
  assert.match(table, /^on-device accuracy +n\/a$/m);
  assert.match(table, /^bit-exact agreement +n\/a \(same class: n\/a\)$/m);

  // Ctrl-C before the first answer: a partial report that says why it holds nothing.
  const stop = new AbortController();
  stop.abort();
  const stopped = await run(3, stop.signal);
  assert.equal(stopped.images, 0);
  assert.equal(stopped.complete, false);
  assert.equal(stopped.notVerified, 'interrupted before the first answer');
  assert.equal(stopped.agreement.bitExact, null);
  assert.equal(stopped.accuracy.device, null);

  // And a run that verified something has figures and no reason.
  const some = await run(3);
  assert.equal(some.images, 3);
  assert.equal(some.notVerified, undefined);
  assert.equal(some.agreement.bitExact, 1);
});
