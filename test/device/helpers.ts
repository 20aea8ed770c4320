import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

export function tmpDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `kit-device-${tag}-`));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export { kitError } from '../kit-error.js';

/** The reason to skip when a command is missing, else false. */
export function missing(...commands: string[]): string | false {
  const gone = commands.filter((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0);
  return gone.length ? `needs ${gone.join(', ')} (run .ci/setup)` : false;
}

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
