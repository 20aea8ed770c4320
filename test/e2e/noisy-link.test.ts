/**
 * `kit verify --port` on a bad serial line: the bundled ResNet-8 (int8) on the emulated Cortex-M4,
 * reached through the fault-injecting proxy (test/device/c/fault_proxy.c) that drops, flips and
 * duplicates bytes both ways, each at 1e-3. Every one of the 200 images must come back bit-exact,
 * the re-sends must be reported, and a port to an emulator must report the latency kit's own
 * emulator run reports (instructions, from the board description).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startEmulator } from '../../src/device/qemu.js';
import type { VerifyReport } from '../../src/device/verify/verify.js';
import { startFaultProxy } from '../device/fault-proxy.js';
import { missing } from '../tools.js';
import { kitSteps, ROOT, SAMPLE } from '../cli/helpers.js';

const work = mkdtempSync(join(tmpdir(), 'kit-noisy-'));
after(() => rmSync(work, { recursive: true, force: true }));
const model = join(work, 'resnet8');
const project = join(model, 'int8', 'c-qemu-cortex-m4');
const firmware = join(project, 'build', 'firmware.elf');

const kit = kitSteps(join(work, 'cache'));

async function verify(tag: string, ...args: string[]): Promise<VerifyReport> {
  const report = join(work, `${tag}.json`);
  await kit('verify', project, '--data', SAMPLE, '--report', report, ...args);
  return JSON.parse(readFileSync(report, 'utf8')) as VerifyReport;
}

const skip = missing('qemu-system-arm', 'arm-none-eabi-gcc', 'cc');

before(async () => {
  if (skip) return;
  cpSync(join(ROOT, 'test', 'fixtures', 'resnet8'), model, { recursive: true });
  // Bit-exactness and the instruction count do not depend on the calibration: 20 images, 10 evaluated.
  await kit('quantize', model, '--scheme', 'int8', '--data', SAMPLE, '--calib', '20', '--eval', '10', '--out', join(model, 'int8'));
  await kit('codegen', join(model, 'int8'), '--board', 'qemu-cortex-m4', '--out', project);
  await kit('flash', project);
});

test('--port to the emulator reports the latency of kit\'s own emulator run (instructions, not SysTick ticks)', { skip, timeout: 300_000 }, async () => {
  const own = await verify('own', '--samples', '6');
  const emu = await startEmulator({ firmware });
  try {
    const port = await verify('port', '--samples', '6', '--port', emu.path);
    assert.deepEqual(port.latency, own.latency);
    assert.equal(port.latency.histogram.unit, 'instructions');
    assert.ok(port.latency.medianInstructions! > 12e6 && port.latency.medianInstructions! < 25e6, `${port.latency.medianInstructions} instructions`);
  } finally {
    await emu.stop();
  }
});

test('200 images through a line dropping, flipping and duplicating 1e-3 of the bytes each way: all bit-exact, re-sends reported', { skip, timeout: 900_000 }, async () => {
  const emu = await startEmulator({ firmware });
  const proxy = await startFaultProxy(emu.path, { drop: 1e-3, flip: 1e-3, dup: 1e-3, seed: 7 });
  try {
    const r = await verify('noisy', '--samples', '200', '--port', proxy.path, '--json');
    assert.equal(r.images, 200);
    assert.equal(r.complete, true);
    assert.equal(r.agreement.bitExact, 1, `mismatches: ${JSON.stringify(r.mismatches.slice(0, 2))}`);
    assert.deepEqual(r.skipped, []);
    assert.ok(r.link.retries > 0 && r.link.imagesRetried > 0, `link: ${JSON.stringify(r.link)}`);
    assert.ok(r.link.badFrames + r.link.timeouts > 0);
    // The line damaged bytes in both directions (the proxy counts what it did).
    await proxy.stop();
    const counts = /to device (\d+) bytes \((\d+) dropped, (\d+) flipped, (\d+) duplicated\); to kit (\d+) bytes \((\d+) dropped, (\d+) flipped, (\d+) duplicated\)/.exec(proxy.output());
    assert.ok(counts, proxy.output());
    const [toDevice, dropped, flipped, duplicated] = counts.slice(1, 5).map(Number);
    assert.ok(toDevice > 200 * 3072, `${toDevice} bytes to the device`);
    for (const n of [dropped, flipped, duplicated]) assert.ok(n > toDevice * 5e-4 && n < toDevice * 2e-3, `${n} faults in ${toDevice} bytes`);
  } finally {
    await proxy.stop();
    await emu.stop();
  }
});

test('--on-error skip: images whose blocks keep failing are skipped, and the report says which, why and after how many re-sends', { skip, timeout: 300_000 }, async () => {
  const emu = await startEmulator({ firmware });
  // One byte in twenty flipped on the way to the device: a piece rarely gets through.
  const proxy = await startFaultProxy(emu.path, { drop: 0, flip: 0.05, dup: 0, seed: 3, toDeviceOnly: true });
  const reportFile = join(work, 'skip.json');
  try {
    const failed = await kit('verify', project, '--data', SAMPLE, '--report', reportFile, '--samples', '3', '--port', proxy.path, '--on-error', 'skip').then(
      () => undefined,
      (e: { code: number; stdout: string }) => e,
    );
    const r = JSON.parse(readFileSync(reportFile, 'utf8')) as VerifyReport;
    assert.equal(r.onError, 'skip');
    assert.equal(r.images + r.skipped.length, 3);
    assert.ok(r.skipped.length >= 2, `skipped: ${JSON.stringify(r.skipped)}`);
    for (const s of r.skipped) {
      assert.match(s.reason, /a block of the image was sent 17 times on \/dev\/pts\/\d+ without getting through/);
      assert.ok(s.retries >= 16);
    }
    assert.ok(r.complete, 'every image was answered or skipped');
    if (r.images === 0) assert.equal(failed?.code, 1, 'nothing verified is not a pass');
    assert.match((failed?.stdout ?? '') + readFileSync(reportFile, 'utf8'), /skipped/);
  } finally {
    await proxy.stop();
    await emu.stop();
  }
});
