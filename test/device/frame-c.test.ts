/**
 * The device's C frame parser (firmware/protocol/frame.c), compiled for the host with
 * AddressSanitizer and UBSan, must see exactly what the TypeScript decoder sees in the same
 * malformed streams: the same frames, errors, skipped-byte count and leftover. It also re-encodes
 * every frame with the C writer, which must produce the TypeScript encoder's bytes.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { FrameDecoder, type FrameEvent, encodeFrame } from '../../src/device/protocol/frame.js';
import { PACKAGE_ROOT } from '../../src/device/paths.js';
import { fuzzStream } from './fuzz.js';
import { hex, missing, tmpDir } from './helpers.js';

const skip = missing('gcc');
const driver = join(tmpDir('frame-c'), 'frame_driver');

before(() => {
  if (skip) return;
  const fw = join(PACKAGE_ROOT, 'firmware', 'protocol');
  execFileSync('gcc', [
    '-std=c99', '-O1', '-g', '-Wall', '-Wextra', '-Werror',
    '-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer',
    `-I${fw}`, join(PACKAGE_ROOT, 'test/device/c/frame_driver.c'), join(fw, 'frame.c'), join(fw, 'crc32.c'),
    '-o', driver,
  ]);
});

function runC(bytes: Uint8Array, maxPayload: number, chunk: number): string[] {
  const r = spawnSync(driver, [String(maxPayload), String(chunk)], {
    input: bytes,
    maxBuffer: 64 << 20,
    env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=0', UBSAN_OPTIONS: 'print_stacktrace=1' },
  });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, `frame_driver failed:\n${r.stderr.toString().slice(0, 3000)}`);
  return r.stdout.toString().trimEnd().split('\n');
}

function renderTs(bytes: Uint8Array, maxPayload: number): string[] {
  const dec = new FrameDecoder(maxPayload);
  const line = (e: FrameEvent) =>
    e.kind === 'frame'
      ? `F ${e.type} ${e.payload.length} ${hex(e.payload)} ${hex(encodeFrame(e.type, e.payload))}`
      : `${e.kind === 'bad-crc' ? 'C' : 'L'} ${e.type} ${e.length}`;
  return [...dec.push(bytes).map(line), `E ${dec.skipped} ${dec.pending}`];
}

test('frame.c matches the TypeScript decoder on seeded malformed streams (ASan, UBSan)', { skip }, () => {
  for (let seed = 1; seed <= 8; seed++) {
    const maxPayload = [64, 300, 3076, 0xffff][seed % 4];
    const { bytes } = fuzzStream(1000 + seed, 250, maxPayload);
    const expected = renderTs(bytes, maxPayload);
    assert.ok(expected.filter((l) => l.startsWith('F')).length > 50, 'the stream holds real frames');
    for (const chunk of [1, 13, 5000]) {
      assert.deepEqual(runC(bytes, maxPayload, chunk), expected, `seed ${seed}, max ${maxPayload}, chunks of ${chunk}`);
    }
  }
});

test('frame.c: edge cases (empty payload, truncated tail, sync at the very end, buffer exactly full)', { skip }, () => {
  const max = 16;
  const cases = [
    encodeFrame(0, new Uint8Array(0)),
    Uint8Array.from([...encodeFrame(1, new Uint8Array(max)), ...encodeFrame(2, new Uint8Array(max + 1))]),
    Uint8Array.from([...encodeFrame(3, Uint8Array.of(1, 2)), 0xa5]),
    encodeFrame(4, new Uint8Array(10)).subarray(0, 15),
    Uint8Array.of(0xa5, 0x5a, 0xa5, 0x5a, 0xa5),
    new Uint8Array(0),
  ];
  for (const bytes of cases) {
    const expected = renderTs(bytes, max);
    for (const chunk of [1, 3, 100]) assert.deepEqual(runC(bytes, max, chunk), expected, hex(bytes));
  }
});
