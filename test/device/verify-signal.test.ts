/**
 * `kit verify` stopped by SIGTERM (a CI job cancelled, a service stopped) behaves as Ctrl-C does:
 * the images in flight finish, the partial report is saved, and the board's process (here the host
 * harness; QEMU on an emulated board) ends with kit instead of outliving it.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { firmwareDir } from '../../src/cli/commands/flash.js';
import { saveQuantized } from '../../src/quantize/artefact.js';
import type { VerifyReport } from '../../src/device/verify/verify.js';
import { kit, ROOT } from '../cli/helpers.js';
import { smallQuantized } from '../files/helpers.js';
import { missing } from '../tools.js';
import { tmpDir } from './helpers.js';

const IMAGES = 100_000;

const running = (pattern: string) => {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
};

test('SIGTERM during kit verify: a partial report of the images answered, and no board process left behind', { skip: missing('cc', 'pgrep'), timeout: 300_000 }, async () => {
  const root = tmpDir('verify-signal');
  const { int8 } = await smallQuantized(root);
  const quantized = join(root, 'int8');
  await saveQuantized(quantized, int8);
  const project = join(root, 'c-host');
  for (const step of [['codegen', quantized, '--board', 'host', '--out', project], ['flash', project]]) {
    const r = await kit(step);
    assert.equal(r.code, 0, r.stderr);
  }
  const firmware = join(firmwareDir(project), 'harness');
  const v = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'verify', project, '--random', String(IMAGES)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const ended = new Promise<number | null>((done) => v.once('exit', (code) => done(code)));
  // Off a terminal the progress is one line per finished phase: the device phase starts after the
  // reference line; kit is signalled a few seconds into it.
  await new Promise<void>((done, fail) => {
    v.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/^reference: /m.test(stderr)) done();
    });
    void ended.then((code) => fail(new Error(`kit verify ended (${code}) before the device phase:\n${stderr}`)));
  });
  for (let i = 0; i < 100 && running(firmware).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(running(firmware).length > 0, `the host harness ${firmware} runs`);
  await new Promise((r) => setTimeout(r, 3000));
  v.kill('SIGTERM');
  const code = await ended;
  assert.match(stderr, /SIGTERM: finishing the images in flight/);
  assert.notEqual(code, 0, 'an interrupted run is not a pass');
  const report = JSON.parse(readFileSync(join(project, 'verify-report.json'), 'utf8')) as VerifyReport;
  assert.equal(report.complete, false);
  assert.equal(report.requested, IMAGES);
  assert.ok(report.images < IMAGES, `images ${report.images}`);
  // (on a machine too loaded to answer one image in 3 s the report says so instead)
  if (report.images > 0) assert.equal(report.agreement.bitExact, 1);
  else assert.equal(report.notVerified, 'interrupted before the first answer');
  assert.ok(existsSync(join(project, 'verify-report.html')));
  assert.deepEqual(running(firmware), [], 'the host harness outlived kit verify');
});
