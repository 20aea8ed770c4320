/** DeviceClient against the scripted fake device (protocol version 3): pieces, every kind of fault, silences. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ClientOptions, DeviceClient, type InferResult } from '../../src/device/client.js';
import { MockTransport, type MockDeviceOptions } from '../../src/device/transport/mock.js';
import { Rng } from '../../src/util/rng.js';
import { kitError } from './helpers.js';
import { standinClass, standinImages, standinLogits } from './standin-model.js';

// Silences of a second: well above what a loaded machine delays a 1 ms mock reply by, so only the
// tests that mean a silence see one.
const FAST: ClientOptions = { helloTimeoutMs: 500, helloRetryMs: 50, pollMs: 1000, maxPollMs: 2000, deadAfterMs: 10_000 };

async function connect(device: Partial<MockDeviceOptions> = {}, options: ClientOptions = {}) {
  const mock = new MockTransport({ model: standinLogits, ...device });
  const client = await DeviceClient.connect(mock, { ...FAST, ...options });
  return { mock, client };
}

const retries = (results: InferResult[]) => results.reduce((n, r) => n + r.retries, 0);

/** Queues all images at once and checks each answer against the stand-in model. */
async function runAll(client: DeviceClient, images: Uint8Array[]): Promise<InferResult[]> {
  const results = await Promise.all(images.map((img) => client.infer(img)));
  results.forEach((r, i) => {
    assert.deepEqual(r.logits, standinLogits(images[i]), `image ${i} logits`);
    assert.equal(r.class, standinClass(images[i]), `image ${i} class`);
  });
  return results;
}

test('client: handshake reads HELLO; images go as pieces of at most the device\'s size and come back matched', async () => {
  const { mock, client } = await connect({ latencyMs: 2 });
  const handshakeRequests = client.stats.sent;
  assert.equal(client.info.board, 'mock');
  assert.equal(client.info.inputBytes, 3072);
  assert.equal(client.info.pieceBytes, 1024);
  const results = await runAll(client, standinImages(12));
  assert.ok(results.every((r) => r.retries === 0 && r.attempts === 1));
  assert.equal(mock.log.pieceWrites, 36, 'three 1,024-byte pieces per 3,072-byte image');
  assert.equal(mock.log.imagesRun, 12);
  assert.deepEqual(client.stats, { sent: handshakeRequests + 36, retries: 0, polls: 0, resets: 0, badFrames: 0, statuses: 0, deviceErrors: 0, timeouts: 0, stale: 0 });
  await client.close();
});

test('client: byte-at-a-time delivery and garbage between frames change nothing', async () => {
  const { client } = await connect({ chunkBytes: 1, faults: { garbageBeforeResult: [0, 3, 4, 9] } });
  const results = await runAll(client, standinImages(12));
  assert.ok(client.stats.badFrames > 0, 'the false frame start was seen and rejected');
  assert.equal(client.stats.timeouts, 0);
  assert.ok(results.every((r) => r.attempts === 1));
  await client.close();
});

test('client: a damaged piece is re-sent alone, at once, after the device\'s STATUS', async () => {
  const { mock, client } = await connect({ faults: { corruptPiece: [1, 7] } });
  const results = await runAll(client, standinImages(4));
  // Piece 1 (image 0, bytes 1024..2047) is re-sent as two 512-byte halves (a loss halves the
  // piece size); image 1 then goes as six 512-byte pieces, of which piece 7 is the third, re-sent
  // as two halves again. Nothing else is re-sent.
  assert.deepEqual(results.map((r) => r.retries), [2, 2, 0, 0]);
  assert.equal(mock.log.imagesRun, 4, 'each image ran exactly once on the device');
  assert.equal(client.stats.timeouts, 0, 'recovered without waiting out a silence');
  await client.close();
});

test('client: a RESULT damaged on the way back is asked for again with a POLL; the image is not run twice', async () => {
  const { mock, client } = await connect({ faults: { corruptResult: [2, 5] } });
  const results = await runAll(client, standinImages(8));
  assert.equal(retries(results), 0);
  assert.equal(client.stats.badFrames, 2);
  assert.equal(client.stats.polls, 2);
  assert.equal(mock.log.imagesRun, 8);
  assert.equal(client.stats.timeouts, 0);
  await client.close();
});

test('client: a piece lost without a trace shows as a gap in sequence numbers at the next one; the last one, after a silence', async () => {
  const { client } = await connect({ faults: { dropPiece: [1] } });
  const [r] = await runAll(client, standinImages(1));
  assert.equal(r.retries, 2, 'the lost 1,024 bytes, as two halves');
  assert.equal(client.stats.timeouts, 0, 'the device said so when piece 2 came after piece 0');
  await client.close();

  const { client: c2 } = await connect({ faults: { dropPiece: [2] } });
  const [r2] = await runAll(c2, standinImages(1));
  assert.equal(r2.retries, 2);
  assert.equal(c2.stats.timeouts, 1, 'nothing came after it: the POLL after the silence found it');
  await c2.close();
});

test('client: a 27 KiB input (96x96x3) on a line damaging every fifth piece arrives whole', async () => {
  const bytes = 96 * 96 * 3;
  const model = (px: Uint8Array) => Uint8Array.from({ length: 10 }, (_, k) => px.subarray(k * 2764, (k + 1) * 2764).reduce((s, v) => s + v, 0) & 0xff);
  const { client } = await connect({ model, info: { inputBytes: bytes }, pieceBytes: 4096, faults: { corruptPiece: Array.from({ length: 40 }, (_, k) => 5 * k + 2) } });
  const rng = new Rng(5, 1);
  const images = [0, 1, 2].map(() => Uint8Array.from({ length: bytes }, () => rng.int(256)));
  const results = await Promise.all(images.map((img) => client.infer(img)));
  results.forEach((r, i) => assert.deepEqual(r.logits, model(images[i])));
  assert.ok(retries(results) > 0);
  await client.close();
});

test('client: a device reset mid-image starts that image again; no image lost or counted twice', async () => {
  const { mock, client } = await connect({ latencyMs: 2, faults: { resetAtPiece: [4, 13] } });
  const results = await runAll(client, standinImages(8));
  assert.equal(client.stats.resets, 2);
  assert.equal(mock.log.resets, 2);
  assert.deepEqual(results.map((r) => r.attempts), [1, 2, 1, 2, 1, 1, 1, 1]);
  assert.equal(mock.log.imagesRun, 8);
  await client.close();
});

test('client: a device that answers nothing is a one-line KitError naming the port', async () => {
  const mock = new MockTransport({ model: standinLogits, faults: { silent: true }, path: '/dev/ttyUSB7' });
  await assert.rejects(DeviceClient.connect(mock, FAST), kitError('device-silent', /no HELLO from the device on \/dev\/ttyUSB7 within 0.5 s/));
});

test('client: a line that drops during the handshake fails connect at once; a foreign protocol version is named', async () => {
  const mock = new MockTransport({ model: standinLogits, faults: { silent: true } });
  setTimeout(() => mock.unplug(), 20);
  // port-closed, not device-silent: connect gave up when the line dropped, not at the HELLO timeout.
  await assert.rejects(DeviceClient.connect(mock, { ...FAST, helloTimeoutMs: 5000 }), kitError('port-closed', /\/dev\/mock0/));

  // Firmware of a kit before per-layer profiles (version 2): refused by name, not misread.
  const old = new MockTransport({ model: standinLogits, info: { protocolVersion: 2 } });
  await assert.rejects(DeviceClient.connect(old, FAST), kitError('protocol-mismatch', /device on \S+: device speaks protocol version 2, this kit speaks 3$/));
});

test('client: a device that stops answering mid-run fails the pending image and the queue after deadAfterMs, once', async () => {
  const { client } = await connect({ faults: { silentFromPiece: 6 } }, { pollMs: 100, maxPollMs: 200, deadAfterMs: 600 });
  const t0 = Date.now();
  const outcomes = await Promise.allSettled(standinImages(5).map((img) => client.infer(img)));
  assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 2);
  const failures = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason);
  assert.equal(failures.length, 3);
  for (const e of failures) kitError('device-silent', /device on \/dev\/mock0 stopped answering: nothing for 0.6 s/)(e);
  assert.ok(Date.now() - t0 >= 600);
  assert.ok(client.stats.polls >= 2, 'it polled (with backoff) before giving up');
  await assert.rejects(client.infer(standinImages(1)[0]), kitError('device-silent'));
  await client.close();
});

test('client: with maxBlockSends, an image whose block keeps failing fails alone; the next one goes through', async () => {
  const { client } = await connect({ pieceBytes: 3072, faults: { corruptPiece: [0, 1, 2, 3] } }, { maxBlockSends: 2 });
  await assert.rejects(client.infer(standinImages(1)[0]), kitError('image-failed', /a block of the image was sent 3 times on \/dev\/mock0/));
  const [ok] = await runAll(client, standinImages(1, 2));
  assert.equal(ok.attempts, 1, 'the client carries on with the next image');
  await client.close();
});

test('client: wrong image size, a different model, a reset into a different model, an unplugged cable', async () => {
  const { client } = await connect();
  await assert.rejects(client.infer(new Uint8Array(10)), kitError('bad-image-size', /10 bytes, the model on \/dev\/mock0 takes 3072/));
  await client.close();

  const other = new MockTransport({ model: standinLogits, info: { modelHash: 'ffff' } });
  await assert.rejects(DeviceClient.connect(other, { ...FAST, expect: { modelHash: 'abcd' } }), kitError('device-mismatch', /modelHash ffff, expected abcd/));

  const { mock, client: c2 } = await connect({ latencyMs: 5 });
  const pending = c2.infer(standinImages(1)[0]);
  mock.info.modelHash = 'changed';
  (mock as unknown as { reset(): void }).reset();
  await assert.rejects(pending, kitError('device-changed', /reset and now reports modelHash changed/));
  await c2.close();

  const { mock: m3, client: c3 } = await connect({ latencyMs: 50 });
  const lost = c3.infer(standinImages(1)[0]);
  m3.unplug();
  await assert.rejects(lost, kitError('port-closed', /serial port \/dev\/mock0 closed/));
  await c3.close();
});
