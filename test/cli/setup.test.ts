/**
 * scripts/setup.sh (kit setup, npm run setup, .ci/setup) where it cannot install anything: it names
 * the Debian packages kit needs, every board's among them (read from boards/*.json), carries on,
 * and fails only under --strict (what CI runs).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { knownBoards, loadBoard } from '../../src/device/boards.js';
import { ROOT } from './helpers.js';

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'kit-setup-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** This PATH without apt-get and dpkg-query: a machine that is not Debian. */
function pathWithoutApt(): string {
  const bin = join(work, 'bin');
  mkdirSync(bin);
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || !existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (name === 'apt-get' || name === 'dpkg-query' || existsSync(join(bin, name))) continue;
      symlinkSync(join(dir, name), join(bin, name));
    }
  }
  return bin;
}

test('setup on a machine without apt names every board\'s Debian packages, carries on, and fails only with --strict', async () => {
  const env = { ...process.env, PATH: pathWithoutApt() };
  const script = join(ROOT, 'scripts', 'setup.sh');
  const lenient = await run('bash', [script, '--packages-only'], { env });
  const line = lenient.stderr.split('\n').find((l) => l.includes('not a Debian/Ubuntu system'))!;
  assert.ok(line, lenient.stderr);
  const named = line.slice(line.indexOf('packages: ') + 'packages: '.length).split(' ');
  for (const b of knownBoards()) for (const r of loadBoard(b).requires) for (const p of r.debian) assert.ok(named.includes(p), `${p} (${b}) in: ${line}`);
  for (const p of ['libopenblas-dev', 'chromium']) assert.ok(named.includes(p));
  assert.match(lenient.stderr, /carrying on without them/);

  await assert.rejects(run('bash', [script, '--packages-only', '--strict'], { env }), (e: { code?: number }) => e.code === 1);
});
