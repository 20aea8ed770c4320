/** DeviceClient against the scripted fake device: pipelining, every kind of fault, timeouts. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ClientOptions, DeviceClient, type InferResult } from '../../src/device/client.js';
import { MockTransport, type MockDeviceOptions } from '../../src/device/transport/mock.js';
import { kitError } from './helpers.js';
import { standinClass, standinImages, standinLogits } from './standin-model.js';

const FAST: ClientOptions = { helloTimeoutMs: 500, helloRetryMs: 50, replyTimeoutMs: 200, maxInFlight: 4, maxAttempts: 4 };

async function connect(device: Partial<MockDeviceOptions> = {}, options: ClientOptions = {}) {
  const mock = new MockTransport({ model: standinLogits, ...device });
  const client = await DeviceClient.connect(mock, { ...FAST, ...options });
  return { mock, client };
}

const resends = (results: InferResult[]) => results.reduce((n, r) => n + r.attempts - 1, 0);

/** Runs all images at once (pipelined) and checks each answer against the stand-in model. */
async function runAll(client: DeviceClient, images: Uint8Array[]): Promise<InferResult[]> {
  const results = await Promise.all(images.map((img) => client.infer(img)));
  results.forEach((r, i) => {
    assert.deepEqual(r.logits, standinLogits(images[i]), `image ${i} logits`);
    assert.equal(r.class, standinClass(images[i]), `image ${i} class`);
  });
  return results;
}

test('client: handshake reads HELLO; pipelined results come back matched to their images', async () => {
  const { mock, client } = await connect({ latencyMs: 2 });
  const handshakeRequests = client.stats.sent;
  assert.equal(client.info.board, 'mock');
  assert.equal(client.info.inputBytes, 3072);
  assert.equal(client.info.outputSigned, true);
  const images = standinImages(24);
  const results = await runAll(client, images);
  assert.ok(results.every((r) => r.attempts === 1));
  assert.equal(mock.log.inferWrites, 24);
  assert.equal(mock.log.inferAnswered, 24);
  assert.deepEqual(client.stats, { sent: handshakeRequests + 24, retries: 0, resets: 0, badFrames: 0, deviceErrors: 0, timeouts: 0, stale: 0 }, 'one request per image');
  await client.close();
});

test('client: keeps at most maxInFlight images on the wire', async () => {
  const { mock, client } = await connect({ latencyMs: 3 }, { maxInFlight: 3 });
  let maxSeen = 0;
  const pending = standinImages(10).map((img) => client.infer(img));
  const poll = setInterval(() => (maxSeen = Math.max(maxSeen, mock.log.inferWrites - mock.log.inferAnswered)), 1);
  await Promise.all(pending);
  clearInterval(poll);
  assert.ok(maxSeen >= 2 && maxSeen <= 3, `in flight: ${maxSeen}`);
  await client.close();
});

test('client: byte-at-a-time delivery and garbage between frames change nothing', async () => {
  const { client } = await connect({ chunkBytes: 1, faults: { garbageBeforeResult: [0, 3, 4, 9] } });
  const results = await runAll(client, standinImages(12));
  assert.ok(results.every((r) => r.attempts === 1), 'garbage before a RESULT must not cost it');
  assert.ok(client.stats.badFrames > 0, 'the false frame start was seen and rejected');
  await client.close();
});

test('client: an INFER damaged on the way in is retried after the device reports the bad CRC', async () => {
  const { mock, client } = await connect({ faults: { corruptInfer: [1, 5, 6] } });
  const results = await runAll(client, standinImages(10));
  assert.equal(resends(results), 3, 'one re-send per damaged write (a re-send may be damaged again)');
  assert.equal(client.stats.deviceErrors, 3);
  assert.equal(mock.log.inferAnswered, 10, 'each image ran exactly once on the device');
  assert.equal(client.stats.timeouts, 0, 'recovered without waiting for a timeout');
  await client.close();
});

test('client: a RESULT damaged on the way back is recovered through PING/PONG, not a timeout', async () => {
  const { client } = await connect({ faults: { corruptResult: [2, 9] } });
  const results = await runAll(client, standinImages(10));
  assert.equal(resends(results), 2);
  assert.equal(client.stats.badFrames, 2);
  assert.equal(client.stats.timeouts, 0);
  await client.close();
});

test('client: an INFER lost without a trace is re-sent once a later reply shows it was skipped', async () => {
  const { client } = await connect({ faults: { dropInfer: [0, 4] } });
  const results = await runAll(client, standinImages(10));
  assert.equal(resends(results), 2);
  assert.equal(client.stats.timeouts, 0);
  await client.close();
});

test('client: the last INFER lost without a trace is re-sent after replyTimeoutMs', async () => {
  const { mock, client } = await connect({ faults: { dropInfer: [0] } });
  const [r] = await runAll(client, standinImages(1));
  assert.equal(r.attempts, 2);
  // Nothing else could prompt the re-send: no other reply came, so it was the reply timeout.
  assert.equal(client.stats.timeouts, 1);
  assert.equal(mock.log.inferWrites, 2);
  await client.close();
});

test('client: a device reset mid-run re-sends what was in flight; no image lost or counted twice', async () => {
  const { mock, client } = await connect({ latencyMs: 2, faults: { resetAtInfer: [5, 13] } });
  const images = standinImages(20);
  const results = await runAll(client, images);
  assert.equal(results.length, 20);
  assert.equal(client.stats.resets, 2);
  assert.equal(mock.log.resets, 2);
  assert.ok(results.some((r) => r.attempts > 1));
  // Answers that arrived for an image already answered are dropped, never delivered twice.
  assert.equal(mock.log.inferAnswered - client.stats.stale, 20);
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

  const future = new MockTransport({ model: standinLogits, info: { protocolVersion: 2 } });
  await assert.rejects(DeviceClient.connect(future, FAST), kitError('protocol-mismatch', /protocol version 2, this kit speaks 1/));
});

test('client: a device that stops answering mid-run fails everything in flight and queued, once', async () => {
  const { client } = await connect({ faults: { silentFromInfer: 3 } }, { maxAttempts: 2, replyTimeoutMs: 100 });
  const outcomes = await Promise.allSettled(standinImages(8).map((img) => client.infer(img)));
  assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 3);
  const failures = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason);
  assert.equal(failures.length, 5);
  for (const e of failures) kitError('device-silent', /device on \/dev\/mock0 stopped answering: no reply for 0.1 s, 2 tries/)(e);
  await assert.rejects(client.infer(standinImages(1)[0]), kitError('device-silent'));
  await client.close();
});

test('client: an image that keeps failing gives up after maxAttempts', async () => {
  const { client } = await connect({ faults: { corruptInfer: [0, 1, 2] } }, { maxInFlight: 1, maxAttempts: 3 });
  await assert.rejects(client.infer(standinImages(1)[0]), kitError('device-retries', /image #0 failed 3 times on \/dev\/mock0/));
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
