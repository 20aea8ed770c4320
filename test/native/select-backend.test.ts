import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { selectBackend } from '../../src/train/backend/select-backend.js';
import { skip } from './fixtures.js';

const child = fileURLToPath(new URL('./select-backend-child.ts', import.meta.url));
const run = (choice: string, env: Record<string, string>) =>
  spawnSync(process.execPath, ['--import', 'tsx', child, choice], { env: { ...process.env, ...env }, encoding: 'utf8' });

test('auto picks the native backend when the addon is built', { skip }, async () => {
  const b = await selectBackend('auto');
  assert.equal(b.name, 'native');
  assert.match(b.description, /native CPU kernels/);
  assert.equal(b.note, undefined);
});

test('without the addon, auto falls back to wasm and says why once', () => {
  const r = run('auto', { KIT_NATIVE: '0' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { names: string[]; note: string };
  assert.deepEqual(out.names, ['wasm', 'wasm']);
  assert.match(out.note, /KIT_NATIVE=0/);
  const notes = r.stderr.split('\n').filter((l) => l.startsWith('note: '));
  assert.equal(notes.length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /Error/);
});

test('asking for native without the addon is an error that says how to get it', () => {
  const out = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', child, 'native'], { env: { ...process.env, KIT_NATIVE: '0' }, encoding: 'utf8' })) as { error: string };
  assert.match(out.error, /native CPU backend is unavailable: turned off by KIT_NATIVE=0/);
});
