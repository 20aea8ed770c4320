/**
 * The harness's receive path (frame parser, piece assembly, STATUS, POLL) built for the host with
 * AddressSanitizer and UBSan, driven through the fault-injecting proxy at ~1 % damaged bytes and with
 * hostile pieces whose CRC is right (out of the image, off a block boundary, wrapping offsets).
 * Every image must come back bit-exact, and the sanitizers must stay silent.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildFirmware } from '../../src/device/build.js';
import { DeviceClient } from '../../src/device/client.js';
import { startHost } from '../../src/device/host.js';
import { encodeMessage } from '../../src/device/protocol/messages.js';
import type { PtyProcess } from '../../src/device/spawn-pty.js';
import { SerialTransport } from '../../src/device/transport/serial.js';
import { startFaultProxy } from './fault-proxy.js';
import { missing, tmpDir } from './helpers.js';
import { STANDIN_DIR, STANDIN_HASH, standinImages, standinLogits } from './standin-model.js';

const skip = missing('cc');
let harness: PtyProcess | undefined;
let file = '';
const outDir = tmpDir('noisy-harness');

before(async () => {
  if (skip) return;
  const build = await buildFirmware({
    board: 'host',
    modelDir: STANDIN_DIR,
    outDir,
    cflags: ['-g', '-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer'],
  });
  file = build.file;
});

after(async () => {
  await harness?.stop();
});

const sanitizerReport = (p: PtyProcess) => /AddressSanitizer|runtime error|LeakSanitizer/.test(p.output());

test('40 images through a line dropping, flipping and duplicating 3e-3 of the bytes each: bit-exact, sanitizers silent', { skip, timeout: 120_000 }, async () => {
  harness = await startHost({ binary: file });
  const proxy = await startFaultProxy(harness.path, { drop: 3e-3, flip: 3e-3, dup: 3e-3, seed: 11 });
  const client = await DeviceClient.connect(new SerialTransport(proxy.path), { helloTimeoutMs: 10_000, pollMs: 100, maxPollMs: 400, deadAfterMs: 20_000, expect: { modelHash: STANDIN_HASH } });
  try {
    const images = standinImages(40, 3);
    const results = await Promise.all(images.map((img) => client.infer(img)));
    results.forEach((r, i) => assert.deepEqual(r.logits, standinLogits(images[i]), `image ${i}`));
    assert.ok(client.stats.retries > 0, `the damage cost re-sends: ${JSON.stringify(client.stats)}`);
    assert.ok(client.stats.statuses > 0 && client.stats.polls > 0);
  } finally {
    await client.close();
    await proxy.stop();
  }
  assert.ok(!sanitizerReport(harness), harness.output());
});

test('pieces with a right CRC but outside the image, off a block boundary or wrapping around are refused; the next image is fine', { skip, timeout: 60_000 }, async () => {
  await harness?.stop();
  harness = await startHost({ binary: file });
  const transport = new SerialTransport(harness.path);
  const client = await DeviceClient.connect(transport, { helloTimeoutMs: 10_000, expect: { modelHash: STANDIN_HASH } });
  try {
    const hostile = [
      { offset: 3072, data: new Uint8Array(32) },
      { offset: 3040, data: new Uint8Array(64) },
      { offset: 16, data: new Uint8Array(32) },
      { offset: 0, data: new Uint8Array(33) },
      { offset: 0xffffffe0, data: new Uint8Array(64) },
    ];
    const errors = client.stats.deviceErrors;
    for (const h of hostile) transport.write(encodeMessage({ type: 'piece', seq: 1, image: 5, ...h }));
    const [img] = standinImages(1, 8);
    // Answered before any image of the client's is pending: the ERRORs are only counted.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(client.stats.deviceErrors, errors + hostile.length);
    assert.deepEqual((await client.infer(img)).logits, standinLogits(img));
  } finally {
    await client.close();
  }
  assert.ok(!sanitizerReport(harness), harness.output());
});
