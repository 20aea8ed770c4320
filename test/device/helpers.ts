import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { KitError } from '../../src/errors.js';

export function tmpDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `kit-device-${tag}-`));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** assert.rejects/throws matcher: a one-line KitError with this code (and message). */
export function kitError(code: string, message?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof KitError, `expected a KitError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    assert.ok(!e.format().includes('\n'), `not one line: ${e.format()}`);
    return true;
  };
}

/** The reason to skip when a command is missing, else false. */
export function missing(...commands: string[]): string | false {
  const gone = commands.filter((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0);
  return gone.length ? `needs ${gone.join(', ')} (run .ci/setup)` : false;
}

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
