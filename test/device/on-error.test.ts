/**
 * verifyOnDevice's --on-error stop, against the scripted fake device (src/device/transport/mock.ts)
 * running a small int8 model's host reference: the line goes bad after the first images, and the
 * image whose block keeps failing ends the run with one line, exit code 1, and a partial report
 * that counts exactly what was answered. No emulator: a second or two.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadBoard } from '../../src/device/boards.js';
import { MockTransport } from '../../src/device/transport/mock.js';
import { hostReference } from '../../src/device/verify/reference.js';
import { VerifyFailed, verifyOnDevice } from '../../src/device/verify/verify.js';
import { smallQuantized } from '../files/helpers.js';
import { syntheticImages } from '../quantize/random.js';
import { tmpDir } from './helpers.js';

const HASH = 'ab'.repeat(32);
const COUNT = 8;
/** Each 8x8x3 image goes as one 192-byte PIECE on a clean line: images 0-2 are pieces 0-2. */
const CLEAN_PIECES = 3;

test('--on-error stop: the first image whose block keeps failing ends the run; one line, exit 1, the partial report holds what was answered', { timeout: 60_000 }, async () => {
  const { int8 } = await smallQuantized(tmpDir('on-error'));
  const { graph } = int8;
  const outputBytes = 5;
  const transport = new MockTransport({
    model: (px) => hostReference(graph, undefined, { images: px, count: 1 }).logits,
    info: { modelHash: HASH, inputBytes: 192, outputBytes },
    // From the fourth image on, every piece arrives damaged, re-sends included.
    faults: { corruptPiece: Array.from({ length: 400 }, (_, k) => CLEAN_PIECES + k) },
  });
  const set = { images: syntheticImages(COUNT, 9, 8), labels: Uint8Array.from({ length: COUNT }, (_, i) => i % outputBytes), count: COUNT, shape: [8, 8, 3] };
  const failed = await verifyOnDevice({ graph, floatGraph: int8.floatGraph, modelHash: HASH, board: loadBoard('host'), set, transports: [transport], onError: 'stop' }).then(
    () => assert.fail('the run went through'),
    (e: unknown) => e,
  );
  assert.ok(failed instanceof VerifyFailed, String(failed));
  assert.equal(failed.code, 'image-failed');
  assert.equal(failed.exitCode, 1);
  assert.equal(failed.format('verify'), 'kit verify: a block of the image was sent 17 times on /dev/mock0 without getting through after 3 of 8 images (the partial report was saved; --on-error skip goes on past such images)');

  const r = failed.report;
  assert.equal(r.onError, 'stop');
  assert.equal(r.requested, COUNT);
  assert.equal(r.images, CLEAN_PIECES);
  assert.equal(r.complete, false);
  assert.deepEqual(r.skipped, [], 'stop skips nothing');
  assert.equal(r.notVerified, undefined);
  // The three answers are counted once each, and they are the host's to the byte.
  assert.equal(r.agreement.bitExact, 1);
  assert.equal(r.agreement.class, 1);
  assert.equal(r.confusion.flat().reduce((a, b) => a + b, 0), CLEAN_PIECES);
  assert.equal(r.latency.histogram.counts.reduce((a, b) => a + b, 0), CLEAN_PIECES);
  const ref = hostReference(graph, int8.floatGraph, set);
  const hostRight = [0, 1, 2].filter((i) => ref.intClass[i] === set.labels[i]).length;
  assert.equal(r.accuracy.hostInteger, hostRight / CLEAN_PIECES);
  assert.equal(r.accuracy.device, hostRight / CLEAN_PIECES);
  // Image 3's blocks went 17 times each before it failed; nothing was retried before it.
  assert.equal(r.link.imagesRetried, 0);
  assert.ok(r.link.retries >= 16, JSON.stringify(r.link));
  assert.equal(transport.log.imagesRun, CLEAN_PIECES);
});
